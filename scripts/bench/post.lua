-- POST the same JSON body (the file named by $BENCH_BODY_FILE) to /graphql.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local f = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.path = "/graphql"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
