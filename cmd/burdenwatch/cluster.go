package main

import (
	"context"

	"github.com/spf13/pflag"

	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/ingest"
)

// clusterFlags select a ClickHouse cluster (docs/cluster.md): --cluster
// names it in the servers' remote_servers, --clickhouse is then any of its
// nodes.
type clusterFlags struct {
	name   string
	quorum int
}

func (c *clusterFlags) register(fs *pflag.FlagSet, withQuorum bool) {
	fs.StringVar(&c.name, "cluster", "", "ClickHouse 集群名（服务器配置 remote_servers 中的名称）；--clickhouse 为其中任一节点。为空则是单台服务器")
	if withQuorum {
		fs.IntVar(&c.quorum, "insert-quorum", 2, "集群模式下每批须写入的同分片副本数（insert_quorum）；副本不足时退为写入一个副本并记录警告")
	}
}

// open connects to the cluster through the node ch names; with create, the
// database is created ON CLUSTER when missing.
func (c *clusterFlags) open(ctx context.Context, ch *clickhouseFlags, a *app, create bool) (*clickhouse.Cluster, error) {
	d, err := ch.resolve()
	if err != nil {
		return nil, err
	}
	return clickhouse.OpenCluster(ctx, d.String(), c.name, create, clickhouse.ClusterOptions{InsertQuorum: c.quorum, Log: a.log})
}

// store is where ingest writes: db itself, or with --cluster the cluster's
// shard-local tables. The returned func closes what store opened.
func (c *clusterFlags) store(ctx context.Context, ch *clickhouseFlags, a *app, db *clickhouse.DB) (ingest.Store, func(), error) {
	if c.name == "" {
		return db, func() {}, nil
	}
	cl, err := c.open(ctx, ch, a, false)
	if err != nil {
		return nil, nil, err
	}
	return cl, func() { cl.Close() }, nil
}
