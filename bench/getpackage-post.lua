-- wrk script for bench/publish.sh: every request POSTs the CLI's GetPackage query to the URL on
-- wrk's command line (…/graphql) over keep-alive connections, and every answer is checked.
--
-- Environment: WRK_BODY_FILE (the JSON request body, written by publish_driver.py),
-- WRK_API_KEY (sent as X-API-Key when set and not empty), WRK_EXPECT_CANONICAL ("1": the answer
-- must carry canonicalPackageFile as well; otherwise it must be null, as for an anonymous reader).
-- At the end it prints "bad answers: N": answers that were not HTTP 200, had "errors", or lacked
-- the package file(s).

local file = assert(io.open(os.getenv("WRK_BODY_FILE"), "rb"))
local body = file:read("*a")
file:close()

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = body
local key = os.getenv("WRK_API_KEY")
if key and key ~= "" then
    wrk.headers["X-API-Key"] = key
end

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    bad = 0
    expect_canonical = os.getenv("WRK_EXPECT_CANONICAL") == "1"
end

function response(status, headers, answer)
    local ok = status == 200
        and string.find(answer, '"packageFile":"', 1, true) ~= nil
        and string.find(answer, '"errors":', 1, true) == nil
    if ok then
        local canonical = string.find(answer, '"canonicalPackageFile":"', 1, true) ~= nil
        local null = string.find(answer, '"canonicalPackageFile":null', 1, true) ~= nil
        if expect_canonical then ok = canonical else ok = null end
    end
    if not ok then
        bad = bad + 1
    end
end

function done(summary, latency, requests)
    local total = 0
    for _, thread in ipairs(threads) do
        total = total + thread:get("bad")
    end
    io.write(string.format("bad answers: %d\n", total))
end
