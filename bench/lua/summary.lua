-- Shared by the wrk scripts: done() prints one machine-readable line that bench/run parses
-- (wrk's own text output rounds latencies and hides the error breakdown).
--   BENCH_JSON {"requests":..,"duration_s":..,"rps":..,"p50_ms":..,...}
local M = {}

-- extra: a table of additional numeric fields (e.g. counts gathered from the threads).
function M.print(summary, latency, extra)
   local e = summary.errors
   local fields = {
      requests = summary.requests,
      duration_s = summary.duration / 1e6,
      rps = summary.requests / (summary.duration / 1e6),
      p50_ms = latency:percentile(50) / 1000,
      p90_ms = latency:percentile(90) / 1000,
      p99_ms = latency:percentile(99) / 1000,
      max_ms = latency.max / 1000,
      mean_ms = latency.mean / 1000,
      errors_connect = e.connect,
      errors_read = e.read,
      errors_write = e.write,
      errors_timeout = e.timeout,
      -- HTTP status > 399, as counted by wrk itself
      errors_status = e.status,
   }
   for k, v in pairs(extra or {}) do fields[k] = v end
   local parts = {}
   for k, v in pairs(fields) do
      parts[#parts + 1] = string.format('"%s":%.17g', k, v)
   end
   io.write("BENCH_JSON {" .. table.concat(parts, ",") .. "}\n")
end

return M
