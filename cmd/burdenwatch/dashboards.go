package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/burdenwatch/burdenwatch/config"
	"github.com/burdenwatch/burdenwatch/dashboards"
)

// dashboardsFlags are the settings of the Grafana data source and
// dashboards, shared by write and publish.
type dashboardsFlags struct {
	ch                                       clickhouseFlags
	plugin                                   string
	dsHost, dsUser, dsPassword, dsUID        string
	dsPort                                   int
	dashboardsPath, grafanaURL, grafanaToken string
}

func dashboardsCommand(a *app) *cobra.Command {
	return group("dashboards", "生成 Grafana 仪表盘配置文件或通过 API 发布",
		"Grafana 仪表盘（四个）和 ClickHouse 只读数据源：write 写出配置文件（provisioning），publish 通过 Grafana HTTP API 发布。",
		"  burdenwatch dashboards write out/grafana\n  burdenwatch dashboards publish --grafana-url http://127.0.0.1:3000 --grafana-token 令牌",
		dashboardsWriteCommand(a), dashboardsPublishCommand(a))
}

func dashboardsWriteCommand(a *app) *cobra.Command {
	x := &dashboardsFlags{}
	cmd := &cobra.Command{
		Use:   "write 目录",
		Short: "把仪表盘 JSON 和数据源配置写入目录（Grafana provisioning）",
		Long:  "把仪表盘 JSON 和 Grafana 配置文件（provisioning/dashboards、provisioning/datasources）写入目录。",
		Example: "  burdenwatch dashboards write out/grafana\n" +
			"  burdenwatch dashboards write /etc/grafana --datasource vertamedia-clickhouse-datasource --dashboards-path /var/lib/grafana/dashboards",
		Args: exactArgs("目录"),
		RunE: func(cmd *cobra.Command, args []string) error {
			boards, ds, err := buildDashboards(x)
			if err != nil {
				return err
			}
			return writeDashboards(a.stdout, args[0], x, ds, boards)
		},
	}
	x.register(cmd.Flags())
	cmd.Flags().StringVar(&x.dashboardsPath, "dashboards-path", "", "Grafana 主机上仪表盘 JSON 所在`目录`（默认为 目录/dashboards 的绝对路径）")
	return cmd
}

func dashboardsPublishCommand(a *app) *cobra.Command {
	x := &dashboardsFlags{}
	cmd := &cobra.Command{
		Use:     "publish",
		Short:   "通过 Grafana HTTP API 发布数据源和仪表盘",
		Long:    "通过 Grafana HTTP API 创建或更新文件夹、ClickHouse 数据源和仪表盘（需要服务账号令牌）。",
		Example: "  burdenwatch dashboards publish --grafana-url http://127.0.0.1:3000 --grafana-token glsa_xxx",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			boards, ds, err := buildDashboards(x)
			if err != nil {
				return err
			}
			return publishDashboards(cmd.Context(), a, x, ds, boards)
		},
	}
	x.register(cmd.Flags())
	fs := cmd.Flags()
	fs.StringVar(&x.grafanaURL, "grafana-url", "", "Grafana 地址，例如 http://127.0.0.1:3000")
	fs.StringVar(&x.grafanaToken, "grafana-token", "", "Grafana 服务账号令牌")
	config.Secret(fs, "grafana-token")
	return cmd
}

func (x *dashboardsFlags) register(fs *pflag.FlagSet) {
	x.ch.register(fs)
	fs.StringVar(&x.plugin, "datasource", "grafana-clickhouse-datasource",
		"Grafana 数据源插件：grafana-clickhouse-datasource（官方，适用于新版 ClickHouse）或 vertamedia-clickhouse-datasource（Altinity，HTTP，适用于 18.16）")
	fs.StringVar(&x.dsUID, "datasource-uid", dashboards.DefaultDatasourceUID, "数据源 uid")
	fs.StringVar(&x.dsHost, "datasource-host", "", "Grafana 访问 ClickHouse 的主机（默认取 --clickhouse 中的主机）")
	fs.IntVar(&x.dsPort, "datasource-port", 0, "Grafana 访问 ClickHouse 的端口（默认：官方插件用 --clickhouse 的原生端口，Altinity 插件用对应的 HTTP 端口）")
	fs.StringVar(&x.dsUser, "datasource-user", dashboards.DefaultDatasourceUser, "数据源使用的只读 ClickHouse 账号")
	fs.StringVar(&x.dsPassword, "datasource-password", dashboards.DefaultDatasourcePassword, "只读账号的密码")
	config.Secret(fs, "datasource-password")
}

func buildDashboards(x *dashboardsFlags) ([]dashboards.Dashboard, dashboards.DataSource, error) {
	plugin, err := dashboards.ParsePlugin(x.plugin)
	if err != nil {
		return nil, dashboards.DataSource{}, usageErrorf("--datasource: %w", err)
	}
	ds, err := dashboards.DataSourceFromDSN(plugin, x.ch.dsn)
	if err != nil {
		return nil, ds, usageErrorf("--clickhouse: %w", err)
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

func publishDashboards(ctx context.Context, a *app, x *dashboardsFlags, ds dashboards.DataSource, boards []dashboards.Dashboard) error {
	g := dashboards.Grafana{URL: x.grafanaURL, Token: x.grafanaToken}
	if g.URL == "" {
		return usageErrorf("缺少 --grafana-url（或 BURDENWATCH_GRAFANA_URL）")
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
	fmt.Fprintf(a.stdout, "已发布到 %s：文件夹“%s”%s，数据源 %s（%s）%s，仪表盘 %d 个（%s）\n",
		g.URL, dashboards.FolderTitle, folder, ds.UID, ds.Plugin, source, len(res.Dashboards), strings.Join(res.Dashboards, ", "))
	return nil
}
