-- wrk script: POST /api/query, cycling the request bodies of a file (one JSON body per line).
-- The file is named by the BODIES environment variable (the serve-wrk workload of `anime-mcp bench` writes
-- it). Each thread starts at its own offset, so the connections ask different questions at once.
local bodies = {}
local path = os.getenv("BODIES") or "bodies.jsonl"
for line in io.lines(path) do
  if #line > 0 then bodies[#bodies + 1] = line end
end
assert(#bodies > 0, "no bodies in " .. path)

local counter = 0
local thread_count = 0

function setup(thread)
  thread:set("offset", thread_count * 7919)
  thread_count = thread_count + 1
end

function init(args)
  counter = offset or 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  return wrk.format(nil, "/api/query", nil, bodies[(counter % #bodies) + 1])
end

function response(status, headers, body)
  if status ~= 200 then errors_seen = (errors_seen or 0) + 1 end
end

done = function(summary, latency, requests)
  io.write(string.format("wrk: %d requests in %.1f s, %.1f requests/s, %d errors (non-2xx %d)\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
  io.write(string.format("latency ms: p50 %.1f, p90 %.1f, p99 %.1f, max %.1f, mean %.1f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000))
end
