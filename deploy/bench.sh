#!/usr/bin/env bash
# BurdenWatch benchmarks (make bench), against the local services.
#
# 1. Ingest: a fixed file of ~1M simulated event messages (generated once,
#    deterministic seed) is published to a fresh topic and ingested end to
#    end (Kafka → validation → ClickHouse); the same events, flattened, are
#    loaded with clickhouse-client FORMAT JSONEachRow; both rates and their
#    ratio are printed.
# 2. Transform: full recompute and one-month incremental recompute
#    (go test -bench in transform and rules).
# Results are recorded by hand in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH=/usr/local/go/bin:$PATH
BENCH_DIR=${BURDENWATCH_BENCH_DIR:-var/bench}
FILE=$BENCH_DIR/events-1m.jsonl
SCALE=${BURDENWATCH_BENCH_SCALE:-30}
mkdir -p "$BENCH_DIR"
go build -o bin/burdenwatch ./cmd/burdenwatch
if [[ ! -s $FILE ]]; then
	echo "== generating the fixed event file $FILE (province 43, scale $SCALE, seed 20251)"
	bin/burdenwatch simulate --province 43 --scale "$SCALE" --seed 20251 --file "$FILE" >/dev/null
fi
echo "== ingest benchmark"
go run ./internal/benchtool -file "$FILE" -brokers 127.0.0.1:9092 \
	-clickhouse clickhouse://default:@127.0.0.1:19000/ \
	-client "$(command -v clickhouse-client) --port ${BURDENWATCH_CH_TCP_PORT:-19000}" -work "$BENCH_DIR"
echo
echo "== transform and rules benchmarks"
go test -run '^$' -bench . -benchtime 3x ./transform/ ./rules/ 2>&1 | grep -E '^(Benchmark|ok|FAIL|PASS)' || true
