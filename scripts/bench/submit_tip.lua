-- submitTip with a different message for every request, spread over all municipalities
-- (kommunkoder, one per line, in $BENCH_CODES_FILE); every other tip carries a
-- resident email (a receipt is then queued too).
--
-- Residents send from many addresses: each request carries an X-Forwarded-For address
-- out of $BENCH_TIP_CLIENTS (default 20000) per wrk thread, as a reverse proxy in front
-- of the server would add (the server trusts 127.0.0.1 as a proxy in this run). With
-- BENCH_TIP_CLIENTS=1 no header is sent and every tip comes from 127.0.0.1.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local codes = {}
for line in io.lines(os.getenv("BENCH_CODES_FILE")) do
  if #line > 0 then codes[#codes + 1] = line end
end
local clients = tonumber(os.getenv("BENCH_TIP_CLIENTS") or "20000")
local kinds = { "OPINION", "TIP", "IDEA" }
local query = "mutation SubmitTip($input: SubmitTipInput!) { submitTip(input: $input) " ..
  "{ tip { reference status } statusToken } }"

local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  threads[#threads + 1] = thread
end

local n = 0
function request()
  n = n + 1
  local tid = tid or 0
  local code = codes[((n * 7 + tid) % #codes) + 1]
  local email = ""
  if n % 2 == 0 then
    email = string.format(', "email": "boende.%d.%d@example.se"', tid, n)
  end
  local body = string.format(
    '{"query": "%s", "variables": {"input": {"municipality": "%s", "kind": "%s", ' ..
    '"message": "Lasttest %d-%d: gatubelysningen vid busshållplatsen är trasig och ' ..
    'det känns otryggt att gå hem på kvällen."%s}}}',
    query, code, kinds[(n % 3) + 1], tid, n, email)
  local headers = { ["Content-Type"] = "application/json" }
  if clients > 1 then
    local c = n % clients
    headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", tid, math.floor(c / 256) % 256, c % 256)
  end
  return wrk.format("POST", "/graphql", headers, body)
end
