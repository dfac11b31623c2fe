package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/spf13/cobra"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/kafka"
	"github.com/burdenwatch/burdenwatch/refdata"
	"github.com/burdenwatch/burdenwatch/sim"
)

func simulateCommand(a *app) *cobra.Command {
	cfg := sim.DefaultConfig("43")
	var o simOutput
	refDir := "refdata/default"
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "向 Kafka 发布一个模拟省份一年的负担事件（含违规、格式错误、重复和更正）",
		Long: "生成一个省份一年的模拟负担事件（真实的观测县、季节性、注入的违规、格式错误、重复投递、更正和迟报）" +
			"并发布到 Kafka，或用 --file 写入 JSON 行文件。相同的种子生成相同的事件。",
		Example: "  burdenwatch simulate\n  burdenwatch simulate --province 33 --year 2025 --seed 7\n" +
			"  burdenwatch simulate --scale 30 --file var/bench/events.jsonl",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSimulate(cmd.Context(), a, cfg, refDir, o) },
	}
	fs := cmd.Flags()
	brokersFlag(fs, &o.brokers)
	topicFlag(fs, &o.topic, "事件主题")
	fs.StringVar(&cfg.Province, "province", cfg.Province, "省份代码：43 湖南、37 山东、22 吉林、33 浙江")
	fs.IntVar(&cfg.Year, "year", cfg.Year, "模拟年份")
	fs.Int64Var(&cfg.Seed, "seed", cfg.Seed, "随机种子（相同种子生成相同事件）")
	fs.Float64Var(&cfg.Scale, "scale", cfg.Scale, "事件量倍数（1 = 真实规模）")
	fs.Float64Var(&cfg.ViolationShare, "violation-share", cfg.ViolationShare, "违规事件比例")
	fs.Float64Var(&cfg.MalformedShare, "malformed-share", cfg.MalformedShare, "格式错误消息比例")
	fs.Float64Var(&cfg.DuplicateShare, "duplicate-share", cfg.DuplicateShare, "重复投递比例")
	fs.Float64Var(&cfg.RevisionShare, "revision-share", cfg.RevisionShare, "更正（新 revision）比例")
	fs.Float64Var(&cfg.LateShare, "late-share", cfg.LateShare, "迟报（发生后 1–5 周才发布）比例")
	fs.Float64Var(&cfg.InvalidCodeShare, "invalid-code-share", cfg.InvalidCodeShare, "出示无效督查码（未赋码、他单位码、不在有效期）的督查检查比例")
	fs.StringVar(&refDir, "refdata", refDir, "参考数据目录（观测点、计划清单、发文单位）")
	fs.StringVar(&o.file, "file", "", "写入 JSON 行 `文件` 而不发布到 Kafka（用于基准测试）")
	return cmd
}

// simOutput is where simulate sends its messages.
type simOutput struct {
	brokers, topic string
	file           string // JSON lines instead of Kafka when set
}

func runSimulate(ctx context.Context, a *app, cfg sim.Config, refDir string, o simOutput) error {
	ref, err := refdata.ParseDir(refDir)
	if err != nil {
		return err
	}
	issuers, err := refdata.ParseIssuers(filepath.Join(refDir, "issuers.csv"))
	if err != nil {
		return err
	}
	sink, err := newMessageSink(ctx, o)
	if err != nil {
		return err
	}
	t0 := time.Now()
	progress := newProgress(a.stderr)
	st, err := sim.Generate(ref, issuers, cfg, func(m sim.Message) error {
		progress.tick()
		return sink.add(kafka.Message{Key: m.Key, Value: m.Value})
	})
	if err == nil {
		err = sink.close()
	}
	if err != nil {
		return err
	}
	printSimSummary(a.stdout, cfg.Province, cfg.Year, st, time.Since(t0))
	return nil
}

// messageSink publishes messages to Kafka in chunks, or writes them to a
// JSON-lines file.
type messageSink struct {
	ctx  context.Context
	pub  *kafka.Publisher
	file *os.File
	w    *bufio.Writer
	buf  []kafka.Message
}

func newMessageSink(ctx context.Context, o simOutput) (*messageSink, error) {
	s := &messageSink{ctx: ctx}
	if o.file != "" {
		if err := os.MkdirAll(filepath.Dir(o.file), 0o755); err != nil {
			return nil, err
		}
		f, err := os.Create(o.file)
		if err != nil {
			return nil, fmt.Errorf("create %s: %w", o.file, err)
		}
		s.file, s.w = f, bufio.NewWriterSize(f, 1<<20)
		return s, nil
	}
	brokers := splitList(o.brokers)
	if err := kafka.Ping(ctx, brokers); err != nil {
		return nil, err
	}
	s.pub = kafka.NewPublisher(brokers, o.topic)
	return s, nil
}

func (s *messageSink) add(m kafka.Message) error {
	if s.w != nil {
		s.w.Write(m.Value)
		return s.w.WriteByte('\n')
	}
	s.buf = append(s.buf, m)
	if len(s.buf) >= 20000 {
		return s.flush()
	}
	return nil
}

func (s *messageSink) flush() error {
	if len(s.buf) == 0 {
		return nil
	}
	err := s.pub.Publish(s.ctx, s.buf)
	s.buf = s.buf[:0]
	return err
}

func (s *messageSink) close() error {
	if s.w != nil {
		if err := s.w.Flush(); err != nil {
			return err
		}
		return s.file.Close()
	}
	if err := s.flush(); err != nil {
		return err
	}
	return s.pub.Close()
}

// progress prints a line every 100k messages on long runs.
type progress struct {
	w     io.Writer
	n     int
	start time.Time
}

func newProgress(w io.Writer) *progress { return &progress{w: w, start: time.Now()} }

func (p *progress) tick() {
	p.n++
	if p.n%100000 == 0 {
		fmt.Fprintf(p.w, "已生成 %d 条消息（%.0f 条/秒）\n", p.n, float64(p.n)/time.Since(p.start).Seconds())
	}
}

func printSimSummary(w io.Writer, province string, year int, st sim.Stats, took time.Duration) {
	fmt.Fprintf(w, "\n== 模拟汇总：省份 %s，%d 年 ==\n消息 %d 条：有效事件 %d 条，格式错误 %d 条，重复投递 %d 条，更正 %d 条，迟报 %d 条；用时 %s\n",
		province, year, st.Messages, st.Events, st.Malformed, st.Duplicates, st.Revisions, st.Late, elapsed(took))
	for _, k := range bw.Kinds {
		fmt.Fprintf(w, "  %-12s %d\n", k, st.ByKind[k])
	}
	rules := make([]string, 0, len(st.Violations))
	for r := range st.Violations {
		rules = append(rules, r)
	}
	sort.Strings(rules)
	fmt.Fprintf(w, "注入的违规（预期规则结果数）:")
	for _, r := range rules {
		fmt.Fprintf(w, " %s=%d", r, st.Violations[r])
	}
	fmt.Fprintln(w)
}
