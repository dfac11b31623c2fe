package main

import (
	"context"
	"errors"
	"flag"

	"github.com/burdenwatch/burdenwatch/config"
)

func notYet(name, summary string) command {
	return command{name: name, summary: summary, flags: func(*flag.FlagSet, *config.Config) {},
		run: func(context.Context, *env, []string) error { return errors.New("not built yet") }}
}

func refdataCommand() command {
	return notYet("refdata", "校验并导入参考数据（观测点、配额、基数、计划清单等 CSV）")
}
func simulateCommand() command {
	return notYet("simulate", "向 Kafka 发布一个模拟省份一年的负担事件")
}
func transformCommand() command {
	return notYet("transform", "计算负担指标和规则检查结果")
}
func dashboardsCommand() command {
	return notYet("dashboards", "生成 Grafana 仪表盘配置文件或通过 API 发布")
}
func reportCommand() command { return notYet("report", "生成月度通报（HTML 和 PDF）") }
func exportCommand() command { return notYet("export", "导出供研究使用的 Parquet 数据集") }
