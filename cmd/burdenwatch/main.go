// Command burdenwatch is BurdenWatch's one binary: it migrates the
// ClickHouse schema, runs the embedded development broker, ingests events,
// loads reference data, computes indicators and rule results, simulates a
// province, and writes dashboards, reports and research exports
// (SPEC §7; docs/cli.md).
//
// Adding a command: write one file with
//
//	func fooCommand(a *app) *cobra.Command
//
// (Use, Short and Long in Chinese, an Example, Args: noArgs or exactArgs,
// RunE), bind its flags straight into the options struct of the package it
// drives (cmd.Flags().IntVar(&cfg.BatchSize, …)), use kafkaFlags /
// clickhouseFlags for the common ones, and add fooCommand to commands()
// below. Adding a flag: one Flags().XxxVar line in the command's file; it
// reads BURDENWATCH_<COMMAND>_<FLAG>, BURDENWATCH_<FLAG> and the --config
// file by itself. A flag whose name means something else in another
// command (--listen, --metrics-listen, --out) is marked
// config.Local(cmd.Flags(), "listen") so it reads only the command's own
// variable. RunE errors exit 1; errors from noArgs/exactArgs and bad flags
// exit 2 (usageErrorf for your own).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // Asia/Shanghai on machines without a zoneinfo database

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/burdenwatch/burdenwatch/config"
)

// commands are the top-level commands, in the order help lists them.
func commands(a *app) []*cobra.Command {
	return []*cobra.Command{
		migrateCommand(a), brokerCommand(a), ingestCommand(a), refdataCommand(a), simulateCommand(a),
		transformCommand(a), dashboardsCommand(a), reportCommand(a), exportCommand(a),
		serveCommand(a), codesCommand(a),
	}
}

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and failed
	exitUsage   = 2 // the command line is wrong
)

// app is what every command runs with.
type app struct {
	getenv  func(string) string
	stdout  io.Writer
	stderr  io.Writer
	log     *slog.Logger
	verbose bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run executes the command line and returns the exit status: 0 on success
// and for help, 2 for a usage error, 1 when the command failed. Errors are
// one line on stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	a := &app{getenv: getenv, stdout: stdout, stderr: stderr}
	root := a.rootCommand()
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	var f failure
	if errors.As(err, &f) {
		fmt.Fprintf(stderr, "%s: %s\n", cmd.CommandPath(), oneLine(f.err))
		return exitFailure
	}
	fmt.Fprintf(stderr, "%s: %s —— 运行 %s --help 查看用法\n", cmd.CommandPath(), oneLine(err), cmd.CommandPath())
	return exitUsage
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "burdenwatch",
		Short: "基层减负监测（观测点负担指标、督查检查考核规则、月度通报）",
		Long: "burdenwatch —— 基层减负监测：接入负担事件，计算观测点负担指标，检查督查检查考核等规定，\n" +
			"生成 Grafana 仪表盘、月度通报和研究数据集。",
		Example: "  burdenwatch migrate\n  burdenwatch refdata load refdata/default\n  burdenwatch ingest --until-idle\n" +
			"  burdenwatch transform --full\n  burdenwatch help report",
		Version:       version(),
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          subcommandArgs,
		RunE:          missingSubcommand,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.setup(cmd)
		},
	}
	root.SetVersionTemplate("burdenwatch {{.Version}}\n")
	root.SetOut(a.stdout) // before localizeBuiltins: the completion commands keep the writer
	root.SetErr(a.stderr)
	pf := root.PersistentFlags()
	pf.BoolP("help", "h", false, "显示帮助")
	pf.String(config.FileFlag, "", "配置`文件`，每行 KEY=VALUE（键为参数名或 BURDENWATCH_ 变量名）；也可由 BURDENWATCH_CONFIG 给出")
	pf.BoolVar(&a.verbose, "verbose", false, "输出调试日志")
	root.Flags().BoolP("version", "V", false, "显示版本")
	root.AddCommand(commands(a)...)
	localizeBuiltins(root)
	for _, c := range walk(root) {
		c.SuggestionsMinimumDistance = 2
		c.SetHelpFunc(helpFunc)
		c.SetUsageFunc(usageFunc)
		c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
		if c.RunE != nil {
			c.RunE = failing(c.RunE)
		}
	}
	return root
}

// setup resolves the command's flags from the environment and the
// configuration file and builds the logger; it runs before every command.
func (a *app) setup(cmd *cobra.Command) error {
	if err := config.Resolve(cmd.Flags(), envScope(cmd), a.getenv, knownKeys(cmd.Root())); err != nil {
		return usageError{err}
	}
	level := slog.LevelInfo
	if a.verbose {
		level = slog.LevelDebug
	}
	a.log = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
	return nil
}

// knownKeys are the variables any command reads, which a --config file
// may set.
func knownKeys(root *cobra.Command) map[string]bool {
	sets := map[string][]*pflag.FlagSet{}
	for _, c := range walk(root) {
		scope := envScope(c)
		sets[scope] = append(sets[scope], c.Flags(), c.InheritedFlags())
	}
	return config.KnownKeys(sets)
}

// envScope is the command part of BURDENWATCH_<COMMAND>_<FLAG>: the
// top-level command's name (refdata for refdata load).
func envScope(cmd *cobra.Command) string {
	for cmd.HasParent() && cmd.Parent().HasParent() {
		cmd = cmd.Parent()
	}
	if !cmd.HasParent() {
		return ""
	}
	return cmd.Name()
}

// walk lists cmd and every command below it.
func walk(cmd *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{cmd}
	for _, c := range cmd.Commands() {
		out = append(out, walk(c)...)
	}
	return out
}

// failure marks an error of a command that ran (exit 1).
type failure struct{ err error }

func (f failure) Error() string { return f.err.Error() }
func (f failure) Unwrap() error { return f.err }

// usageError marks an error of the command line (exit 2). Cobra's own
// errors (unknown flag, …) are usage errors too: everything but a failure.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usageErrorf(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// failing marks the errors of run as failures, except usage errors.
func failing(run func(*cobra.Command, []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		err := run(cmd, args)
		var u usageError
		if err == nil || errors.As(err, &u) {
			return err
		}
		return failure{err}
	}
}

func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

// version is the module version and VCS revision the binary was built
// from.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v += " " + s.Value
		case "vcs.modified":
			if s.Value == "true" {
				v += "（含未提交修改）"
			}
		}
	}
	return v + " " + info.GoVersion
}

// elapsed formats a duration for summaries.
func elapsed(d time.Duration) string { return d.Round(time.Millisecond).String() }
