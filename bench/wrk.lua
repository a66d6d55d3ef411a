-- wrk script for bench/run. Environment:
--   BENCH_COOKIE  the session cookie value sent on every request
--   BENCH_FORMS   (submit mode) the file `lectern-bench seed` wrote: line 1 the session,
--                 line 2 the quiz-page attempt, then `token body` per attempt to submit
--   BENCH_OFFSET  (submit mode) how many attempts earlier runs already used
--   BENCH_SUBMIT_PATH (submit mode, optional) post every form here instead of to
--                 /attempts/{token} (the nginx reference)
-- Without BENCH_FORMS every request is the GET given on the command line.
-- done() prints one machine-readable line: `RESULT key=value ...`.

local cookie = os.getenv("BENCH_COOKIE") or ""
local forms_file = os.getenv("BENCH_FORMS")
local submit_path = os.getenv("BENCH_SUBMIT_PATH")
local offset = tonumber(os.getenv("BENCH_OFFSET") or "0")
local threads = {}

wrk.headers["Cookie"] = "lectern_session=" .. cookie

local paths, bodies = {}, {}
-- Globals, not locals: done() reads them from each thread with thread:get().
used = 0
exhausted = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  if forms_file == nil then
    return
  end
  local f = assert(io.open(forms_file, "r"))
  f:read("*l") -- the session
  f:read("*l") -- the quiz-page attempt
  local skip = offset
  for line in f:lines() do
    if skip > 0 then
      skip = skip - 1
    else
      local token, body = line:match("^(%x+) (.*)$")
      table.insert(paths, submit_path or ("/attempts/" .. token))
      table.insert(bodies, body)
    end
  end
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
  if forms_file == nil then
    return wrk.format()
  end
  used = used + 1
  local i = used
  if i > #paths then
    -- Out of fresh attempts: ask for a page that does not exist, so the 404s show in the
    -- error count instead of silently turning into cheap resubmissions.
    exhausted = exhausted + 1
    return wrk.format("GET", "/attempts/exhausted")
  end
  return wrk.format(nil, paths[i], nil, bodies[i])
end

function done(summary, latency, requests)
  local used_total, exhausted_total = 0, 0
  for _, t in ipairs(threads) do
    used_total = used_total + (t:get("used") or 0)
    exhausted_total = exhausted_total + (t:get("exhausted") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f " ..
    "status_errors=%d socket_errors=%d used=%d exhausted=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect + e.read + e.write + e.timeout, used_total, exhausted_total))
end
