// Command burdenwatch is BurdenWatch's one binary: it migrates the
// ClickHouse schema, runs the embedded development broker, ingests events,
// loads reference data, computes indicators and rule results, simulates a
// province, and writes dashboards, reports and research exports.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // Asia/Shanghai on machines without a zoneinfo database

	"github.com/burdenwatch/burdenwatch/config"
)

// command is one subcommand.
type command struct {
	name    string
	summary string // Chinese, for office staff
	flags   func(fs *flag.FlagSet, c *config.Config)
	run     func(ctx context.Context, e *env, args []string) error
}

// env is what every command runs with.
type env struct {
	cfg    config.Config
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

func commands() []command {
	return []command{
		migrateCommand(), brokerCommand(), ingestCommand(), refdataCommand(),
		simulateCommand(), transformCommand(), dashboardsCommand(), reportCommand(), exportCommand(),
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run executes the command line and returns the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		return 2
	}
	var cmd *command
	for i := range cmds {
		if cmds[i].name == args[0] {
			cmd = &cmds[i]
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "burdenwatch: 未知命令 %q (unknown command); 运行 burdenwatch help 查看命令列表\n", args[0])
		return 2
	}
	e := &env{cfg: config.Defaults(), stdout: stdout, stderr: stderr}
	fs := flag.NewFlagSet("burdenwatch "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&e.cfg.ConfigFile, "config", "", "配置文件（每行 KEY=VALUE）")
	verbose := fs.Bool("verbose", false, "输出调试日志")
	cmd.flags(fs, &e.cfg)
	fs.Usage = func() { commandUsage(fs, cmd) }
	if err := config.Parse(fs, args[1:], getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 2
		}
		fmt.Fprintf(stderr, "burdenwatch %s: %v\n", cmd.name, oneLine(err))
		return 2
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	e.log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if err := cmd.run(ctx, e, fs.Args()); err != nil {
		fmt.Fprintf(stderr, "burdenwatch %s: %s\n", cmd.name, oneLine(err))
		return 1
	}
	return 0
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func usage(w io.Writer, cmds []command) {
	fmt.Fprintln(w, "burdenwatch —— 基层减负监测（观测点负担指标、督查检查考核规则、月度通报）")
	fmt.Fprintln(w, "\n用法: burdenwatch <命令> [参数]\n\n命令:")
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\n每个参数也可由环境变量 BURDENWATCH_<参数名> 设置（大写，- 换成 _），例如 BURDENWATCH_CLICKHOUSE。")
	fmt.Fprintln(w, "运行 burdenwatch <命令> -h 查看该命令的参数。")
}

func commandUsage(fs *flag.FlagSet, c *command) {
	w := fs.Output()
	fmt.Fprintf(w, "burdenwatch %s —— %s\n\n参数:\n", c.name, c.summary)
	fs.PrintDefaults()
}

// connectionFlags registers the common flags of SPEC §7.
func connectionFlags(fs *flag.FlagSet, c *config.Config, kafka, clickhouse bool) {
	if kafka {
		fs.StringVar(&c.Brokers, "brokers", c.Brokers, "Kafka 服务器地址，多个用逗号分隔 (host:port)")
		fs.StringVar(&c.Topic, "topic", c.Topic, "事件主题")
		fs.StringVar(&c.Group, "group", c.Group, "消费组")
	}
	if clickhouse {
		fs.StringVar(&c.ClickHouse, "clickhouse", c.ClickHouse, "ClickHouse 地址 clickhouse://用户:密码@主机:端口/数据库")
	}
}

// elapsed formats a duration for summaries.
func elapsed(d time.Duration) string { return d.Round(time.Millisecond).String() }
