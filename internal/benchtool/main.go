// Command benchtool measures end-to-end ingest (Kafka → validation →
// ClickHouse) against a direct load of the same events with clickhouse-client
// FORMAT JSONEachRow. It is run by `make bench` (deploy/bench.sh).
//
//	benchtool -file events.jsonl -brokers 127.0.0.1:9092 -clickhouse clickhouse://default:@127.0.0.1:19000/
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"
	_ "time/tzdata"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/ingest"
	"github.com/burdenwatch/burdenwatch/kafka"
	"github.com/burdenwatch/burdenwatch/refdata"
	"github.com/valyala/fastjson"
)

type options struct {
	file, brokers, server, client, refdir, work string
	batch, workers                              int
	cpuprofile                                  string
}

func main() {
	var o options
	flag.StringVar(&o.file, "file", "var/bench/events.jsonl", "fixed file of simulated event messages, one per line")
	flag.StringVar(&o.brokers, "brokers", "127.0.0.1:9092", "broker")
	flag.StringVar(&o.server, "clickhouse", "clickhouse://default:@127.0.0.1:19000/", "ClickHouse server DSN (database part ignored)")
	flag.StringVar(&o.client, "client", "clickhouse-client --port 19000", "clickhouse-client command")
	flag.StringVar(&o.refdir, "refdata", "refdata/default", "reference data directory")
	flag.StringVar(&o.work, "work", "var/bench", "scratch directory")
	flag.IntVar(&o.batch, "batch-size", 100000, "ingest batch size")
	flag.IntVar(&o.workers, "workers", 2, "ingest decode workers")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the ingest phase here")
	flag.Parse()
	o.cpuprofile = *cpuprofile
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "benchtool:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	msgs, err := readMessages(o.file)
	if err != nil {
		return err
	}
	ref, err := refdata.ParseDir(o.refdir)
	if err != nil {
		return err
	}
	stamp := time.Now().Format("20060102150405")
	topic := "bench." + stamp
	db, err := freshDB(ctx, o.server+"bench_ingest", ref)
	if err != nil {
		return err
	}
	defer db.Close()
	brokers := strings.Split(o.brokers, ",")
	t0 := time.Now()
	if err := publish(ctx, brokers, topic, msgs); err != nil {
		return err
	}
	pubRate := float64(len(msgs)) / time.Since(t0).Seconds()
	stop, err := startProfile(o.cpuprofile)
	if err != nil {
		return err
	}
	st, err := ingestAll(ctx, db, brokers, topic, o)
	stop()
	if derr := kafka.DeleteTopic(ctx, brokers, topic); derr != nil {
		fmt.Fprintln(os.Stderr, "benchtool:", derr)
	}
	if err != nil {
		return err
	}
	direct, n, err := directLoad(ctx, o, msgs, ref)
	if err != nil {
		return err
	}
	return report(ctx, db, o, len(msgs), pubRate, st, direct, n)
}

func readMessages(path string) ([]kafka.Message, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open event file: %w", err)
	}
	defer f.Close()
	var out []kafka.Message
	var p fastjson.Parser
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		val := append([]byte(nil), sc.Bytes()...)
		key := []byte("none")
		if v, err := p.ParseBytes(val); err == nil {
			key = append([]byte(nil), v.GetStringBytes("county_code")...)
		}
		out = append(out, kafka.Message{Key: key, Value: val})
	}
	return out, sc.Err()
}

func freshDB(ctx context.Context, dsn string, ref *bw.ReferenceData) (*clickhouse.DB, error) {
	db, err := clickhouse.Open(ctx, dsn, true)
	if err != nil {
		return nil, err
	}
	if err := db.Exec(ctx, "DROP DATABASE IF EXISTS "+db.Database()); err != nil {
		return nil, err
	}
	db.Close()
	if db, err = clickhouse.Open(ctx, dsn, true); err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	return db, db.LoadReferenceData(ctx, ref, "bench")
}

func publish(ctx context.Context, brokers []string, topic string, msgs []kafka.Message) error {
	p := kafka.NewPublisher(brokers, topic)
	defer p.Close()
	for i := 0; i < len(msgs); i += 50000 {
		if err := p.Publish(ctx, msgs[i:min(i+50000, len(msgs))]); err != nil {
			return err
		}
	}
	return nil
}

