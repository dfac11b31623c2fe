package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/config"
	"github.com/burdenwatch/burdenwatch/ingest"
	"github.com/burdenwatch/burdenwatch/kafka"
)

func ingestCommand(a *app) *cobra.Command {
	cfg := ingest.Config{BatchSize: ingest.DefaultBatchSize, FlushInterval: time.Second, Workers: 2, IdleTimeout: 2 * time.Second,
		MaxMessageBytes: ingest.DefaultMaxMessageBytes, MaxOutage: ingest.DefaultMaxOutage}
	var brokers string
	var ch clickhouseFlags
	var cluster clusterFlags
	var ko ingestKafkaFlags
	cmd := &cobra.Command{
		Use:   "ingest",
		Short: "从 Kafka 读取负担事件写入 ClickHouse（无效消息进入死信表并注明原因）",
		Long: "从 Kafka 读取负担事件，逐字段校验后写入 ClickHouse；无效消息连同原始字节和原因写入死信表。" +
			"ClickHouse 接受一批之后才提交消费位点，重启不丢不重。",
		Example: "  burdenwatch ingest\n  burdenwatch ingest --until-idle\n" +
			"  burdenwatch ingest --brokers kafka-1:9092,kafka-2:9092 --clickhouse clickhouse://default@db1:9000/burdenwatch",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runIngest(cmd.Context(), a, cfg, splitList(brokers), &ch, &cluster, ko)
		},
	}
	fs := cmd.Flags()
	brokersFlag(fs, &brokers)
	topicFlag(fs, &cfg.Topic, "事件主题")
	groupFlag(fs, &cfg.Group)
	ch.register(fs)
	cluster.register(fs, true)
	fs.BoolVar(&cfg.UntilIdle, "until-idle", cfg.UntilIdle, "读完积压消息后退出")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", cfg.IdleTimeout, "多长时间没有新消息视为空闲")
	fs.IntVar(&cfg.BatchSize, "batch-size", cfg.BatchSize, "每批最多消息数")
	fs.DurationVar(&cfg.FlushInterval, "flush-interval", cfg.FlushInterval, "每批最长等待时间")
	fs.IntVar(&cfg.Workers, "workers", cfg.Workers, "并行解析线程数")
	ko.register(fs, &cfg)
	return cmd
}

// ingestKafkaFlags are the ingest flags for memory, outages, the consumer
// group session and metrics.
type ingestKafkaFlags struct {
	budgetMiB      int
	sessionTimeout time.Duration
	instanceID     string
	metricsListen  string
}

func (k *ingestKafkaFlags) register(fs *pflag.FlagSet, cfg *ingest.Config) {
	k.budgetMiB, k.sessionTimeout = ingest.DefaultMemoryBudget>>20, 6*time.Second
	fs.IntVar(&k.budgetMiB, "memory-budget-mib", k.budgetMiB, "已读取但尚未写入的消息最多占用的内存（MiB），达到后暂停读取")
	fs.IntVar(&cfg.MaxMessageBytes, "max-message-bytes", cfg.MaxMessageBytes, "单条消息最大字节数，超过的整条进入死信表（原因 message_too_large）")
	fs.DurationVar(&cfg.MaxOutage, "max-outage", cfg.MaxOutage, "与 --until-idle 一起：ClickHouse 或 Kafka 连续不可达，或消费组仍有积压却收不到消息，超过这么久就报错退出（不带 --until-idle 时一直重试）")
	fs.DurationVar(&k.sessionTimeout, "session-timeout", k.sessionTimeout, "消费组会话超时：进程崩溃后多久重新分配其分区（须在 Kafka 的 group.min/max.session.timeout.ms 之间；开发 broker 允许 1s）")
	fs.StringVar(&k.instanceID, "instance-id", "", "静态组成员 ID（KIP-345）：同一 ID 重启后立即取回分区；每个运行中的进程必须不同")
	fs.StringVar(&k.metricsListen, "metrics-listen", "", "在此地址提供 Prometheus 指标 /metrics（例如 127.0.0.1:9464；空为不提供）")
	config.Local(fs, "metrics-listen", "instance-id") // per process: transform --follow and serve have their own
}

