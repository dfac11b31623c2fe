#!/usr/bin/env bash
# BurdenWatch: `make bench-cluster` — ingest events/s with 1, 2 and 3
# instances in one consumer group (6 partitions, 3 brokers) and the
# transform of a province-year, on the local cluster and on the single
# server, with the same simulated messages (internal/clustertest
# BenchmarkCluster). On one small machine the cluster's four servers,
# ZooKeeper and the instances share the same cores: the figures show the
# cluster's overhead, not its speed-up (docs/cluster.md).
#
# Environment: BURDENWATCH_BENCH_SCALE (default 1, a realistic year).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export PATH=/usr/local/go/bin:$PATH
export BURDENWATCH_TEST_CLUSTER=${BURDENWATCH_TEST_CLUSTER:-clickhouse://default@127.0.0.1:19101/}
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
go test -run '^$' -bench '^BenchmarkCluster$' -benchtime 1x -timeout 60m ./internal/clustertest/ |
	tee /dev/stderr | awk '
	/^Benchmark/ {
		name = $1; sub(/^BenchmarkCluster\//, "", name); sub(/-[0-9]+$/, "", name)
		for (i = 3; i < NF; i++) if ($(i + 1) == "events/s" || $(i + 1) == "s/province-year") v[name] = $i " " $(i + 1)
	}
	END {
		printf "\n%-22s %-22s %-24s %-24s\n", "", "one server", "cluster 2x2, quorum 2", "cluster 2x2, no quorum"
		n = split("ingest/instances=1 ingest/instances=2 ingest/instances=3 transform", k, " ")
		for (i = 1; i <= n; i++) printf "%-22s %-22s %-24s %-24s\n", k[i], v["single/" k[i]], v["cluster/" k[i]], v["cluster-q1/" k[i]]
	}'
