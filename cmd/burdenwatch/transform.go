package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"sort"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/burdenwatch/burdenwatch/alert"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/config"
	"github.com/burdenwatch/burdenwatch/kafka"
	"github.com/burdenwatch/burdenwatch/rules"
	"github.com/burdenwatch/burdenwatch/transform"
)

// followInterval is how often --follow looks for new work.
const followInterval = 5 * time.Second

// defaultRulePacks is the rule pack directory of the source tree.
const defaultRulePacks = "rules/packs"

func transformCommand(a *app) *cobra.Command {
	var cfg transform.Config
	var ch clickhouseFlags
	var follow bool
	var al alertFlags
	var metricsListen string
	packs := packsFlag(defaultRulePacks)
	cmd := &cobra.Command{
		Use:   "transform",
		Short: "计算负担指标和规则检查结果（只算有新数据的省份年度）",
		Long: "计算负担指标和规则检查结果。默认只重算有新数据或参考数据变化的省份年度；--full 全量重算；" +
			"--follow 持续运行，每隔几秒检查一次新数据。",
		Example: "  burdenwatch transform\n  burdenwatch transform --full\n  burdenwatch transform --follow --rule-packs /etc/burdenwatch/packs",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := packs.into(&cfg.Packs); err != nil {
				return err
			}
			cfg.Log = a.log
			if metricsListen != "" {
				cfg.Metrics = transform.NewMetrics(startMetrics(cmd.Context(), a, metricsListen))
			}
			return runTransform(cmd.Context(), a, cfg, &ch, follow, al)
		},
	}
	fs := cmd.Flags()
	ch.register(fs)
	fs.BoolVar(&cfg.Full, "full", false, "全量重算所有省份年度")
	fs.BoolVar(&follow, "follow", false, "持续运行，每隔几秒检查新数据")
	packs.register(fs, "每省一个 JSON 文件")
	fs.StringVar(&metricsListen, "metrics-listen", "", "在此地址提供 Prometheus 指标 /metrics（例如 127.0.0.1:9465；空为不提供）")
	config.Local(fs, "metrics-listen") // per process: ingest and serve have their own
	al.register(fs)
	return cmd
}

// alertFlags choose where transform delivers the early warnings (SPEC
// §8.5): always the alerts table; Kafka unless --brokers is empty; the
// webhook when --alert-webhook is set.
type alertFlags struct{ brokers, topic, webhook string }

func (f *alertFlags) register(fs *pflag.FlagSet) {
	brokersFlag(fs, &f.brokers)
	fs.StringVar(&f.topic, "alerts-topic", alert.DefaultTopic, "预警消息的 Kafka 主题（--brokers 为空时不发送）")
	fs.StringVar(&f.webhook, "alert-webhook", "", "预警推送地址（`URL`）：逐条 POST JSON，请求头 Idempotency-Key 为预警编号，失败按退避重试")
}

// sink returns the alert sink of the flags and a function that closes it.
func (f *alertFlags) sink(ctx context.Context, db *clickhouse.DB, log *slog.Logger) (*alert.Delivering, func(), error) {
	s := &alert.Delivering{Store: db, Log: log}
	if f.webhook != "" {
		u, err := url.Parse(f.webhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, nil, fmt.Errorf("--alert-webhook %q: want an http:// or https:// URL", f.webhook)
		}
		s.Webhook = f.webhook
	}
	brokers := splitList(f.brokers)
	if len(brokers) == 0 {
		return s, func() {}, nil
	}
	if err := kafka.Ping(ctx, brokers); err != nil {
		return nil, nil, fmt.Errorf("alerts go to Kafka topic %s (--brokers %s; an empty --brokers sends none): %w", f.topic, f.brokers, err)
	}
	pub := kafka.NewPublisher(brokers, f.topic)
	s.Publisher = pub
	return s, func() { pub.Close() }, nil
}

func runTransform(ctx context.Context, a *app, cfg transform.Config, ch *clickhouseFlags, follow bool, al alertFlags) error {
	db, err := ch.open(ctx, false)
	if err != nil {
		return err
	}
	defer db.Close()
	sink, closeSink, err := al.sink(ctx, db, a.log)
	if err != nil {
		return err
	}
	defer closeSink()
	cfg.Alerts = sink
	if !follow {
		cfg.MaxCachedEvents = -1 // one run: nothing to keep the events for
	}
	// The job keeps the events and results of the province-years it
	// computed, so that --follow's later runs read only new events.
	job := transform.NewJob(db, cfg)
	defer job.Close()
	retry := followRetry{log: a.log}
	for {
		sum, err := job.Run(ctx)
		if err != nil && (!follow || !outage(err)) {
			return err
		}
		if follow && !retry.next(ctx, err) {
			return nil
		}
		if err != nil {
			continue
		}
		if len(sum.ProvinceYears) > 0 || !follow {
			printTransformSummary(a.stdout, sum)
		}
		if !follow {
			return nil
		}
		job.SetFull(false)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(followInterval):
		}
	}
}