// start prepares cfg's memory budget, metrics and health from the flags.
func (k ingestKafkaFlags) start(ctx context.Context, a *app, cfg *ingest.Config) (limit time.Duration) {
	cfg.MemoryBudget = int64(k.budgetMiB) << 20
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(ingest.SoftMemoryLimit(cfg.MemoryBudget))
	}
	if k.metricsListen != "" {
		cfg.Registerer = startMetrics(ctx, a, k.metricsListen)
	}
	cfg.Health = ingest.NewHealth(a.log, cfg.Registerer)
	if cfg.UntilIdle {
		return cfg.MaxOutage
	}
	return 0
}

func runIngest(ctx context.Context, a *app, cfg ingest.Config, brokers []string, ch *clickhouseFlags, cluster *clusterFlags, ko ingestKafkaFlags) error {
	limit := ko.start(ctx, a, &cfg)
	// Services that are not there yet are waited for, like outages later.
	var db *clickhouse.DB
	err := cfg.Health.Await(ctx, ingest.ServiceClickHouse, limit, clickhouse.Transient, func(ctx context.Context) (err error) {
		db, err = ch.open(ctx, false)
		return err
	})
	if err != nil {
		return err
	}
	defer db.Close()
	store, closeStore, err := cluster.store(ctx, ch, a, db)
	if err != nil {
		return err
	}
	defer closeStore()
	if err := cfg.Health.Await(ctx, ingest.ServiceKafka, limit, func(error) bool { return true },
		func(ctx context.Context) error { return kafka.Ping(ctx, brokers) }); err != nil {
		return err
	}
	var points map[string]bw.ObservationPoint
	if err := cfg.Health.Await(ctx, ingest.ServiceClickHouse, limit, clickhouse.Transient, func(ctx context.Context) (err error) {
		points, err = db.ObservationPoints(ctx)
		return err
	}); err != nil {
		return err
	}
	if len(points) == 0 {
		a.log.Warn("no observation points loaded: every event will be dead-lettered; run `burdenwatch refdata load DIR` first")
	}
	var current atomic.Pointer[map[string]bw.ObservationPoint]
	current.Store(&points)
	go refreshPoints(ctx, a, db, &current)
	cons, err := kafka.NewConsumer(kafka.ConsumerConfig{Brokers: brokers, Topic: cfg.Topic, Group: cfg.Group, Log: a.log,
		SessionTimeout: ko.sessionTimeout, InstanceID: ko.instanceID, OnConnect: cfg.Health.KafkaConnect})
	if err != nil {
		return err
	}
	defer cons.Close()
	cfg.Lag = func(ctx context.Context) (int64, error) { return kafka.Lag(ctx, brokers, cfg.Topic, cfg.Group) }
	cfg.Points = func() map[string]bw.ObservationPoint { return *current.Load() }
	cfg.Location, cfg.Log = bw.Location(), a.log
	stats, err := ingest.New(cfg, cons, store).Run(ctx)
	printIngestSummary(a.stdout, stats)
	return err
}

// refreshPoints reloads the observation points every 30 seconds, so a
// reference data load takes effect without a restart.
func refreshPoints(ctx context.Context, a *app, db *clickhouse.DB, cur *atomic.Pointer[map[string]bw.ObservationPoint]) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p, err := db.ObservationPoints(ctx)
			if err != nil {
				a.log.Warn("could not refresh observation points", "err", err)
				continue
			}
			cur.Store(&p)
		}
	}
}

var kindNames = map[bw.Kind]string{
	bw.KindDocument: "发文", bw.KindMeeting: "会议", bw.KindInspection: "督查检查考核", bw.KindDataReport: "填表报数",
}

func printIngestSummary(w io.Writer, s ingest.Stats) {
	fmt.Fprintf(w, "\n== 接入汇总 ==\n消息 %d 条，有效事件 %d 条，死信 %d 条，%d 批；总用时 %s，处理用时 %s，%.0f 条/秒\n",
		s.Messages, s.Events, s.DeadLetters, s.Batches, elapsed(s.Elapsed), elapsed(s.Busy()), s.EventsPerSecond())
	fmt.Fprintln(w, "按类型:")
	for _, k := range bw.Kinds {
		fmt.Fprintf(w, "  %-12s %-8s %d\n", k, kindNames[k], s.ByKind[k])
	}
	if len(s.ByReason) > 0 {
		fmt.Fprintln(w, "死信原因:")
		reasons := make([]string, 0, len(s.ByReason))
		for r := range s.ByReason {
			reasons = append(reasons, r)
		}
		sort.Strings(reasons)
		for _, r := range reasons {
			fmt.Fprintf(w, "  %-24s %d\n", r, s.ByReason[r])
		}
	}
}
