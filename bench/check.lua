-- wrk script: every response must be a 200 whose body is non-empty and contains the marker
-- given after `--` (e.g. "results" for an API list, "PC-" for a page). done() prints the count
-- of bad responses and the latency percentiles for bench/run.py to parse.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  marker = args[1] or ""
  bad = 0
  checked = 0
end

function response(status, headers, body)
  checked = checked + 1
  if status ~= 200 or body == nil or #body == 0 or (marker ~= "" and not string.find(body, marker, 1, true)) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total_bad, total_checked = 0, 0
  for _, t in ipairs(threads) do
    total_bad = total_bad + t:get("bad")
    total_checked = total_checked + t:get("checked")
  end
  io.write(string.format("BENCH bad=%d checked=%d requests=%d duration_us=%d socket_errors=%d\n",
    total_bad, total_checked, summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("BENCH p50=%d p95=%d p99=%d max=%d\n",
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
