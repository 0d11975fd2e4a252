-- wrk script: POST /orders with a valid body (one item of 120.00 EUR) and a customer id that
-- varies per thread and request.
--
--   wrk ... -s post_order.lua URL -- PREFIX [VOUCHER_PHASE]
--
-- PREFIX starts every customer id. With VOUCHER_PHASE (1 for a warm-up, 2 for a measured run)
-- each request spends a voucher of its own that bench/run put in both services' databases
-- (sql/seed_vouchers.sql): the code of thread T's Nth request is VOUCHER_PHASE, T and N (14
-- digits) grouped by four, and its customer vbench-T-N, so that no two requests of a run, or
-- of the two runs, spend the same voucher. No response() callback is defined, so wrk does not
-- parse response bodies; it still counts statuses >= 400 (reported as errors_status).

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local summary = dofile(here .. "summary.lua")

local threads = {}
function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

-- The access token of the caller (a service ordering on behalf of customers), from bench/run.
local headers = {
   ["Content-Type"] = "application/json",
   ["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or ""),
}
local body_fmt = '{"customer_id":"%s-%d-%d","items":[{"sku":"BENCH-1","quantity":1}]}'
local voucher_fmt = '{"customer_id":"vbench-%d-%d","items":[{"sku":"BENCH-1","quantity":1}],"voucher_code":"%s"}'
local prefix = "bench"
local voucher_phase = nil
local sent = 0

function init(args)
   prefix = args[1] or prefix
   voucher_phase = args[2]
end

function request()
   sent = sent + 1
   local body
   if voucher_phase then
      local raw = string.format("%s%d%014d", voucher_phase, tid or 0, sent)
      local code = raw:sub(1, 4) .. "-" .. raw:sub(5, 8) .. "-" .. raw:sub(9, 12) .. "-" .. raw:sub(13, 16)
      body = string.format(voucher_fmt, tid or 0, sent, code)
   else
      -- 1000 customers per thread: realistic index fan-out without one hot customer.
      body = string.format(body_fmt, prefix, tid or 0, sent % 1000)
   end
   return wrk.format("POST", "/orders", headers, body)
end

function done(s, latency, requests)
   summary.print(s, latency)
end
