#!/usr/bin/env bash
# BurdenWatch benchmarks (make bench), against the local services
# (deploy/clickhouse.sh, deploy/broker.sh). The one honest record of speed:
# docs/benchmarks.md is written from its output.
#
# 1. Ingest: a fixed file of ~931k simulated event messages (generated once,
#    deterministic seed) is published once to a fresh topic; then, three
#    times alternately, A: ingest it end to end (Kafka → validation →
#    ClickHouse) with a new consumer group into a fresh database, in its own
#    process (peak RSS, CPU µs per message, the broker's CPU µs per
#    message), and B: load the same valid events, flattened beforehand, with
#    clickhouse-client FORMAT JSONEachRow into a fresh database. Medians and
#    their ratio. Then peak RSS on a backlog of 1,000 × 1 MB messages.
# 2. Transform: the transform package's benchmarks (full recompute of the
#    synthetic 1M-event province-year, or 10M with BURDENWATCH_BENCH_BIG=1;
#    the incremental month), which print their read floor and peak RSS beside them.
# 3. Serve: GET /api/v1/verify at 5,000 req/s while ingest consumes a
#    backlog and with ingest idle: p50/p99 and requests/s.
# It ends with a summary a script can read, one figure a line.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH=/usr/local/go/bin:$PATH
[[ -f deploy/env.sh ]] && source deploy/env.sh
BENCH_DIR=${BURDENWATCH_BENCH_DIR:-var/bench}
FILE=$BENCH_DIR/events-1m.jsonl
SCALE=${BURDENWATCH_BENCH_SCALE:-30}
PORT=${BURDENWATCH_CH_TCP_PORT:-19000}
PASSWORD_FILE=${BURDENWATCH_CLICKHOUSE_PASSWORD_FILE:-}
[[ -r $PASSWORD_FILE ]] || PASSWORD_FILE=""
# clickhouse-client through deploy/clickhouse.sh: the password comes from its
# 0600 client config, never the command line.
CLIENT="deploy/clickhouse.sh client"
BROKER_PID=$(cat var/broker/broker.pid 2>/dev/null || echo 0)
mkdir -p "$BENCH_DIR" bin
echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
go build -o bin/benchtool ./internal/benchtool
if [[ ! -s $FILE ]]; then
	echo "== generating the fixed event file $FILE (province 43, scale $SCALE, seed 20251)"
	go build -o bin/burdenwatch ./cmd/burdenwatch
	bin/burdenwatch simulate --province 43 --scale "$SCALE" --seed 20251 --file "$FILE" >/dev/null
fi
echo "== ingest benchmark"
OUT=$BENCH_DIR/ingest.out
SERVER_PID=$(cat var/clickhouse/clickhouse.pid 2>/dev/null || echo 0)
bin/benchtool -file "$FILE" -brokers 127.0.0.1:9092 -broker-pid "$BROKER_PID" -server-pid "$SERVER_PID" \
	-clickhouse "clickhouse://default@127.0.0.1:$PORT/" ${PASSWORD_FILE:+-password-file "$PASSWORD_FILE"} \
	-client "$CLIENT" -work "$BENCH_DIR" | tee "$OUT"
echo
echo "== transform benchmarks (load average $(cut -d' ' -f1-3 /proc/loadavg))"
TOUT=$BENCH_DIR/transform.out
go test -run '^$' -bench . -benchtime 1x -timeout 60m ./transform/ 2>&1 | tee "$TOUT" | grep -E '^(Benchmark|ok|FAIL|PASS|transform )' || true
echo
echo "== verify endpoint under load while ingest runs (internal/loadgen/bench.sh; load average $(cut -d' ' -f1-3 /proc/loadavg))"
SOUT=$BENCH_DIR/serve.out
go build -o bin/burdenwatch ./cmd/burdenwatch
BURDENWATCH_BIN=bin/burdenwatch internal/loadgen/bench.sh 2>&1 | tee "$SOUT" || echo "verify benchmark failed (see above)"
echo
echo "== summary"
grep -E '^(ratio ingest/direct|ingest events/s):' "$OUT"
grep -E '^transform (full (1|10)M|incremental month) (s|peak RSS MiB):' "$TOUT" | sort -u || echo "transform full 1M s: not measured"
grep -E '^ingest peak RSS MiB:' "$OUT"
sed -n 's/^while ingest runs[^:]*: /verify while ingest runs: /p; s/^ingest idle: */verify ingest idle: /p' "$SOUT" || true
