-- wrk script: POST /orders with a valid body (one item of 120.00 EUR) and a customer id that
-- varies per thread and request.
--
--   wrk ... -s post_order.lua URL -- PREFIX
--
-- PREFIX starts every customer id. No response() callback is defined, so wrk does not parse
-- response bodies; it still counts statuses >= 400 (reported as errors_status).

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
local prefix = "bench"
local sent = 0

function init(args)
   prefix = args[1] or prefix
end

function request()
   sent = sent + 1
   -- 1000 customers per thread: realistic index fan-out without one hot customer.
   local body = string.format(body_fmt, prefix, tid or 0, sent % 1000)
   return wrk.format("POST", "/orders", headers, body)
end

function done(s, latency, requests)
   summary.print(s, latency)
end
