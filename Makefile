# BurdenWatch. `make run` and `make test` work on a fresh Debian 12 machine
# (root, Go, no services): they install and start what they need.

export PATH := /usr/local/go/bin:$(PATH)
GO ?= go
BIN := bin/burdenwatch

.PHONY: all build run test unit race fuzz bench setup services tools stop clean vet cluster cluster-run test-cluster bench-cluster serve

all: build

build:
	$(GO) build -o $(BIN) ./cmd/burdenwatch

# Services the pipeline needs: ClickHouse (installed from Debian if missing,
# started without systemd) and the embedded development broker.
services: build
	deploy/clickhouse.sh start
	deploy/broker.sh start

# Tools for the PDF report and the independent Parquet reader in tests.
tools:
	deploy/install-report-tools.sh
	export/testdata/duckdb/setup.sh

setup: services tools

# The main job end to end on a simulated province. Recipes that talk to
# ClickHouse source deploy/env.sh: BURDENWATCH_CLICKHOUSE_PASSWORD_FILE.
run: setup
	. deploy/env.sh && deploy/run.sh

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt needed'; exit 1; }

unit:
	. deploy/env.sh && $(GO) test -count=1 -timeout 20m ./...

# The race detector over the packages that read, evaluate and write side by
# side (about a minute more; ingest passes too, but takes 90 s under -race).
race:
	. deploy/env.sh && $(GO) test -race -count=1 -timeout 20m ./clickhouse/ ./transform/ ./rules/

# Execution-count budgets (about 20 s each here), not durations: with a
# duration, Go 1.26's fuzz coordinator can report a spurious "context
# deadline exceeded" when -fuzztime expires under load (go.dev/issue/75804,
# fixed in Go 1.27); a count has no deadline to race.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime 1000000x .
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeFields$$' -fuzztime 400000x .

# Every test, against real ClickHouse and a real broker, then the cluster
# suite (ZooKeeper, 2 shards x 2 replicas, 3 brokers; about a minute).
test: setup vet unit race fuzz test-cluster

# The test cluster (left running by `make test`) is stopped first: its
# idle servers merge and poll ZooKeeper on the same two cores.
bench: services
	@if deploy/cluster.sh status 2>/dev/null | grep -q running; then echo "stopping the test cluster for the benchmarks (make cluster starts it again)"; deploy/cluster.sh stop; fi
	. deploy/env.sh && deploy/bench.sh

# The live service of SPEC §8 (扫码核验) against the local stack, in the
# foreground until Ctrl-C; run after `make run` (or services + data loaded).
# BURDENWATCH_SERVE_LISTEN / BURDENWATCH_SERVE_BASE_URL change the address.
serve: services
	. deploy/env.sh && $(BIN) serve

# The local cluster (docs/cluster.md): ZooKeeper, ClickHouse 2 shards x 2
# replicas, 3 brokers with a 6-partition topic (deploy/cluster.sh).
cluster: build
	deploy/cluster.sh start

# `make run`'s job on the local cluster, with the same summary.
cluster-run: cluster tools
	deploy/cluster/run.sh

# The cluster suite: one simulated province through one server and through
# the cluster (clean, a replica SIGKILLed, an ingest instance SIGKILLed).
test-cluster: services cluster
	BURDENWATCH_TEST_CLUSTER=clickhouse://default@127.0.0.1:19101/ $(GO) test -count=1 -timeout 15m -v ./internal/clustertest/

# Ingest with 1, 2, 3 instances and transform on the cluster beside one server.
bench-cluster: services cluster
	deploy/cluster/bench.sh

stop:
	-deploy/cluster.sh stop
	-deploy/broker.sh stop
	-deploy/clickhouse.sh stop

clean: stop
	rm -rf bin var out
