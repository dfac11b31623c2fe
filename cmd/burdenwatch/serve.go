package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/burdenwatch/burdenwatch/config"
	"github.com/burdenwatch/burdenwatch/kafka"
	"github.com/burdenwatch/burdenwatch/metrics"
	"github.com/burdenwatch/burdenwatch/serve"
)

// defaultServeGroup is serve's own consumer group: it must never be
// ingest's, or the two would split the topic's partitions.
const defaultServeGroup = "burdenwatch-serve"

func serveCommand(a *app) *cobra.Command {
	var ch clickhouseFlags
	var brokers, listen, baseURL string
	cfg := serve.RunConfig{RefreshEvery: 30 * time.Second}
	packs := packsFlag(defaultRulePacks)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "扫码核验服务：督查编码核验页面和接口、陪同人员登记、健康检查和监控指标",
		Long: "扫码核验服务（SPEC §8）：基层单位扫描督查组出示的二维码，打开 /verify/<编码> 页面，" +
			"选择或输入本单位代码，即可看到是否已赋码、在有效期内、在计划内、未超频次等核验结果（可以接受 / 可不予配合），" +
			"并登记陪同人员。同样的结论可由 GET /api/v1/verify?code=&unit=[&at=] 以 JSON 取得。\n" +
			"启动时从 ClickHouse 读取参考数据和督查事件，此后持续消费事件主题（独立消费组），入库 2 秒内的事件即可反映在核验结论中。" +
			"/healthz 为存活检查，/readyz 为就绪检查（ClickHouse、Kafka 可达且数据已加载），/metrics 为 Prometheus 指标。",
		Example: "  burdenwatch serve\n  burdenwatch serve --listen 0.0.0.0:8080 --base-url https://jianfu.example.gov.cn",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := packs.into(&cfg.Packs); err != nil {
				return err
			}
			cfg.Log = a.log
			cfg.Follow.Brokers, cfg.Follow.Log = splitList(brokers), a.log
			return runServe(cmd.Context(), a, cfg, &ch, listen, baseURL)
		},
	}
	fs := cmd.Flags()
	ch.register(fs)
	brokersFlag(fs, &brokers)
	topicFlag(fs, &cfg.Follow.Topic, "事件主题")
	fs.StringVar(&cfg.Follow.Group, "group", defaultServeGroup, "本服务自己的 Kafka 消费组（不要与 ingest 相同；不提交位点，每次启动从头读取主题）")
	fs.StringVar(&listen, "listen", "127.0.0.1:8080", "监听地址 `host:port`")
	fs.StringVar(&baseURL, "base-url", "", "二维码和页面使用的对外地址（默认 http://<监听地址>）")
	packs.register(fs, "扎堆检查参数和依据条文")
	fs.DurationVar(&cfg.RefreshEvery, "refresh", cfg.RefreshEvery, "重新读取参考数据（赋码清单、计划清单等）的间隔")
	config.Local(fs, "listen", "group")
	return cmd
}

func runServe(ctx context.Context, a *app, cfg serve.RunConfig, ch *clickhouseFlags, listen, baseURL string) error {
	if baseURL == "" {
		baseURL = "http://" + listen
	}
	if u, err := url.Parse(baseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErrorf("--base-url %q: 应为 http:// 或 https:// 开头的完整地址", baseURL)
	}
	db, err := ch.open(ctx, false)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := kafka.Ping(ctx, cfg.Follow.Brokers); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", listen, err)
	}
	reg := metrics.NewRegistry()
	cfg.DB, cfg.BaseURL, cfg.Registerer, cfg.Gatherer = db, strings.TrimRight(baseURL, "/"), reg, reg
	local := "http://" + ln.Addr().String()
	fmt.Fprintf(a.stdout, "扫码核验服务已启动（正在加载数据，/readyz 返回 200 后可用）：\n"+
		"  核验页面  %s/verify/<督查编码>\n  核验接口  %s/api/v1/verify?code=<督查编码>&unit=<单位代码>\n"+
		"  登记接口  POST %s/api/v1/scans\n  健康检查  %s/healthz  %s/readyz\n  监控指标  %s/metrics\n",
		cfg.BaseURL, local, local, local, local, local)
	return serve.Run(ctx, ln, cfg)
}
