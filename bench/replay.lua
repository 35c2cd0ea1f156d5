-- wrk script: send pre-built requests, each exactly once, in file order.
--
-- For endpoints where every request must differ (signed webhooks, checkout forms).
-- bench/payments.py writes one file per wrk thread, BENCH_REQUESTS .. "." .. <thread
-- index from 0>, holding records "<byte length>\n<raw HTTP request>". Responses are
-- checked against BENCH_EXPECT_STATUS and, if set, a Location containing
-- BENCH_EXPECT_LOCATION. done() prints report.lua's summary, then one line
-- "BENCH_REPLAY [{sent, unexpected, exhausted, sample}, ...]" (one object per thread),
-- from which the harness knows exactly which requests went out. `unexpected` counts
-- 2xx/3xx answers that are not the expected one; `sample` is the first wrong answer.

dofile("bench/report.lua")
local report_done = done

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

local requests = {}
local expect_status = tonumber(os.getenv("BENCH_EXPECT_STATUS") or "")
local expect_location = os.getenv("BENCH_EXPECT_LOCATION") or ""
local probing = false

function init(args)
  local path = os.getenv("BENCH_REQUESTS") .. "." .. thread_index
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  local pos = 1
  while pos <= #data do
    local nl = data:find("\n", pos, true)
    local length = tonumber(data:sub(pos, nl - 1))
    requests[#requests + 1] = data:sub(nl + 1, nl + length)
    pos = nl + length + 1
  end
  sent, unexpected, exhausted, sample = 0, 0, false, ""
  idle = wrk.format("GET", "/healthz")
  -- wrk calls request() once on its first thread before the run to inspect the
  -- request; that call must not use one up.
  probing = thread_index == 0
end

function request()
  if probing then
    probing = false
    return requests[1]
  end
  if sent == #requests then
    -- Out of requests: idle on /healthz until the run ends. (Stopping the thread
    -- would leave connections open that gunicorn's sync workers block on.) The
    -- harness reports the run as short; its database-verified rate is a lower bound.
    exhausted = true
    return idle
  end
  sent = sent + 1
  return requests[sent]
end

function response(status, headers, body)
  if exhausted then
    return
  end
  local location = headers["Location"] or ""
  if (expect_status and status ~= expect_status)
    or (expect_location ~= "" and not location:find(expect_location, 1, true)) then
    if status < 400 then -- wrk counts the others as errors already
      unexpected = unexpected + 1
    end
    if sample == "" then
      sample = (status .. " " .. location .. " " .. body:sub(1, 300)):gsub('[%c"\\]', " ")
    end
  end
end

done = function(summary, latency, reqs)
  report_done(summary, latency, reqs)
  local parts = {}
  for _, t in ipairs(threads) do
    parts[#parts + 1] = string.format(
      '{"sent": %d, "unexpected": %d, "exhausted": %s, "sample": "%s"}',
      t:get("sent"), t:get("unexpected"), tostring(t:get("exhausted")), t:get("sample")
    )
  end
  io.write("BENCH_REPLAY [" .. table.concat(parts, ", ") .. "]\n")
end
