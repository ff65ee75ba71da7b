-- Like post.lua, but every request differs: the body template ($BENCH_BODY_FILE) ends its
-- query with the GraphQL comment "#CACHEBUST", replaced here by a per-request number. The
-- server's response cache keys on the query text, so every request is a cache miss and
-- runs the full GraphQL execution against the database.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local f = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
local template = f:read("*a")
f:close()
local head, tail = template:match("^(.-)CACHEBUST(.*)$")
assert(head, "the body template has no CACHEBUST marker")

local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  threads[#threads + 1] = thread
end

local n = 0
function request()
  n = n + 1
  local body = head .. (tid or 0) .. "-" .. n .. tail
  return wrk.format("POST", "/graphql", { ["Content-Type"] = "application/json" }, body)
end
