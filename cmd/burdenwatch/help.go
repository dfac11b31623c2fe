package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/burdenwatch/burdenwatch/config"
)

// helpFunc prints a command's help in Chinese: what it does, then its
// usage.
func helpFunc(cmd *cobra.Command, _ []string) {
	w := cmd.OutOrStdout()
	text := cmd.Long
	if text == "" {
		text = cmd.Short
	}
	fmt.Fprintf(w, "%s\n\n", strings.TrimSpace(text))
	printUsage(w, cmd)
}

// usageFunc prints the usage to stderr (cobra calls it on errors).
func usageFunc(cmd *cobra.Command) error {
	printUsage(cmd.ErrOrStderr(), cmd)
	return nil
}

func printUsage(w io.Writer, cmd *cobra.Command) {
	fmt.Fprintf(w, "用法:\n  %s\n", useLine(cmd))
	if cmd.Example != "" {
		fmt.Fprintf(w, "\n示例:\n%s\n", strings.TrimRight(cmd.Example, "\n"))
	}
	if subs := availableCommands(cmd); len(subs) > 0 {
		fmt.Fprintln(w, "\n命令:")
		for _, c := range subs {
			fmt.Fprintf(w, "  %-12s %s\n", c.Name(), c.Short)
		}
	}
	scope := envScope(cmd)
	if fs := cmd.LocalNonPersistentFlags(); fs.HasAvailableFlags() {
		fmt.Fprintln(w, "\n参数:")
		printFlags(w, fs, scope)
	}
	if fs := inherited(cmd); fs.HasAvailableFlags() {
		fmt.Fprintln(w, "\n通用参数:")
		printFlags(w, fs, scope)
	}
	if cmd.HasAvailableSubCommands() {
		fmt.Fprintf(w, "\n运行 %s <命令> --help 查看该命令的用法。\n", cmd.CommandPath())
	} else if scope != "" {
		fmt.Fprintf(w, "\n参数也可由环境变量（见上）或 --config 文件设置；优先级：命令行 > 环境变量 > 配置文件 > 默认值。\n")
	}
}

// inherited are the persistent flags of cmd and its parents.
func inherited(cmd *cobra.Command) *pflag.FlagSet {
	fs := pflag.NewFlagSet("", pflag.ContinueOnError)
	fs.AddFlagSet(cmd.PersistentFlags())
	fs.AddFlagSet(cmd.InheritedFlags())
	return fs
}

// useLine is the usage line: the command path, the positional arguments
// of Use and [参数] when there are flags.
func useLine(cmd *cobra.Command) string {
	line := cmd.CommandPath()
	if _, args, ok := strings.Cut(cmd.Use, " "); ok {
		line += " " + args
	}
	if cmd.HasAvailableSubCommands() {
		line += " <命令>"
	}
	if cmd.HasAvailableFlags() {
		line += " [参数]"
	}
	return line
}

func availableCommands(cmd *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() || c.Name() == "help" {
			out = append(out, c)
		}
	}
	return out
}

// typeNames are the Chinese names of flag value types.
var typeNames = map[string]string{
	"string": "文本", "int": "整数", "int32": "整数", "int64": "整数", "float64": "小数", "duration": "时长",
}

// printFlags lists flags with their value type, default and variables.
func printFlags(w io.Writer, fs *pflag.FlagSet, scope string) {
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		name := "    --" + f.Name
		if f.Shorthand != "" {
			name = "-" + f.Shorthand + ", --" + f.Name
		}
		varname, usage := pflag.UnquoteUsage(f)
		if t, ok := typeNames[varname]; ok {
			varname = t
		}
		if f.Value.Type() == "bool" {
			varname = ""
		}
		fmt.Fprintf(w, "  %s\n        %s", strings.TrimRight(name+" "+varname, " "), usage)
		switch f.DefValue {
		case "", "false", "0", "0s", "[]":
		default:
			fmt.Fprintf(w, "（默认 %s）", f.DefValue)
		}
		fmt.Fprintln(w)
		if keys := config.Keys(scope, f); len(keys) > 0 {
			fmt.Fprintf(w, "        环境变量 %s\n", strings.Join(keys, " 或 "))
		}
	})
}

// subcommandArgs refuses arguments of a command that only has
// subcommands: the first one is an unknown command.
func subcommandArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("未知命令 %q", args[0])
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf("，是否要用 %s？", strings.Join(s, "、"))
	}
	return usageErrorf("%s（可用的命令: %s）", msg, commandNames(cmd))
}

// missingSubcommand is the RunE of a command that only has subcommands:
// it prints the usage to stderr and is a usage error.
func missingSubcommand(cmd *cobra.Command, _ []string) error {
	printUsage(cmd.ErrOrStderr(), cmd)
	return usageErrorf("缺少命令（可用的命令: %s）", commandNames(cmd))
}

func commandNames(cmd *cobra.Command) string {
	var names []string
	for _, c := range availableCommands(cmd) {
		names = append(names, c.Name())
	}
	return strings.Join(names, "、")
}

// noArgs refuses positional arguments.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("多余的参数 %q（%s 不接受位置参数）", args[0], cmd.CommandPath())
	}
	return nil
}

// exactArgs wants one positional argument per name.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		switch {
		case len(args) < len(names):
			return usageErrorf("缺少参数 %s", names[len(args)])
		case len(args) > len(names):
			return usageErrorf("多余的参数 %q（只需要 %s）", args[len(names)], strings.Join(names, " "))
		}
		return nil
	}
}

// group is a command that only holds subcommands.
func group(use, short, long, example string, subs ...*cobra.Command) *cobra.Command {
	g := &cobra.Command{Use: use, Short: short, Long: long, Example: example, Args: subcommandArgs, RunE: missingSubcommand}
	g.AddCommand(subs...)
	return g
}

// localizeBuiltins adds cobra's help and completion commands now, so that
// their texts can be given in Chinese, and makes help refuse unknown
// topics as a usage error.
func localizeBuiltins(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		switch c.Name() {
		case "help":
			c.Use, c.Short = "help [命令]", "显示某个命令的帮助"
			c.Long = "显示某个命令的帮助，例如 burdenwatch help refdata load。"
			c.Example = "  burdenwatch help\n  burdenwatch help dashboards write"
			c.Run, c.RunE = nil, helpTopic
		case "completion":
			c.Short = "生成 shell 自动补全脚本（bash、zsh、fish、powershell）"
			c.Long = "生成 shell 自动补全脚本。"
			c.Example = "  source <(burdenwatch completion bash)\n  burdenwatch completion bash > /etc/bash_completion.d/burdenwatch"
			c.Args, c.RunE = subcommandArgs, missingSubcommand
			for _, sh := range c.Commands() {
				sh.Short = "生成 " + sh.Name() + " 的自动补全脚本"
				sh.Long = sh.Short + "，输出到标准输出。"
				sh.Example = "  burdenwatch completion " + sh.Name() + " > burdenwatch." + sh.Name()
				if f := sh.Flags().Lookup("no-descriptions"); f != nil {
					f.Usage = "补全时不显示说明"
				}
			}
		}
	}
}

// helpTopic is the help command: the help of the command named by args.
func helpTopic(c *cobra.Command, args []string) error {
	target, rest, err := c.Root().Find(args)
	if err != nil || len(rest) > 0 {
		return usageErrorf("没有命令 %q（可用的命令: %s）", strings.Join(args, " "), commandNames(c.Root()))
	}
	target.InitDefaultHelpFlag()
	return target.Help()
}
