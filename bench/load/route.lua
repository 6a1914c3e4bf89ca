-- One route class of the load test, for one wrk process:
--   wrk ... -s bench/load/route.lua http://127.0.0.1:PORT -- ROUTE TOKEN IDS_FILE
-- ROUTE is list_cached | list_uncached | detail | summary | history | videos | sync; IDS_FILE
-- holds one account id a line (the accounts this route walks over, round robin per thread).
-- done() prints one JSON line: the route, requests, socket errors, non-2xx answers and the
-- latency percentiles in microseconds (wrk's own histogram of this process: one route).
local WORDS = { "sunny", "cooking", "travel", "dance", "gamer", "daily", "studio", "fit",
  "chef", "pixel", "music", "comedy", "pets", "nature", "tech", "style", "vlog", "drift",
  "coffee", "ocean", "urban", "retro", "neon", "craft" }
local threads = {}
local route, token, ids, counter = nil, nil, {}, 0
non2xx = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  route, token = args[1], args[2]
  if args[3] then
    for line in io.lines(args[3]) do
      if #line > 0 then table.insert(ids, line) end
    end
  end
  math.randomseed(os.time() * 1000 + id)
  counter = math.random(0, #ids > 0 and #ids - 1 or 0)
  wrk.headers["Authorization"] = "Bearer " .. token
  wrk.headers["Content-Type"] = "application/json"
end

local function next_id()
  counter = counter + 1
  return ids[counter % #ids + 1]
end

function request()
  if route == "list_cached" then
    return wrk.format("GET", "/api/accounts?limit=20")
  elseif route == "list_uncached" then
    -- One of 24 x 100,000 search terms drawn at random: the read cache keys on the query, so
    -- practically every request misses it and runs the count + page queries.
    local term = WORDS[math.random(#WORDS)] .. "%20" .. math.random(0, 99999)
    return wrk.format("GET", "/api/accounts?limit=20&search=" .. term)
  elseif route == "summary" then
    return wrk.format("GET", "/api/accounts/stats/summary")
  elseif route == "detail" then
    return wrk.format("GET", "/api/accounts/" .. next_id())
  elseif route == "history" then
    return wrk.format("GET", "/api/accounts/" .. next_id() .. "/history")
  elseif route == "videos" then
    return wrk.format("GET", "/api/accounts/" .. next_id() .. "/videos?limit=20")
  elseif route == "sync" then
    return wrk.format("POST", "/api/accounts/" .. next_id() .. "/sync", nil, "")
  end
  error("unknown route " .. tostring(route))
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if non2xx <= 3 then
      io.stderr:write(route .. ": " .. status .. " " .. string.sub(body or "", 1, 300) .. "\n")
    end
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    '{"route": "%s", "requests": %d, "duration_us": %d, "non2xx": %d, "socket_errors": %d, '
      .. '"p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    route, summary.requests, summary.duration, bad, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
