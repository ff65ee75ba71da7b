#!/usr/bin/env bash
# End-to-end benchmark: build the release binaries, create and fill a PostgreSQL database
# with the generated data set, start the floor server and the real server, load them
# with wrk at 10 connections (the API's scenarios and the resident site's municipality
# page), measure delivery throughput to a local SMTP sink, run the criterion benches, and
# print a markdown results table.
#
#   CARGO_TARGET_DIR=/work/bench-target scripts/bench/run.sh
#
# Knobs (environment): BENCH_PG_ADMIN (admin URL, default postgres://postgres@127.0.0.1:5432/postgres),
# BENCH_DB (database name, default bench; it is dropped and recreated), BENCH_DURATION
# (seconds per measured load, default 20), BENCH_TIP_DURATION (default 15), BENCH_WARMUP
# (default 3), BENCH_CONNECTIONS (default 10), BENCH_THREADS (wrk threads, default 2),
# BENCH_CRITERION (1 = run cargo bench, default 1), BENCH_DELIVERY_TIMEOUT (seconds, 600),
# BENCH_SMTP_POOL_SIZE and BENCH_DELIVERY_BATCH_SIZE (default: the server's defaults),
# BENCH_TIP_CLIENTS (client addresses per wrk thread in (c), default 20000), BENCH_DB_10X
# (database of the ten-times-larger set for the criterion snapshot build, default bench10).
# Results and logs go to $CARGO_TARGET_DIR/bench-run/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LUA_DIR="$ROOT/scripts/bench"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$CARGO_TARGET_DIR/bench-run"
BIN="$CARGO_TARGET_DIR/release"
PG_ADMIN="${BENCH_PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}"
DB_NAME="${BENCH_DB:-bench}"
DB_URL="${PG_ADMIN%/*}/$DB_NAME"
DURATION="${BENCH_DURATION:-20}"
TIP_DURATION="${BENCH_TIP_DURATION:-15}"
WARMUP="${BENCH_WARMUP:-3}"
CONNS="${BENCH_CONNECTIONS:-10}"
THREADS="${BENCH_THREADS:-2}"
SERVER_ADDR=127.0.0.1:8090
FLOOR_ADDR=127.0.0.1:8091
SMTP_ADDR=127.0.0.1:2525

