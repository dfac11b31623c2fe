#!/usr/bin/env bash
# BurdenWatch: `make cluster-run` — deploy/run.sh's whole job (migrate,
# reference data, simulate, ingest, transform, dashboards, report, export)
# on the local cluster of deploy/cluster.sh, printing the same summary.
# Differences from the single server: migrate and ingest get --cluster
# (through BURDENWATCH_CLUSTER), every command enters through node ch1, and
# the topic has 6 partitions on 3 brokers.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
eval "$(deploy/cluster.sh env)"
# deploy/run.sh asks deploy/clickhouse.sh client for the latest month; with
# a state dir that holds no single server it uses the requested port, node 1.
export BURDENWATCH_VAR=${BURDENWATCH_VAR:-$PWD/var}/cluster/run
export BURDENWATCH_CH_TCP_PORT=19101
mkdir -p "$BURDENWATCH_VAR/clickhouse/etc"
chmod 0700 "$BURDENWATCH_VAR/clickhouse/etc"
cp "${BURDENWATCH_CLICKHOUSE_PASSWORD_FILE%/*}/client.xml" "$BURDENWATCH_VAR/clickhouse/etc/client.xml"
echo "集群 $BURDENWATCH_CLUSTER: ClickHouse 127.0.0.1:19101..19104（2 分片 × 2 副本），Kafka $BURDENWATCH_BROKERS（3 个服务器，6 个分区）"
exec deploy/run.sh
