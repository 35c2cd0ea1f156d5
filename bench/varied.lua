-- wrk script for varied traffic: each request asks for the next of the paths in
-- BENCH_PATHS_FILE (one per line; bench/varied_traffic.py writes them), so no two
-- requests of a run ask for the same page until a thread has used up its share.
-- Thread i of BENCH_THREADS takes lines i, i + n, i + 2n ...: the threads never
-- share a path. done() prints report.lua's summary, then one line
-- "BENCH_VARIED {"sent": n, "distinct": n, "wrapped": bool}": requests sent, how
-- many different paths they asked for, and whether some path was asked twice.
dofile("bench/report.lua")
local report_done = done

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

local paths = {}
local probing = false

function init(args)
  local count = tonumber(os.getenv("BENCH_THREADS") or "1")
  local line_number = 0
  for line in io.lines(os.getenv("BENCH_PATHS_FILE")) do
    if line ~= "" then
      if line_number % count == thread_index then
        paths[#paths + 1] = line
      end
      line_number = line_number + 1
    end
  end
  sent, position, share = 0, 0, #paths
  -- wrk calls request() once on its first thread before the run to inspect it.
  probing = thread_index == 0
end

function request()
  if probing then
    probing = false
    return wrk.format("GET", paths[1])
  end
  sent = sent + 1
  position = position % #paths + 1
  return wrk.format("GET", paths[position])
end

done = function(summary, latency, reqs)
  report_done(summary, latency, reqs)
  local sent_all, distinct, wrapped = 0, 0, false
  for _, t in ipairs(threads) do
    local n = t:get("sent")
    local share = t:get("share")
    sent_all = sent_all + n
    distinct = distinct + math.min(n, share)
    wrapped = wrapped or n > share
  end
  io.write(string.format(
    'BENCH_VARIED {"sent": %d, "distinct": %d, "wrapped": %s}\n',
    sent_all, distinct, tostring(wrapped)
  ))
end
