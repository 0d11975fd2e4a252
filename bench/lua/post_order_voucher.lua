-- wrk script: POST /orders as post_order.lua does (one item of 120.00 EUR), each spending a
-- voucher of its own that bench/run put in both services' databases beforehand.
--
--   wrk ... -s post_order_voucher.lua URL -- PHASE
--
-- PHASE (1 for the warm-up, 2 for the measured run) starts every code, so that no two
-- requests of a run, or of the two runs, spend the same voucher: the code of thread T's Nth
-- request is PHASE, T and N (14 digits), grouped by four, and its customer vbench-T-N.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local summary = dofile(here .. "summary.lua")

local threads = {}
function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

local headers = {
   ["Content-Type"] = "application/json",
   ["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or ""),
}
local body_fmt = '{"customer_id":"vbench-%d-%d","items":[{"sku":"BENCH-1","quantity":1}],"voucher_code":"%s"}'
local phase = "2"
local sent = 0

function init(args)
   phase = args[1] or phase
end

function request()
   sent = sent + 1
   local raw = string.format("%s%d%014d", phase, tid or 0, sent)
   local code = raw:sub(1, 4) .. "-" .. raw:sub(5, 8) .. "-" .. raw:sub(9, 12) .. "-" .. raw:sub(13, 16)
   return wrk.format("POST", "/orders", headers, string.format(body_fmt, tid or 0, sent, code))
end

function done(s, latency, requests)
   summary.print(s, latency)
end