mkdir -p "$OUT"
rm -f "$OUT"/*.log "$OUT"/*.txt "$OUT"/results.md
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

log() { printf '== %s\n' "$*" >&2; }
sql() { psql -X -q -t -A "$DB_URL" -c "$1"; }

# --- build ---------------------------------------------------------------------------
log "building release binaries into $CARGO_TARGET_DIR"
(cd "$ROOT" && cargo build --release -p server --bin server \
  --example generate_data --example floor --example smtp_sink)

# --- database ------------------------------------------------------------------------
if ! psql -X -q -t -A "$PG_ADMIN" -c 'SELECT 1' >/dev/null 2>&1; then
  echo "PostgreSQL does not answer at $PG_ADMIN" >&2
  exit 1
fi
log "recreating database $DB_NAME"
psql -X -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)"
psql -X -q "$PG_ADMIN" -c "CREATE DATABASE \"$DB_NAME\""
log "generating and importing the data set"
"$BIN/examples/generate_data" --out "$OUT/seed.toml" --database-url "$DB_URL" | tee "$OUT/generate.txt"
SLUG="$(sed -n 's/^target_slug=//p' "$OUT/generate.txt")"
sql "SELECT code FROM municipality ORDER BY code" >"$OUT/codes.txt"
DB_10X_URL="${PG_ADMIN%/*}/${BENCH_DB_10X:-bench10}"
if [ "${BENCH_CRITERION:-1}" = 1 ]; then
  log "generating and importing the ten-times-larger set (for the snapshot build bench)"
  psql -X -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS \"${BENCH_DB_10X:-bench10}\" WITH (FORCE)"
  psql -X -q "$PG_ADMIN" -c "CREATE DATABASE \"${BENCH_DB_10X:-bench10}\""
  "$BIN/examples/generate_data" --scale 10 --out "$OUT/seed10.toml" --database-url "$DB_10X_URL" |
    tee "$OUT/generate10.txt"
fi

# --- helpers -------------------------------------------------------------------------
wait_http() { # url
  for _ in $(seq 1 200); do
    curl -s -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "no answer from $1" >&2
  return 1
}
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
reset_hwm() { echo 5 >"/proc/$1/clear_refs" 2>/dev/null || true; }
field() { # name line
  sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"
}
# wrk against addr with a Lua script; extra env via the caller. Prints the RESULT line.
load() { # addr script seconds
  wrk -t"$THREADS" -c"$CONNS" -d"$3s" --timeout 10s -s "$LUA_DIR/$2" "http://$1" | grep '^RESULT'
}

start_server() { # log file, extra env assignments...
  local logfile="$1"
  shift
  env DATABASE_URL="$DB_URL" LISTEN_ADDR="$SERVER_ADDR" GRAPHIQL=false \
    MAIL_DIR="$OUT/mail" "$@" "$BIN/server" serve >"$logfile" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_http "http://$SERVER_ADDR/healthz"
}
stop() { # pid
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

RAISED=(TIP_LIMIT_PER_IP=1000000000 TIP_LIMIT_PER_IP_WINDOW_SECS=1
  TIP_LIMIT_PER_EMAIL=1000000000 TIP_LIMIT_PER_EMAIL_WINDOW_SECS=1
  TIP_LIMIT_GLOBAL=1000000000 TIP_LIMIT_GLOBAL_WINDOW_SECS=1)

# --- server for (a), (b), (c): tip limits raised, delivery worker off ------------------
# 127.0.0.1 is a trusted proxy, as a load balancer would be: (c) sends each tip with an
# X-Forwarded-For client address, so the per-IP limits run as they do for real residents.
log "starting the server (delivery worker off, tip limits raised)"
start_server "$OUT/server.log" DELIVERY_WORKER=false TRUSTED_PROXIES=127.0.0.1/32 "${RAISED[@]}"
IDLE_RSS_KB="$(rss_kb "$SERVER_PID")"

VARS_A="$(jq -cn --arg slug "$SLUG" '{slug: $slug}')"
jq -cn --rawfile q "$LUA_DIR/municipality.graphql" --argjson v "$VARS_A" \
  '{query: $q, variables: $v}' >"$OUT/body_a.json"
jq -cn --rawfile q "$LUA_DIR/promises.graphql" '{query: $q}' >"$OUT/body_b.json"
jq -cn --rawfile q "$LUA_DIR/municipality.graphql" --argjson v "$VARS_A" \
  '{query: ($q + "#CACHEBUST"), variables: $v}' >"$OUT/body_a_miss.json"
jq -cn --rawfile q "$LUA_DIR/promises.graphql" '{query: ($q + "#CACHEBUST")}' >"$OUT/body_b_miss.json"

curl -sf -H 'Content-Type: application/json' --data-binary @"$OUT/body_a.json" \
  "http://$SERVER_ADDR/graphql" -o "$OUT/response_a.json"
curl -sf -H 'Content-Type: application/json' --data-binary @"$OUT/body_b.json" \
  "http://$SERVER_ADDR/graphql" -o "$OUT/response_b.json"
sed 's/CACHEBUST/check/' "$OUT/body_a_miss.json" | curl -sf -H 'Content-Type: application/json' \
  --data-binary @- "http://$SERVER_ADDR/graphql" -o "$OUT/response_a_miss.json"
# Compared as JSON: the order of keys may differ between two executions.
cmp -s <(jq -S . "$OUT/response_a.json") <(jq -S . "$OUT/response_a_miss.json") || {
  echo "the cache-miss variant of (a) answers differently" >&2
  exit 1
}
for r in a b; do
  if jq -e '.errors' "$OUT/response_$r.json" >/dev/null; then
    echo "scenario ($r) returned errors:" >&2
    cat "$OUT/response_$r.json" >&2
    exit 1
  fi
done
A_PROMISES="$(jq '.data.municipality.promises.nodes | length' "$OUT/response_a.json")"
A_FOCUS="$(jq '[.data.municipality.promises.nodes[].focusAreas[]] | length' "$OUT/response_a.json")"
A_COMMIT="$(jq '[.data.municipality.promises.nodes[].focusAreas[].commitments[]] | length' "$OUT/response_a.json")"
A_CONTACTS="$(jq '.data.municipality.contacts | length' "$OUT/response_a.json")"
A_BYTES="$(wc -c <"$OUT/response_a.json")"
B_PROMISES="$(jq '.data.promises.nodes | length' "$OUT/response_b.json")"
B_BYTES="$(wc -c <"$OUT/response_b.json")"
log "(a) $SLUG: $A_PROMISES active promises, $A_FOCUS focus areas, $A_COMMIT commitments, $A_CONTACTS contacts, $A_BYTES bytes"
log "(b) $B_PROMISES promises, $B_BYTES bytes"

# (w) the same municipality's page on the resident site, gzip-compressed as browsers ask.
W_PATH="/kommun/$SLUG"
curl -sf -H 'Accept-Encoding: gzip' -D "$OUT/page_w.headers" -o "$OUT/page_w.gz" \
  "http://$SERVER_ADDR$W_PATH" || {
  echo "the municipality page $W_PATH does not answer (WEB_UI off?)" >&2
  exit 1
}
grep -qi '^content-encoding: *gzip' "$OUT/page_w.headers" || {
  echo "the municipality page $W_PATH is not served gzip-compressed" >&2
  exit 1
}
gzip -dc "$OUT/page_w.gz" >"$OUT/page_w.html"
grep -q '<html lang="sv">' "$OUT/page_w.html" || {
  echo "the municipality page $W_PATH is not the resident site's page" >&2
  exit 1
}
W_BYTES="$(wc -c <"$OUT/page_w.html")"
W_GZ_BYTES="$(wc -c <"$OUT/page_w.gz")"
log "(w) $W_PATH: $W_BYTES bytes of HTML, $W_GZ_BYTES gzip-compressed"

log "starting the floor server with the (a) response bytes"
"$BIN/examples/floor" --listen "$FLOOR_ADDR" --body "$OUT/response_a.json" >"$OUT/floor.log" 2>&1 &
FLOOR_PID=$!
PIDS+=("$FLOOR_PID")
wait_http "http://$FLOOR_ADDR/"
cmp -s <(curl -s -X POST -H 'Content-Type: application/json' --data-binary @"$OUT/body_a.json" \
  "http://$FLOOR_ADDR/graphql") "$OUT/response_a.json" || {
  echo "the floor does not return the (a) bytes" >&2
  exit 1
}

export BENCH_LUA_DIR="$LUA_DIR" BENCH_CODES_FILE="$OUT/codes.txt"

declare -A RES
measure() { # name pid addr script seconds [body file]
  local name="$1" pid="$2" addr="$3" script="$4" secs="$5"
  export BENCH_BODY_FILE="${6:-}"
  log "$name: warm-up ${WARMUP}s, then ${secs}s at $CONNS connections"
  reset_hwm "$pid"
  load "$addr" "$script" "$WARMUP" >/dev/null
  # Requests still in flight when wrk stops finish within a second; count tips after that.
  if [[ "$name" == c* ]]; then sleep 1 && RES[$name.tips_before]="$(sql 'SELECT COUNT(*) FROM tip')"; fi
  local line
  line="$(load "$addr" "$script" "$secs")"
  if [[ "$name" == c* ]]; then sleep 1 && RES[$name.tips_after]="$(sql 'SELECT COUNT(*) FROM tip')"; fi
  echo "$name $line" | tee -a "$OUT/wrk.txt" >&2
  RES[$name.line]="$line"
  RES[$name.hwm]="$(hwm_kb "$pid")"
}

measure floor "$FLOOR_PID" "$FLOOR_ADDR" post.lua "$DURATION" "$OUT/body_a.json"
measure a "$SERVER_PID" "$SERVER_ADDR" post.lua "$DURATION" "$OUT/body_a.json"
measure am "$SERVER_PID" "$SERVER_ADDR" post_unique.lua "$DURATION" "$OUT/body_a_miss.json"
measure b "$SERVER_PID" "$SERVER_ADDR" post.lua "$DURATION" "$OUT/body_b.json"
measure bm "$SERVER_PID" "$SERVER_ADDR" post_unique.lua "$DURATION" "$OUT/body_b_miss.json"
export BENCH_PATH="$W_PATH"
measure w "$SERVER_PID" "$SERVER_ADDR" get_page.lua "$DURATION"

# (a) again while an editor changes the target's promise every second: each edit moves the
# catalogue version, so the response cache starts over and the snapshot is rebuilt under load.
EDITOR_TOKEN="$(env DATABASE_URL="$DB_URL" "$BIN/server" token create --role editor \
  --municipality "$SLUG" --name bench-editor | tail -n 1)"
PROMISE_ID="$(jq -r '.data.municipality.promises.nodes[0].id' "$OUT/response_a.json")"
edit_every_second() {
  local n=0
  while [ -e "$OUT/editing" ]; do
    n=$((n + 1))
    jq -cn --arg id "$PROMISE_ID" --arg t "Medborgarlöfte, redigering $n" \
      '{query: "mutation($i: UpdatePromiseInput!) { updatePromise(input: $i) { promise { id title } } }",
        variables: {i: {id: $id, title: $t}}}' |
      curl -s -H "Authorization: Bearer $EDITOR_TOKEN" -H 'Content-Type: application/json' \
        --data-binary @- "http://$SERVER_ADDR/graphql" >>"$OUT/edits.txt" ||
      echo "curl failed" >>"$OUT/edits.txt"
    echo >>"$OUT/edits.txt"
    sleep 1
  done
}
: >"$OUT/edits.txt"
touch "$OUT/editing"
edit_every_second &
EDIT_PID=$!
PIDS+=("$EDIT_PID")
measure ae "$SERVER_PID" "$SERVER_ADDR" post.lua "$DURATION" "$OUT/body_a.json"
rm -f "$OUT/editing"
wait "$EDIT_PID"
EDITS_OK="$(grep -c '"updatePromise":{"promise":{"id"' "$OUT/edits.txt" || true)"
EDITS_ALL="$(grep -c . "$OUT/edits.txt" || true)"
[ "$EDITS_OK" -gt 0 ] && [ "$EDITS_OK" -eq "$EDITS_ALL" ] || {
  echo "the edits during (a) did not all succeed ($EDITS_OK of $EDITS_ALL):" >&2
  head -3 "$OUT/edits.txt" >&2
  exit 1
}
log "(a) with an edit every second: $EDITS_OK edits, all accepted"
export BENCH_TIP_CLIENTS="${BENCH_TIP_CLIENTS:-20000}"
measure c "$SERVER_PID" "$SERVER_ADDR" submit_tip.lua "$TIP_DURATION"
# The same load from one address: the shared per-IP window then holds every tip of the
# last second, and each check counts them. Reported, not a target.
BENCH_TIP_CLIENTS=1 measure c1 "$SERVER_PID" "$SERVER_ADDR" submit_tip.lua "$TIP_DURATION"
# Each step resets the high-water mark before it runs, so the process's peak is the
# largest of the steps' marks (the mark read now covers only the last step).
SERVER_PEAK_KB="$(hwm_kb "$SERVER_PID")"
for step in a am b bm w ae c c1; do
  [ "${RES[$step.hwm]}" -gt "$SERVER_PEAK_KB" ] && SERVER_PEAK_KB="${RES[$step.hwm]}"
done
stop "$FLOOR_PID"
stop "$SERVER_PID"

tips_per_s() { # name
  awk -v n="$((RES[$1.tips_after] - RES[$1.tips_before]))" -v us="$(field duration_us "${RES[$1.line]}")" \
    'BEGIN {printf "%.1f", n / (us / 1e6)}'
}
tips_cell() { # name
  local n=$((RES[$1.tips_after] - RES[$1.tips_before]))
  echo "$n in $(awk -v u="$(field duration_us "${RES[$1.line]}")" 'BEGIN {printf "%.2f", u / 1e6}') s = **$(tips_per_s "$1") tips/s**"
}
TIPS_PER_S="$(tips_per_s c)"
log "(c) accepted tips: $(tips_cell c); from one address: $(tips_cell c1)"

# --- delivery: everything (c) queued, sent to a local SMTP sink ------------------------
PENDING="$(sql "SELECT COUNT(*) FROM delivery WHERE status = 'PENDING'")"
log "delivery: $PENDING pending emails; starting the SMTP sink and the server with the worker on"
"$BIN/examples/smtp_sink" --listen "$SMTP_ADDR" >"$OUT/smtp_sink.log" 2>&1 &
SINK_PID=$!
PIDS+=("$SINK_PID")
sleep 0.3
DELIVERY_ENV=(DELIVERY_WORKER=true SMTP_URL="smtp://$SMTP_ADDR")
[ -n "${BENCH_SMTP_POOL_SIZE:-}" ] && DELIVERY_ENV+=(SMTP_POOL_SIZE="$BENCH_SMTP_POOL_SIZE")
[ -n "${BENCH_DELIVERY_BATCH_SIZE:-}" ] && DELIVERY_ENV+=(DELIVERY_BATCH_SIZE="$BENCH_DELIVERY_BATCH_SIZE")
DELIVERY_START_DB="$(sql "SELECT now()")"
START_NS="$(date +%s%N)"
start_server "$OUT/server-delivery.log" "${DELIVERY_ENV[@]}"
DEADLINE=$(($(date +%s) + ${BENCH_DELIVERY_TIMEOUT:-600}))
while :; do
  LEFT="$(sql "SELECT COUNT(*) FROM delivery WHERE status = 'PENDING'")"
  [ "$LEFT" -eq 0 ] && break
  if [ "$(date +%s)" -ge "$DEADLINE" ]; then
    log "delivery timed out with $LEFT pending"
    break
  fi
  sleep 0.1
done
END_NS="$(date +%s%N)"
DELIVERY_PEAK_KB="$(hwm_kb "$SERVER_PID")"
stop "$SERVER_PID"
sleep 1.1 # let the sink print its final count
stop "$SINK_PID"
read -r SENT SPAN_S DEAD <<<"$(sql "SELECT COUNT(*) FILTER (WHERE status = 'SENT' AND sent_at >= '$DELIVERY_START_DB'),
  COALESCE(EXTRACT(EPOCH FROM MAX(sent_at) FILTER (WHERE sent_at >= '$DELIVERY_START_DB')
    - MIN(sent_at) FILTER (WHERE sent_at >= '$DELIVERY_START_DB')), 0),
  COUNT(*) FILTER (WHERE status = 'DEAD') FROM delivery" | tr '|' ' ')"
WALL_S="$(awk -v a="$START_NS" -v b="$END_NS" 'BEGIN {printf "%.3f", (b - a) / 1e9}')"
SINK_COUNT="$(sed -n 's/^received \([0-9]*\) messages.*/\1/p' "$OUT/smtp_sink.log" | tail -1)"
EMAILS_WALL="$(awk -v n="$SENT" -v s="$WALL_S" 'BEGIN {printf "%.1f", (s > 0 ? n / s : 0)}')"
EMAILS_SPAN="$(awk -v n="$SENT" -v s="$SPAN_S" 'BEGIN {printf "%.1f", (s > 0 ? (n - 1) / s : 0)}')"
log "delivery: $SENT sent (sink received ${SINK_COUNT:-0}, $DEAD dead) in $WALL_S s wall = $EMAILS_WALL/s; first-to-last sent_at $SPAN_S s = $EMAILS_SPAN/s"