// outage reports whether a failed run met an outage of a dependency that
// --follow waits out: ClickHouse unreachable or overloaded, or the alerts
// not deliverable to Kafka or the webhook.
func outage(err error) bool {
	var de *transform.DeliveryError
	return clickhouse.Transient(err) || errors.As(err, &de)
}

// followRetry keeps transform --follow running through outages of its
// dependencies: a transient error is logged once when the outage starts and
// once when it ends, and the next run waits with capped exponential backoff.
type followRetry struct {
	log   *slog.Logger
	bo    *backoff.ExponentialBackOff
	since time.Time
}

// next records the outcome of a run; after an error it waits before the
// next try and reports false when ctx ended meanwhile.
func (r *followRetry) next(ctx context.Context, err error) bool {
	if err == nil {
		if !r.since.IsZero() {
			r.log.Info("transform: dependencies back, recomputing again", "outage", time.Since(r.since).Round(time.Second))
			r.since, r.bo = time.Time{}, nil
		}
		return true
	}
	if r.since.IsZero() {
		r.log.Warn("transform: dependency unavailable, retrying until it is back", "err", err)
		r.since = time.Now()
		r.bo = backoff.NewExponentialBackOff()
		r.bo.InitialInterval, r.bo.MaxInterval = time.Second, time.Minute
	}
	select {
	case <-ctx.Done():
		return false
	case <-time.After(r.bo.NextBackOff()):
		return true
	}
}

// packsFlag is the --rule-packs directory of the commands that check rules.
type packsFlag string

func (p *packsFlag) register(fs *pflag.FlagSet, what string) {
	fs.StringVar((*string)(p), "rule-packs", string(*p), "规则包`目录`（"+what+"；默认目录不存在时用内置规则包）")
}

func (p packsFlag) load() (rules.Packs, error) { return loadPacks(string(p)) }

// into loads the packs into dst.
func (p packsFlag) into(dst *rules.Packs) (err error) {
	*dst, err = p.load()
	return err
}

// loadPacks reads the rule packs of dir, or the shipped packs when dir is
// the default and does not exist (the binary run outside the source tree).
func loadPacks(dir string) (rules.Packs, error) {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) && dir == defaultRulePacks {
		return rules.ShippedPacks()
	}
	return rules.LoadPacks(dir)
}

func printTransformSummary(w io.Writer, s *transform.Summary) {
	if len(s.ProvinceYears) == 0 {
		fmt.Fprintf(w, "没有新数据，无需重算（用时 %s）\n", elapsed(s.Took))
		return
	}
	fmt.Fprintf(w, "已重算 %d 个省份年度：", len(s.ProvinceYears))
	for i, py := range s.ProvinceYears {
		if i > 0 {
			fmt.Fprint(w, "、")
		}
		fmt.Fprintf(w, "%s/%d", py.Province, py.Year)
	}
	fmt.Fprintf(w, "\n写入指标 %d 行，规则检查结果 %d 条（用时 %s）\n", s.Indicators, s.RuleResults, elapsed(s.Took))
	printTopCounties(w, s)
	printByRule(w, s.ByRule)
}

func printTopCounties(w io.Writer, s *transform.Summary) {
	provinces := make([]string, 0, len(s.Latest))
	for p := range s.Latest {
		provinces = append(provinces, p)
	}
	sort.Strings(provinces)
	for _, p := range provinces {
		lm := s.Latest[p]
		fmt.Fprintf(w, "省份 %s %s 基层负担指数前 5 名：\n", p, lm.Month.Format("2006年1月"))
		for i, c := range lm.Counties {
			if i == 5 {
				break
			}
			fmt.Fprintf(w, "  %d. %s %s  %.1f\n", i+1, c.County, s.CountyNames[c.County], c.Index)
		}
	}
}

func printByRule(w io.Writer, byRule map[string]int) {
	if len(byRule) == 0 {
		fmt.Fprintln(w, "未发现违规或提醒")
		return
	}
	ids := make([]string, 0, len(byRule))
	for id := range byRule {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		return byRule[ids[i]] > byRule[ids[j]] || (byRule[ids[i]] == byRule[ids[j]] && ids[i] < ids[j])
	})
	fmt.Fprintln(w, "按规则统计的检查结果：")
	for _, id := range ids {
		fmt.Fprintf(w, "  %-36s %d\n", id, byRule[id])
	}
}
