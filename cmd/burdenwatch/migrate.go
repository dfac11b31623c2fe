package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func migrateCommand(a *app) *cobra.Command {
	var ch clickhouseFlags
	var cluster clusterFlags
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "创建或升级 ClickHouse 数据表（可重复执行）",
		Long:  "创建或升级 ClickHouse 数据表（sql/migrations）。数据库不存在时先创建；已是最新结构时什么也不做，可重复执行。",
		Example: "  burdenwatch migrate\n" +
			"  burdenwatch migrate --clickhouse clickhouse://default@db1:9000/burdenwatch --clickhouse-password-file /etc/burdenwatch/ch.password\n" +
			"  burdenwatch migrate --cluster burdenwatch --clickhouse clickhouse://127.0.0.1:19101/burdenwatch",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cluster.name != "" {
				return migrateCluster(cmd.Context(), a, &ch, &cluster)
			}
			db, err := ch.open(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer db.Close()
			applied, err := db.Migrate(cmd.Context())
			if err != nil {
				return err
			}
			if len(applied) == 0 {
				fmt.Fprintf(a.stdout, "数据库 %s 已是最新结构\n", db.Database())
				return nil
			}
			fmt.Fprintf(a.stdout, "数据库 %s 已应用迁移: %s\n", db.Database(), strings.Join(applied, ", "))
			return nil
		},
	}
	ch.register(cmd.Flags())
	cluster.register(cmd.Flags(), false)
	return cmd
}

// migrateCluster applies the migrations ON CLUSTER: replicated tables per
// shard and Distributed tables under the usual names (docs/cluster.md).
func migrateCluster(ctx context.Context, a *app, ch *clickhouseFlags, cluster *clusterFlags) error {
	c, err := cluster.open(ctx, ch, a, true)
	if err != nil {
		return err
	}
	defer c.Close()
	applied, err := c.Migrate(ctx)
	if err != nil {
		return err
	}
	db := c.Entry().Database()
	if len(applied) == 0 {
		fmt.Fprintf(a.stdout, "集群 %s（%d 个分片）上的数据库 %s 已是最新结构\n", c.Name(), c.Shards(), db)
		return nil
	}
	fmt.Fprintf(a.stdout, "集群 %s（%d 个分片）上的数据库 %s 已应用迁移: %s\n", c.Name(), c.Shards(), db, strings.Join(applied, ", "))
	return nil
}
