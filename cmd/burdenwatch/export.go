package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/burdenwatch/burdenwatch/config"
	"github.com/burdenwatch/burdenwatch/export"
)

// defaultExportDir is where the dataset goes without --out: a directory of
// its own, because the export replaces its output directory as a whole.
const defaultExportDir = "out/parquet"

func exportCommand(a *app) *cobra.Command {
	opts := export.Options{Dir: defaultExportDir}
	var ch clickhouseFlags
	cmd := &cobra.Command{
		Use:   "export",
		Short: "导出供研究使用的 Parquet 数据集（按月分区，附数据字典）",
		Long: "导出供研究使用的 Parquet 数据集：负担事件、指标、规则结果、预警和扫码登记，按月分区（Hive 风格），附数据字典。" +
			"输出目录整体替换；--redact 省略名称和自由文本字段，用于公开发布。",
		Example: "  burdenwatch export\n  burdenwatch export --redact --out out/parquet-public\n  burdenwatch export --province 43 --month 2025-12",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := ch.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer db.Close()
			opts.Log = a.log
			sum, err := export.Export(cmd.Context(), db, opts)
			if err != nil {
				return err
			}
			printExportSummary(a.stdout, sum)
			return nil
		},
	}
	fs := cmd.Flags()
	ch.register(fs)
	fs.StringVar(&opts.Dir, "out", opts.Dir, "输出`目录`（整体替换；已存在时须为空目录或之前的导出结果）")
	fs.StringVar(&opts.Province, "province", "", "只导出该省（两位行政区划代码，如 43）；为空导出全部")
	fs.StringVar(&opts.Month, "month", "", "只导出该月（`YYYY-MM`）；为空导出全部月份")
	fs.BoolVar(&opts.Redact, "redact", false, "脱敏：省略机关名称、标题、主题、文号、来源系统等名称和自由文本字段，用于公开发布")
	config.Local(fs, "out")
	return cmd
}

// tableNames are the Chinese names of the exported tables.
var tableNames = map[string]string{"events": "负担事件", "indicators": "指标", "rule_results": "规则结果",
	"alerts": "预警", "scans": "扫码登记"}

func printExportSummary(w io.Writer, s *export.Summary) {
	mode := "完整版"
	if s.Redacted {
		mode = "脱敏版，已省略名称和自由文本字段"
	}
	fmt.Fprintf(w, "\n== 导出汇总 ==\n研究数据集（%s）已写入 %s\n", mode, s.Dir)
	for _, t := range s.Tables {
		fmt.Fprintf(w, "  %s（%s）：%d 行，%d 个月，%d 个文件，%s\n",
			tableNames[t.Name], t.Name, t.Rows, t.Months, len(t.Files), humanBytes(t.Bytes()))
	}
	fmt.Fprintf(w, "合计 %d 个 Parquet 文件，%s；数据字典 DATA_DICTIONARY.md / DATA_DICTIONARY.csv；用时 %s\n",
		s.Files(), humanBytes(s.Bytes()), elapsed(s.Elapsed))
}

// humanBytes formats a size in binary units.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
