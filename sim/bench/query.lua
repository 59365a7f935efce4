-- wrk -t2 -c64 -d10s -s sim/bench/query.lua http://127.0.0.1:PORT
-- set UNIQUE_ID to an existing order's uniqueId (see sim/README.md)
local uid = os.getenv("UNIQUE_ID") or "57cacee629a94aa4959bcfb1b939a472"
wrk.method = "POST"
wrk.path = "/gateway/recipe/querySignDataByUniqueId"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"head":{"clientId":"2017070411003376"},"body":{"uniqueId":"' .. uid .. '"}}'
