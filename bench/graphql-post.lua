-- wrk script for bench/foundation.sh: every request POSTs the registryStatus query to the URL
-- given on wrk's command line (…/graphql), over keep-alive connections.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"{ registryStatus { status version registryUrl } }"}'
