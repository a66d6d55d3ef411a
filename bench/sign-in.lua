-- wrk script for bench/sign-in: every request is a full sign-in (argon2id verification, a new
-- session in the database) of one of BENCH_ACCOUNTS accounts, in turn. Environment:
--   BENCH_COOKIE    the browser session whose CSRF token is BENCH_CSRF
--   BENCH_CSRF      that session's CSRF token
--   BENCH_ACCOUNTS  how many accounts `lectern-bench accounts` made (bench-0 …)
--   BENCH_PASSWORD  their password
-- done() prints one machine-readable line: `RESULT key=value ...`; `signed_in` counts the
-- 303 answers (a refused sign-in answers 200 with the form, or 429).

local threads = {}
local accounts = tonumber(os.getenv("BENCH_ACCOUNTS") or "1")
local prefix = "csrf=" .. (os.getenv("BENCH_CSRF") or "") .. "&password=" ..
  (os.getenv("BENCH_PASSWORD") or "") .. "&username=bench-"

wrk.method = "POST"
wrk.path = "/sign-in"
wrk.headers["Cookie"] = "lectern_session=" .. (os.getenv("BENCH_COOKIE") or "")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

next_account = 0
signed_in = 0
refused = 0

function setup(thread)
  table.insert(threads, thread)
end

function request()
  next_account = (next_account + 1) % accounts
  return wrk.format(nil, nil, nil, prefix .. next_account)
end

function response(status, headers, body)
  if status == 303 then
    signed_in = signed_in + 1
  else
    refused = refused + 1
  end
end

function done(summary, latency, requests)
  local ok, bad = 0, 0
  for _, t in ipairs(threads) do
    ok = ok + (t:get("signed_in") or 0)
    bad = bad + (t:get("refused") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f " ..
    "signed_in=%d refused=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, ok / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    ok, bad, e.connect + e.read + e.write + e.timeout))
end
