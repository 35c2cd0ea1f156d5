-- wrk script shared by every scenario.
--
-- The request is configured from the environment so that one script serves GET
-- pages today and POST endpoints (webhooks, checkout) later:
--   BENCH_METHOD     HTTP method (default GET)
--   BENCH_BODY_FILE  file whose content is sent as the body
--   BENCH_HEADERS    extra headers, one "Name: value" per line
--
-- done() prints one line, "BENCH_JSON {...}", that bench/harness.py parses;
-- wrk's own human-readable report stays above it for eyeballing.

local method = os.getenv("BENCH_METHOD")
if method and method ~= "" then
  wrk.method = method
end

local body_file = os.getenv("BENCH_BODY_FILE")
if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  wrk.body = f:read("*a")
  f:close()
end

local headers = os.getenv("BENCH_HEADERS")
if headers and headers ~= "" then
  for line in headers:gmatch("[^\n]+") do
    local name, value = line:match("^%s*([^:]+):%s*(.-)%s*$")
    if name then
      wrk.headers[name] = value
    end
  end
end

-- wrk reports latency in microseconds; the harness wants milliseconds. With no
-- completed request the statistics are NaN, which JSON cannot carry: report 0.
local function ms(us)
  if us ~= us then
    return 0
  end
  return us / 1000.0
end

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_s": %.3f, "rps": %.2f, "bytes": %d, '
      .. '"latency_ms": {"mean": %.3f, "p50": %.3f, "p90": %.3f, "p95": %.3f, '
      .. '"p99": %.3f, "max": %.3f}, '
      .. '"non_2xx_3xx": %d, '
      .. '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}}\n',
    summary.requests, seconds, summary.requests / seconds, summary.bytes,
    ms(latency.mean), ms(latency:percentile(50)), ms(latency:percentile(90)),
    ms(latency:percentile(95)), ms(latency:percentile(99)), ms(latency.max),
    e.status,
    e.connect, e.read, e.write, e.timeout
  ))
end
