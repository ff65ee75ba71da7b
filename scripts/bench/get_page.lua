-- GET one page of the resident site ($BENCH_PATH, e.g. /kommun/<slug>), asking for gzip
-- as browsers do.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

wrk.method = "GET"
wrk.path = assert(os.getenv("BENCH_PATH"), "BENCH_PATH is not set")
wrk.headers["Accept-Encoding"] = "gzip"
wrk.headers["Accept"] = "text/html"
