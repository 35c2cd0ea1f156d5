-- wrk script for the dashboard: each request asks for the next of the paths listed in
-- BENCH_PATHS_FILE (one per line: the pages of the client's order picker), so the load
-- spreads over every page instead of one cached answer. Headers (the session
-- cookie) and the summary line come from report.lua.
dofile("bench/report.lua")

local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS_FILE")) do
  if line ~= "" then
    paths[#paths + 1] = line
  end
end

local counter = 0

function setup(thread)
  thread:set("offset", counter * 7919)
  counter = counter + 1
end

local next_index = nil

request = function()
  if next_index == nil then
    next_index = (offset or 0) % #paths
  end
  next_index = next_index % #paths + 1
  return wrk.format(nil, paths[next_index])
end
