package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/config"
	"github.com/burdenwatch/burdenwatch/report"
)

// reportFlags are the report's flags that need parsing into
// report.Options.
type reportFlags struct {
	month, date, out string
}

func reportCommand(a *app) *cobra.Command {
	opts := report.Options{Province: "43"}
	rf := reportFlags{out: "out"}
	var ch clickhouseFlags
	cmd := &cobra.Command{
		Use:   "report",
		Short: "生成月度通报（HTML 和 PDF）",
		Long: "生成一个省份一个月的月度通报（通报.html 和 通报.pdf，另有 report.html / report.pdf 副本），" +
			"写入 <输出目录>/<省份代码>-<月份>/。PDF 由 Chromium 打印。",
		Example: "  burdenwatch report --province 43 --month 2025-12\n  burdenwatch report --month 2025-12 --out out/reports --date 2026-01-05",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := rf.apply(&opts, time.Now()); err != nil {
				return err
			}
			return runReport(cmd.Context(), a, opts, rf.out, &ch)
		},
	}
	fs := cmd.Flags()
	ch.register(fs)
	fs.StringVar(&opts.Province, "province", opts.Province, "省份代码（两位，如 43）")
	fs.StringVar(&rf.month, "month", "", "通报月份 `YYYY-MM`（默认上个月）")
	fs.StringVar(&rf.out, "out", rf.out, "输出`目录`；通报写入 <目录>/<省份代码>-<月份>/")
	fs.StringVar(&opts.Office, "office", "", "发文机关（默认：<省名>整治形式主义为基层减负专项工作机制办公室）")
	fs.StringVar(&rf.date, "date", "", "成文日期 `YYYY-MM-DD`（默认今天）")
	fs.StringVar(&opts.Chromium, "chromium", "", "Chromium `程序`（默认 PATH 中的 chromium 或 /usr/bin/chromium）")
	config.Local(fs, "out")
	return cmd
}

func runReport(ctx context.Context, a *app, opts report.Options, out string, ch *clickhouseFlags) error {
	db, err := ch.open(ctx, false)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	files, err := report.Generate(ctx, db, opts, out)
	if err != nil {
		return err
	}
	a.log.Info("report written", "province", opts.Province, "month", opts.Month.Format("2006-01"),
		"dir", files.Dir, "elapsed", elapsed(time.Since(start)))
	fmt.Fprintf(a.stdout, "%s\n%s\n", files.HTML, files.PDF)
	return nil
}

// apply parses the month and date into opts; the month defaults to the
// month before now (Asia/Shanghai).
func (rf reportFlags) apply(opts *report.Options, now time.Time) error {
	loc := bw.Location()
	var err error
	if rf.month == "" {
		n := now.In(loc)
		opts.Month = time.Date(n.Year(), n.Month()-1, 1, 0, 0, 0, 0, loc)
	} else if opts.Month, err = report.ParseMonth(rf.month); err != nil {
		return usageError{err}
	}
	if rf.date != "" {
		if opts.Date, err = time.ParseInLocation(time.DateOnly, rf.date, loc); err != nil {
			return usageErrorf("--date %q 不是 YYYY-MM-DD 格式", rf.date)
		}
	}
	if err := opts.Validate(); err != nil {
		return usageError{err}
	}
	return nil
}
