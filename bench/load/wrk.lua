-- wrk script for bench/load.sh. Environment:
--   WRK_PATHS  file with one request per line: "<path>" or "<path>\t<etag>"
--   WRK_MODE   "get" (default), "etag" (If-None-Match from the file), "vote", or
--              "unique" (a different query string every time, defeating any cache),
--              "tail" (every fifth request unique: a repeating head and a long tail)
--   WRK_ORIGIN the server's origin, sent with votes (the same-origin check)
-- Prints one JSON line when done.

local entries = {}
for line in io.lines(os.getenv("WRK_PATHS")) do
  local path, etag = line:match("^([^\t]+)\t?(.*)$")
  if path then entries[#entries + 1] = { path = path, etag = etag } end
end
local mode = os.getenv("WRK_MODE") or "get"
local origin = os.getenv("WRK_ORIGIN") or ""
local counter = 0
local salt = 0

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  -- Different threads start at different places in the list and salt differently.
  math.randomseed(os.time() * 100 + (id or 0))
  counter = math.floor(math.random() * #entries)
  salt = math.random(1, 1000000000)
end

function request()
  counter = counter + 1
  local entry = entries[(counter % #entries) + 1]
  if mode == "vote" then
    local helpful = (counter % 4 == 0) and "no" or "yes"
    return wrk.format("POST", "/feedback", {
      ["Origin"] = origin,
      ["Content-Type"] = "application/x-www-form-urlencoded",
    }, "page=" .. entry.path .. "&helpful=" .. helpful)
  elseif mode == "unique" or (mode == "tail" and counter % 5 == 0) then
    return wrk.format("GET", entry.path .. "&nocache=" .. salt .. "-" .. counter)
  elseif mode == "etag" then
    return wrk.format("GET", entry.path, { ["If-None-Match"] = entry.etag })
  end
  return wrk.format("GET", entry.path)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"p999_ms":%.3f,"socket_errors":%d,"bad_status":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    e.connect + e.read + e.write + e.timeout, e.status))
end
