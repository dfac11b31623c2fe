package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/config"
)

func migrateCommand() command {
	return command{
		name:    "migrate",
		summary: "创建或升级 ClickHouse 数据表（可重复执行）",
		flags:   func(fs *flag.FlagSet, c *config.Config) { connectionFlags(fs, c, false, true) },
		run: func(ctx context.Context, e *env, _ []string) error {
			db, err := clickhouse.Open(ctx, e.cfg.ClickHouse, true)
			if err != nil {
				return err
			}
			defer db.Close()
			applied, err := db.Migrate(ctx)
			if err != nil {
				return err
			}
			if len(applied) == 0 {
				fmt.Fprintf(e.stdout, "数据库 %s 已是最新结构\n", db.Database())
				return nil
			}
			fmt.Fprintf(e.stdout, "数据库 %s 已应用迁移: %s\n", db.Database(), strings.Join(applied, ", "))
			return nil
		},
	}
}
