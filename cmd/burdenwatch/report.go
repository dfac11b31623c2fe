package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/config"
	"github.com/burdenwatch/burdenwatch/report"
)

// reportFlags are the report's settings that Config does not hold.
type reportFlags struct {
	office   string
	date     string
	chromium string
}

func reportCommand() command {
	rf := &reportFlags{}
	return command{
		name:    "report",
		summary: "生成月度通报（HTML 和 PDF）",
		flags: func(fs *flag.FlagSet, c *config.Config) {
			connectionFlags(fs, c, false, true)
			fs.StringVar(&c.Province, "province", c.Province, "省份代码（两位，如 43）")
			fs.StringVar(&c.Month, "month", c.Month, "通报月份 YYYY-MM（默认上个月）")
			fs.StringVar(&c.Out, "out", c.Out, "输出目录；通报写入 <目录>/<省份代码>-<月份>/")
			fs.StringVar(&rf.office, "office", "", "发文机关（默认：<省名>整治形式主义为基层减负专项工作机制办公室）")
			fs.StringVar(&rf.date, "date", "", "成文日期 YYYY-MM-DD（默认今天）")
			fs.StringVar(&rf.chromium, "chromium", "", "Chromium 程序（默认 PATH 中的 chromium 或 /usr/bin/chromium）")
		},
		run: func(ctx context.Context, e *env, _ []string) error { return runReport(ctx, e, rf) },
	}
}

func runReport(ctx context.Context, e *env, rf *reportFlags) error {
	opts, err := reportOptions(e.cfg, rf, time.Now())
	if err != nil {
		return err
	}
	db, err := clickhouse.Open(ctx, e.cfg.ClickHouse, false)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	files, err := report.Generate(ctx, db, opts, e.cfg.Out)
	if err != nil {
		return err
	}
	e.log.Info("report written", "province", opts.Province, "month", opts.Month.Format("2006-01"),
		"dir", files.Dir, "elapsed", elapsed(time.Since(start)))
	fmt.Fprintf(e.stdout, "%s\n%s\n", files.HTML, files.PDF)
	return nil
}

// reportOptions turns flags into report options; the month defaults to the
// month before now (Asia/Shanghai).
func reportOptions(cfg config.Config, rf *reportFlags, now time.Time) (report.Options, error) {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return report.Options{}, fmt.Errorf("load time zone: %w", err)
	}
	opts := report.Options{Province: cfg.Province, Office: rf.office, Chromium: rf.chromium}
	if cfg.Month == "" {
		n := now.In(loc)
		opts.Month = time.Date(n.Year(), n.Month()-1, 1, 0, 0, 0, 0, loc)
	} else if opts.Month, err = report.ParseMonth(cfg.Month); err != nil {
		return report.Options{}, err
	}
	if rf.date != "" {
		if opts.Date, err = time.ParseInLocation(time.DateOnly, rf.date, loc); err != nil {
			return report.Options{}, fmt.Errorf("--date %q is not YYYY-MM-DD", rf.date)
		}
	}
	if err := opts.Validate(); err != nil {
		return report.Options{}, err
	}
	return opts, nil
}