func ingestAll(ctx context.Context, db *clickhouse.DB, brokers []string, topic string, o options) (ingest.Stats, error) {
	points, err := db.ObservationPoints(ctx)
	if err != nil {
		return ingest.Stats{}, err
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	group := "bench"
	cons, err := kafka.NewConsumer(kafka.ConsumerConfig{Brokers: brokers, Topic: topic, Group: group})
	if err != nil {
		return ingest.Stats{}, err
	}
	defer cons.Close()
	in := ingest.New(ingest.Config{
		Topic: topic, Group: group, BatchSize: o.batch, FlushInterval: time.Second, Workers: o.workers,
		UntilIdle: true, IdleTimeout: time.Second, Location: loc,
		Lag:    func(ctx context.Context) (int64, error) { return kafka.Lag(ctx, brokers, topic, group) },
		Points: func() map[string]bw.ObservationPoint { return points },
		Log:    slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()})),
	}, cons, db)
	return in.Run(ctx)
}

// directLoad flattens the valid events to JSONEachRow (not timed) and
// times clickhouse-client loading them into a fresh database.
func directLoad(ctx context.Context, o options, msgs []kafka.Message, ref *bw.ReferenceData) (time.Duration, int, error) {
	db, err := freshDB(ctx, o.server+"bench_direct", ref)
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	points := map[string]bw.ObservationPoint{}
	for _, p := range ref.ObservationPoints {
		points[p.CountyCode] = p
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	dec := bw.NewDecoder(points, loc)
	rows := clickhouse.NewEventRows(len(msgs))
	for _, m := range msgs {
		if ev, err := dec.Decode(m.Value); err == nil {
			rows.Append(&ev, bw.Version(ev.Revision, m.Value), clickhouse.Delivery{Topic: "direct"})
		}
	}
	flat := filepath.Join(o.work, "flat.jsonl")
	f, err := os.Create(flat)
	if err != nil {
		return 0, 0, err
	}
	if err := rows.WriteJSONEachRow(f, 1); err != nil {
		return 0, 0, err
	}
	f.Close()
	query := fmt.Sprintf("INSERT INTO %s.events (%s) FORMAT JSONEachRow", db.Database(), strings.Join(rows.ColumnNames(), ", "))
	args := append(strings.Fields(o.client), "--query", query)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	in, err := os.Open(flat)
	if err != nil {
		return 0, 0, err
	}
	defer in.Close()
	cmd.Stdin, cmd.Stderr = in, os.Stderr
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("clickhouse-client load: %w", err)
	}
	return time.Since(t0), rows.Len(), nil
}

func report(ctx context.Context, db *clickhouse.DB, o options, n int, pubRate float64, st ingest.Stats, direct time.Duration, directRows int) error {
	var inDB uint64
	if err := db.Conn().QueryRow(ctx, "SELECT count() FROM events").Scan(&inDB); err != nil {
		return err
	}
	ingestRate := st.EventsPerSecond()
	directRate := float64(directRows) / direct.Seconds()
	fmt.Printf("\n== Ingest benchmark (%s, %d messages) ==\n", o.file, n)
	fmt.Printf("publish to broker:                 %9.0f msgs/s\n", pubRate)
	fmt.Printf("ingest Kafka→ClickHouse (end-to-end, validated): %d messages, %d events, %d dead letters in %s = %.0f msgs/s\n",
		st.Messages, st.Events, st.DeadLetters, st.Busy().Round(time.Millisecond), ingestRate)
	fmt.Printf("direct clickhouse-client JSONEachRow (flattened): %d rows in %s = %.0f rows/s\n",
		directRows, direct.Round(time.Millisecond), directRate)
	fmt.Printf("ratio ingest / direct: %.2f×   (rows in ClickHouse after ingest: %d)\n", ingestRate/directRate, inDB)
	return nil
}

// startProfile starts a CPU profile into path, when given.
func startProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// logLevel is Debug when BENCH_DEBUG is set, else Warn.
func logLevel() slog.Level {
	if os.Getenv("BENCH_DEBUG") != "" {
		return slog.LevelDebug
	}
	return slog.LevelWarn
}
