#!/usr/bin/env bash
# Verify endpoint under load while ingest runs (issue 9; docs/serve.md).
#
# Against the local stack (make services, deploy/env.sh sourced): starts
# `burdenwatch serve` on its own port and database, loads a simulated
# province, publishes BENCH_SERVE_SCALE × a province-year more, and drives
# GET /api/v1/verify at BENCH_SERVE_RATE req/s (open loop) with
# internal/loadgen/verifyload while `ingest --until-idle` consumes that
# backlog; then once more with ingest idle. Prints one line per run.
#
# Environment: BURDENWATCH_BIN (bin/burdenwatch), BENCH_SERVE_DB
# (bw_bench_serve; created by migrate, reused), BENCH_SERVE_LISTEN
# (127.0.0.1:18481), BENCH_SERVE_RATE (5000), BENCH_SERVE_SCALE (30),
# BENCH_SERVE_SECONDS (15), BENCH_SERVE_INGEST_NICE (0: the niceness ingest
# runs at, to give serve the CPU first when both share the cores).
# It leaves the database and the topic bench-serve.events (≈ 1 M messages
# per run, bounded by the broker's retention) for the next run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
if [[ -f deploy/env.sh ]]; then
	# shellcheck source=/dev/null
	. deploy/env.sh
fi
BW=${BURDENWATCH_BIN:-bin/burdenwatch}
DBNAME=${BENCH_SERVE_DB:-bw_bench_serve}
LISTEN=${BENCH_SERVE_LISTEN:-127.0.0.1:18481}
RATE=${BENCH_SERVE_RATE:-5000}
SCALE=${BENCH_SERVE_SCALE:-30}
SECONDS_=${BENCH_SERVE_SECONDS:-15}
NICE=${BENCH_SERVE_INGEST_NICE:-0}
export BURDENWATCH_CLICKHOUSE=clickhouse://default@127.0.0.1:19000/$DBNAME
export BURDENWATCH_TOPIC=bench-serve.events
export BURDENWATCH_GROUP=bench-serve-ingest
LOG=$(mktemp -d)
go build -o "$LOG/verifyload" ./internal/loadgen/verifyload

"$BW" migrate >/dev/null
"$BW" refdata load refdata/default >/dev/null
"$BW" simulate --province 43 --year 2025 >/dev/null 2>&1
"$BW" ingest --until-idle >/dev/null 2>&1

"$BW" serve --listen "$LISTEN" >"$LOG/serve.log" 2>&1 &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null || true' EXIT
for _ in $(seq 300); do
	curl -sf "http://$LISTEN/readyz" >/dev/null && break
	sleep 0.2
done
"$BW" codes sample --count 500 >"$LOG/queries.tsv"
echo "verify queries: $(wc -l <"$LOG/queries.tsv") (accept $(grep -c '^accept' "$LOG/queries.tsv" || true))"

"$BW" simulate --province 43 --year 2025 --scale "$SCALE" --seed 2 >/dev/null 2>&1
sleep 3 # serve's follower decodes the new backlog too; let it catch up first
echo "load: $(uptime)"
(nice -n "$NICE" "$BW" ingest --until-idle >"$LOG/ingest.log" 2>&1) &
ingest_pid=$!
echo -n "while ingest runs (nice $NICE): "
"$LOG/verifyload" --base "http://$LISTEN" --rate "$RATE" --concurrency 64 --warmup 1s --duration "${SECONDS_}s" <"$LOG/queries.tsv" || true
wait "$ingest_pid"
grep -E '^消息' "$LOG/ingest.log" | sed 's/^/ingest: /'
echo -n "ingest idle:       "
"$LOG/verifyload" --base "http://$LISTEN" --rate "$RATE" --concurrency 64 --warmup 1s --duration "${SECONDS_}s" <"$LOG/queries.tsv" || true
echo -n "closed loop:       "
"$LOG/verifyload" --base "http://$LISTEN" --concurrency 8 --warmup 1s --duration 10s <"$LOG/queries.tsv" || true
