package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"

	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/config"
	"github.com/burdenwatch/burdenwatch/refdata"
)

func refdataCommand() command {
	return command{
		name:    "refdata",
		summary: "校验并导入参考数据：burdenwatch refdata load 目录（观测点、配额、基数、计划清单等 CSV）",
		flags:   func(fs *flag.FlagSet, c *config.Config) { connectionFlags(fs, c, false, true) },
		run:     runRefdata,
	}
}

func runRefdata(ctx context.Context, e *env, args []string) error {
	if len(args) != 2 || args[0] != "load" {
		return errors.New("用法: burdenwatch refdata load 目录 (usage: refdata load DIR)")
	}
	dir := args[1]
	ref, err := refdata.ParseDir(dir)
	if err != nil {
		return err // names file, line, column and value; nothing was loaded
	}
	db, err := clickhouse.Open(ctx, e.cfg.ClickHouse, false)
	if err != nil {
		return err
	}
	defer db.Close()
	abs, _ := filepath.Abs(dir)
	if err := db.LoadReferenceData(ctx, ref, abs); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "参考数据已导入（%s）: 观测点 %d 个，配额 %d 条，基数 %d 条，督查计划 %d 项，一票否决保留事项 %d 项，免督查 %d 条，日历规则 %d 条；受影响的月份将在下次 transform 时重算\n",
		abs, len(ref.ObservationPoints), len(ref.Quotas), len(ref.Baselines), len(ref.Plan),
		len(ref.VetoList), len(ref.Exemptions), len(ref.Calendar))
	return nil
}
