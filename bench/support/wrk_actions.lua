-- wrk script for bench/httpActions.ts (support/wrkLoop.ts): POSTs one Shield action per
-- request, each with a comment id of its own, and prints one JSON line of figures at the
-- end. The bench passes its settings in the environment (the token never on a command line).
local organization = os.getenv("BENCH_ORGANIZATION_ID")
local comments = os.getenv("BENCH_COMMENT_PREFIX")
local offenders = os.getenv("BENCH_USER_PREFIX")
local users = tonumber(os.getenv("BENCH_USERS"))
local counter = 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")

request = function()
  counter = counter + 1
  local body = string.format(
    '{"organization_id":"%s","comment":{"id":"%s-c%d","platform":"twitter","platform_user_id":"%s-u%d",' ..
      '"platform_username":"bench_user","text":"synthetic"},"action_tags":["hide_comment","add_strike_1",' ..
      '"check_reincidence"],"metadata":{"toxicity_score":0.9,"source":"shipcheck-bench"}}',
    organization, comments, counter, offenders, counter % users)
  return wrk.format(nil, nil, nil, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,' ..
      '"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%f}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end
