package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/burdenwatch/burdenwatch/refdata"
)

func refdataCommand(a *app) *cobra.Command {
	return group("refdata", "校验并导入参考数据（观测点、配额、基数、计划清单等 CSV）",
		"参考数据（SPEC §3）：观测点、配额、基数、督查计划、一票否决保留事项、免督查、日历规则、督查赋码清单等 CSV 文件。",
		"  burdenwatch refdata load refdata/default",
		refdataLoadCommand(a))
}

func refdataLoadCommand(a *app) *cobra.Command {
	var ch clickhouseFlags
	cmd := &cobra.Command{
		Use:   "load 目录",
		Short: "校验目录中的参考数据 CSV 并整体导入 ClickHouse",
		Long: "校验目录中的参考数据 CSV 并整体导入 ClickHouse。任何一个文件有错时什么也不导入，" +
			"错误信息注明文件、行、列和值；导入后受影响的月份在下次 transform 时重算。",
		Example: "  burdenwatch refdata load refdata/default\n  burdenwatch refdata load /srv/burdenwatch/refdata-2026 --clickhouse clickhouse://default@db1:9000/burdenwatch",
		Args:    exactArgs("目录"),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			ref, err := refdata.ParseDir(dir)
			if err != nil {
				return err // names file, line, column and value; nothing was loaded
			}
			db, err := ch.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer db.Close()
			abs, err := filepath.Abs(dir)
			if err != nil {
				return err
			}
			if err := db.LoadReferenceData(cmd.Context(), ref, abs); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "参考数据已导入（%s）: 观测点 %d 个，配额 %d 条，基数 %d 条，督查计划 %d 项，一票否决保留事项 %d 项，免督查 %d 条，日历规则 %d 条，督查赋码 %d 个；受影响的月份将在下次 transform 时重算\n",
				abs, len(ref.ObservationPoints), len(ref.Quotas), len(ref.Baselines), len(ref.Plan),
				len(ref.VetoList), len(ref.Exemptions), len(ref.Calendar), len(ref.InspectionCodes))
			return nil
		},
	}
	ch.register(cmd.Flags())
	return cmd
}