# --- criterion -----------------------------------------------------------------------
if [ "${BENCH_CRITERION:-1}" = 1 ]; then
  log "criterion benches (in-process, same database)"
  (cd "$ROOT" && BENCH_DATABASE_URL="$DB_URL" BENCH_SLUG="$SLUG" \
    BENCH_DATABASE_URL_10X="$DB_10X_URL" cargo bench -p server --bench queries 2>&1) |
    tee "$OUT/criterion.txt" >&2 ||
    log "criterion benches failed (see $OUT/criterion.txt); continuing with the report"
fi

# --- report --------------------------------------------------------------------------
FLOOR_RPS="$(field rps "${RES[floor.line]}")"
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
ms() { awk -v u="$1" 'BEGIN {printf "%.2f", u / 1000}'; }
row() { # name label target-check
  local line="${RES[$1.line]}" rps p50 p99 ratio
  rps="$(field rps "$line")"
  p50="$(field p50_us "$line")"
  p99="$(field p99_us "$line")"
  ratio="$(awk -v a="$rps" -v f="$FLOOR_RPS" 'BEGIN {printf "%.3f", a / f}')"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$2" "$rps" "$(ms "$p50")" \
    "$(ms "$p99")" "$(mb "${RES[$1.hwm]}")" "$ratio" "$(field non2xx "$line")" "$3"
}
verdict() { awk "BEGIN {print ($1) ? \"met\" : \"MISSED\"}"; }
A_LINE="${RES[a.line]}"
A_RATIO="$(awk -v a="$(field rps "$A_LINE")" -v f="$FLOOR_RPS" 'BEGIN {print a / f}')"
{
  echo "### Load (wrk, $THREADS threads, $CONNS connections, ${DURATION}s per run, (c) ${TIP_DURATION}s, after ${WARMUP}s warm-up)"
  echo
  echo "Run at $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), commit $(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet HEAD -- server/src || echo ' + uncommitted server changes')."
  echo
  echo "| scenario | req/s | p50 ms | p99 ms | peak RSS MB | ratio to floor | non-2xx | target |"
  echo "|---|---|---|---|---|---|---|---|"
  row floor "floor: plain axum, (a) bytes" "-"
  row a "(a) municipality \`$SLUG\`, full tree (same request: response cache hits)" "≥ 25 % of floor and p99 < 5 ms: $(verdict "$A_RATIO >= 0.25 && $(field p99_us "$A_LINE") < 5000")"
  row am "(a) again, every request a different text (unique query comment: cache misses)" "≥ 0.10 of floor and p99 < 5 ms: $(verdict "$(field rps "${RES[am.line]}") / $FLOOR_RPS >= 0.10 && $(field p99_us "${RES[am.line]}") < 5000")"
  row ae "(a) same text, an editor changes the promise every second ($EDITS_OK edits)" "p99 < 10 ms: $(verdict "$(field p99_us "${RES[ae.line]}") < 10000")"
  row b "(b) promises(first: 50) with focus areas (same text)" "p99 < 20 ms: $(verdict "$(field p99_us "${RES[b.line]}") < 20000")"
  row bm "(b) again, every request a different text" "≥ 0.03 of floor: $(verdict "$(field rps "${RES[bm.line]}") / $FLOOR_RPS >= 0.03")"
  row w "(w) resident site: GET \`$W_PATH\`, HTML gzip-compressed ($W_GZ_BYTES bytes)" "reported; page < 50 KB compressed: $(verdict "$W_GZ_BYTES < 51200")"
  row c "(c) submitTip, limits raised, $BENCH_TIP_CLIENTS client addresses per wrk thread (HTTP)" "see below"
  row c1 "(c) again, every tip from one address (HTTP)" "reported only"
  echo
  echo "| measure | value | target |"
  echo "|---|---|---|"
  echo "| (c) tips accepted (counted in the database) | $(tips_cell c) | ≥ 1,000/s: $(verdict "$TIPS_PER_S >= 1000") |"
  echo "| (c) from one address, tips accepted | $(tips_cell c1) | reported only |"
  echo "| delivery to local SMTP sink | $SENT emails ($DEAD dead, sink counted ${SINK_COUNT:-0}) in $WALL_S s wall = **$EMAILS_WALL emails/s** (first-to-last \`sent_at\`: $EMAILS_SPAN/s) | ≥ 200/s: $(verdict "$EMAILS_WALL >= 200") |"
  echo "| server peak RSS, (a)+(b)+(c) process (with the edits; the largest of the steps) | $(mb "$SERVER_PEAK_KB") MB (idle after start: $(mb "$IDLE_RSS_KB") MB) | < 100 MB: $(verdict "$SERVER_PEAK_KB < 102400") |"
  echo "| server peak RSS, delivery process | $(mb "$DELIVERY_PEAK_KB") MB | < 100 MB: $(verdict "$DELIVERY_PEAK_KB < 102400") |"
  echo "| (a) response | $A_PROMISES active promises, $A_FOCUS focus areas, $A_COMMIT commitments, $A_CONTACTS contacts, $A_BYTES bytes | |"
  echo "| (b) response | $B_PROMISES promises, $B_BYTES bytes | |"
  echo "| (w) page | \`$W_PATH\`: $W_BYTES bytes of HTML, $W_GZ_BYTES bytes gzip-compressed | < 50 KB compressed: $(verdict "$W_GZ_BYTES < 51200") |"
  echo
  echo "Data set: $(head -1 "$OUT/generate.txt" | sed 's/^wrote [^:]*: //')"
  echo
  echo "Import: $(grep '^parsed' "$OUT/generate.txt")"
  if [ -f "$OUT/criterion.txt" ]; then
    echo
    echo "### Criterion (in-process \`Schema::execute\`, no HTTP)"
    echo
    echo "| benchmark | time per operation [low, estimate, high] |"
    echo "|---|---|"
    awk '/^[a-z0-9_]+(\/[a-z0-9_]+)?[ ]*$/ {name=$1} /^[a-z0-9_]+(\/[a-z0-9_]+)? +time:/ {name=$1}
         /time:/ {sub(/.*time: +/, ""); print "| " name " | " $0 " |"}' "$OUT/criterion.txt"
    echo
    echo "SQL statements per operation: $(sed -n 's/^statements //p' "$OUT/criterion.txt" | tr '\n' ' ')"
    echo
    echo "Snapshot in memory (bytes the allocator holds for it): $(sed -n 's/^\(snapshot_build[a-z0-9_]*\) rows=\([0-9]*\) text_bytes=[0-9]* heap_bytes=\([0-9]*\)/\1: \2 rows, \3 bytes;/p' "$OUT/criterion.txt" | tr '\n' ' ')"
    [ -f "$OUT/generate10.txt" ] && echo && echo "Ten-times set: $(head -1 "$OUT/generate10.txt" | sed 's/^wrote [^:]*: //')"
  fi
} | tee "$OUT/results.md"
