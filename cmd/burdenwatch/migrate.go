package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func migrateCommand(a *app) *cobra.Command {
	var ch clickhouseFlags
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "创建或升级 ClickHouse 数据表（可重复执行）",
		Long:  "创建或升级 ClickHouse 数据表（sql/migrations）。数据库不存在时先创建；已是最新结构时什么也不做，可重复执行。",
		Example: "  burdenwatch migrate\n" +
			"  burdenwatch migrate --clickhouse clickhouse://default@db1:9000/burdenwatch --clickhouse-password-file /etc/burdenwatch/ch.password",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
	return cmd
}
