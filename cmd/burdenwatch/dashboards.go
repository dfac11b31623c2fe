package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/burdenwatch/burdenwatch/config"
	"github.com/burdenwatch/burdenwatch/dashboards"
)

// dashboardsFlags are the dashboards command's settings beyond config.Config.
type dashboardsFlags struct {
	dsHost, dsUser, dsPassword, dsUID string
	dsPort                            int
	dashboardsPath                    string
}

func dashboardsCommand() command {
	x := &dashboardsFlags{}
	return command{
		name:    "dashboards",
		summary: "生成 Grafana 仪表盘配置文件（dashboards write 目录）或通过 API 发布（dashboards publish）",
		flags:   func(fs *flag.FlagSet, c *config.Config) { registerDashboardsFlags(fs, c, x) },
		run: func(ctx context.Context, e *env, args []string) error {
			return runDashboards(ctx, e, x, args)
		},
	}
}

func registerDashboardsFlags(fs *flag.FlagSet, c *config.Config, x *dashboardsFlags) {
	connectionFlags(fs, c, false, true)
	fs.StringVar(&c.Datasource, "datasource", c.Datasource,
		"Grafana 数据源插件：grafana-clickhouse-datasource（官方，适用于新版 ClickHouse）或 vertamedia-clickhouse-datasource（Altinity，HTTP，适用于 18.16）")
	fs.StringVar(&c.GrafanaURL, "grafana-url", c.GrafanaURL, "Grafana 地址，例如 http://127.0.0.1:3000（publish 用）")
	fs.StringVar(&c.GrafanaToken, "grafana-token", c.GrafanaToken, "Grafana 服务账号令牌（publish 用）")
	fs.StringVar(&x.dsUID, "datasource-uid", dashboards.DefaultDatasourceUID, "数据源 uid")
	fs.StringVar(&x.dsHost, "datasource-host", "", "Grafana 访问 ClickHouse 的主机（默认取 --clickhouse 中的主机）")
	fs.IntVar(&x.dsPort, "datasource-port", 0, "Grafana 访问 ClickHouse 的端口（默认：官方插件用 --clickhouse 的原生端口，Altinity 插件用对应的 HTTP 端口）")
	fs.StringVar(&x.dsUser, "datasource-user", dashboards.DefaultDatasourceUser, "数据源使用的只读 ClickHouse 账号")
	fs.StringVar(&x.dsPassword, "datasource-password", dashboards.DefaultDatasourcePassword, "只读账号的密码")
	fs.StringVar(&x.dashboardsPath, "dashboards-path", "", "Grafana 主机上仪表盘 JSON 所在目录（默认为 目录/dashboards 的绝对路径）")
}

const dashboardsUsage = "用法: burdenwatch dashboards write 目录 | burdenwatch dashboards publish --grafana-url URL --grafana-token 令牌"

func runDashboards(ctx context.Context, e *env, x *dashboardsFlags, args []string) error {
	if len(args) == 0 {
		return errors.New(dashboardsUsage)
	}
	action := args[0]
	pos, err := parseInterleaved(e, x, args[1:])
	if err != nil {
		return err
	}
	boards, ds, err := buildDashboards(e.cfg, x)
	if err != nil {
		return err
	}
	switch {
	case action == "write" && len(pos) == 1:
		return writeDashboards(e.stdout, pos[0], x, ds, boards)
	case action == "publish" && len(pos) == 0:
		return publishDashboards(ctx, e, ds, boards)
	}
	return errors.New(dashboardsUsage)
}

// parseInterleaved parses flags given after the action, between and after
// positional arguments, and returns the positional ones. Values already
// set (from the command line before the action or the environment) are the
// defaults.
func parseInterleaved(e *env, x *dashboardsFlags, args []string) ([]string, error) {
	fs := flag.NewFlagSet("burdenwatch dashboards", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	copyX := *x
	registerDashboardsFlags(fs, &e.cfg, &copyX)
	var pos []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return nil, fmt.Errorf("参数错误: %w", err)
		}
		args = fs.Args()
		if len(args) > 0 {
			pos, args = append(pos, args[0]), args[1:]
		}
	}
	*x = copyX
	return pos, nil
}

func buildDashboards(cfg config.Config, x *dashboardsFlags) ([]dashboards.Dashboard, dashboards.DataSource, error) {
	plugin, err := dashboards.ParsePlugin(cfg.Datasource)
	if err != nil {
		return nil, dashboards.DataSource{}, fmt.Errorf("--datasource: %w", err)
	}
	ds, err := dashboards.DataSourceFromDSN(plugin, cfg.ClickHouse)
	if err != nil {
		return nil, ds, fmt.Errorf("--clickhouse: %w", err)
	}
	ds.UID, ds.User, ds.Password = x.dsUID, x.dsUser, x.dsPassword
	if x.dsHost != "" {
		ds.Host = x.dsHost
	}
	if x.dsPort != 0 {
		ds.Port = x.dsPort
	}
	boards, err := dashboards.Build(dashboards.Options{Plugin: plugin, DatasourceUID: ds.UID})
	if err != nil {
		return nil, ds, fmt.Errorf("build dashboards: %w", err)
	}
	return boards, ds, nil
}

func writeDashboards(w io.Writer, dir string, x *dashboardsFlags, ds dashboards.DataSource, boards []dashboards.Dashboard) error {
	files, err := dashboards.WriteProvisioning(dashboards.Provisioning{Dir: dir, DashboardsPath: x.dashboardsPath}, ds, boards)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "已写出 Grafana 配置文件（数据源插件 %s，ClickHouse %s:%d/%s，只读账号 %s）:\n  %s\n",
		ds.Plugin, ds.Host, ds.Port, ds.Database, ds.User, strings.Join(files, "\n  "))
	return nil
}

func publishDashboards(ctx context.Context, e *env, ds dashboards.DataSource, boards []dashboards.Dashboard) error {
	g := dashboards.Grafana{URL: e.cfg.GrafanaURL, Token: e.cfg.GrafanaToken}
	if g.URL == "" {
		return errors.New("缺少 --grafana-url（或 BURDENWATCH_GRAFANA_URL）")
	}
	res, err := dashboards.Publish(ctx, g, ds, boards)
	if err != nil {
		return err
	}
	folder, source := "已存在", "已更新"
	if res.FolderCreated {
		folder = "已创建"
	}
	if res.DatasourceCreated {
		source = "已创建"
	}
	fmt.Fprintf(e.stdout, "已发布到 %s：文件夹“%s”%s，数据源 %s（%s）%s，仪表盘 %d 个（%s）\n",
		g.URL, dashboards.FolderTitle, folder, ds.UID, ds.Plugin, source, len(res.Dashboards), strings.Join(res.Dashboards, ", "))
	return nil
}
