// Command benchtool measures end-to-end ingest (Kafka → validation →
// ClickHouse) against a direct load of the same events with clickhouse-client
// FORMAT JSONEachRow, alternately (A B A B A B) in one run, and the memory
// of ingest on a backlog of large messages. It is run by `make bench`
// (deploy/bench.sh).
//
//	benchtool -file events.jsonl -brokers 127.0.0.1:9092 -clickhouse clickhouse://default:@127.0.0.1:19000/
//
// Ingest runs in a child process (benchtool -child) with the same ingest
// package and defaults as `burdenwatch ingest`, so that its peak RSS and CPU
// time are its own, not the benchmark's (which holds the whole file).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/internal/procstat"
	"github.com/burdenwatch/burdenwatch/kafka"
	"github.com/burdenwatch/burdenwatch/refdata"
	"github.com/valyala/fastjson"
)

type options struct {
	file, brokers, server, client, refdir, work string
	passwordFile                                string
	rounds, bigMessages, brokerPID, serverPID   int
	child                                       childOptions
}

func main() {
	var o options
	flag.StringVar(&o.file, "file", "var/bench/events.jsonl", "fixed file of simulated event messages, one per line")
	flag.StringVar(&o.brokers, "brokers", "127.0.0.1:9092", "broker")
	flag.StringVar(&o.server, "clickhouse", "clickhouse://default@127.0.0.1:19000/", "ClickHouse server DSN without password (database part ignored)")
	flag.StringVar(&o.passwordFile, "password-file", "", "file holding the ClickHouse user's password (never on the command line)")
	flag.StringVar(&o.client, "client", "clickhouse-client --port 19000", "clickhouse-client command")
	flag.StringVar(&o.refdir, "refdata", "refdata/default", "reference data directory")
	flag.StringVar(&o.work, "work", "var/bench", "scratch directory")
	flag.IntVar(&o.rounds, "rounds", 3, "ingest and direct load rounds, alternately")
	flag.IntVar(&o.bigMessages, "big-messages", 1000, "backlog of 1 MB messages for the memory measurement (0: skip)")
	flag.IntVar(&o.brokerPID, "broker-pid", 0, "pid of the broker process, for its CPU time (0: not measured)")
	flag.IntVar(&o.serverPID, "server-pid", 0, "pid of clickhouse-server, for its CPU time (0: not measured)")
	childFlags(&o.child)
	flag.Parse()
	var err error
	if o.server, err = withPassword(o.server, o.passwordFile); err != nil {
		fmt.Fprintln(os.Stderr, "benchtool:", err)
		os.Exit(1)
	}
	if o.child.on {
		err = runChild(context.Background(), o.child)
	} else {
		err = run(context.Background(), o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtool:", err)
		os.Exit(1)
	}
}

// result is one measured run.
type result struct {
	rows    int
	busy    time.Duration // ingest: first fetch to last flush; direct: the client's wall time
	rssMiB  float64
	cpu     time.Duration // the process's user+system time
	brokerC time.Duration // the broker's user+system time during the run
	serverC time.Duration // clickhouse-server's user+system time during the run
	parts   int           // ingest: parts its events inserts created
}

func (r result) rate() float64 { return float64(r.rows) / r.busy.Seconds() }

func run(ctx context.Context, o options) error {
	ref, err := refdata.ParseDir(o.refdir)
	if err != nil {
		return err
	}
	topic := "bench." + time.Now().Format("20060102150405")
	brokers := strings.Split(o.brokers, ",")
	if o.rounds == 0 { // the memory measurement alone
		big, err := bigRound(ctx, o, ref, brokers)
		if err == nil {
			fmt.Printf("backlog of %d × 1 MB messages: ingested in %s, peak RSS %.0f MiB\n", big.rows, big.busy.Round(time.Millisecond), big.rssMiB)
		}
		return err
	}
	msgs, flat, nValid, pubRate, err := prepare(ctx, o, brokers, topic, ref)
	if err != nil {
		return err
	}
	defer func() {
		if derr := kafka.DeleteTopic(context.Background(), brokers, topic); derr != nil {
			fmt.Fprintln(os.Stderr, "benchtool:", derr)
		}
	}()
	admin, err := clickhouse.Open(ctx, o.server+"default", false) // drops, merges
	if err != nil {
		return err
	}
	defer admin.Close()
	if err := dropRounds(ctx, admin, o.rounds); err != nil { // left by an interrupted run
		return err
	}
	defer func() {
		if derr := dropRounds(context.Background(), admin, o.rounds); derr != nil {
			fmt.Fprintln(os.Stderr, "benchtool:", derr)
		}
	}()
	fmt.Printf("load average before: %s\n", loadAverage())
	var ing, dir []result
	for i := 1; i <= o.rounds; i++ {
		if err := settle(ctx, admin); err != nil {
			return err
		}
		a, err := ingestRound(ctx, o, ref, topic, i, msgs)
		if err != nil {
			return err
		}
		ing = append(ing, a)
		if err := stopMerges(ctx, admin, roundDB("ingest", i)); err != nil {
			return err
		}
		fmt.Printf("round %d A ingest: %d messages in %s = %.0f msgs/s, peak RSS %.0f MiB, CPU %.1f µs/msg (broker %.1f µs/msg, server %.1f µs/msg), %d event parts, load %s\n",
			i, a.rows, a.busy.Round(time.Millisecond), a.rate(), a.rssMiB, perEvent(a.cpu, a.rows), perEvent(a.brokerC, a.rows), perEvent(a.serverC, a.rows), a.parts, loadAverage())
		if err := settle(ctx, admin); err != nil {
			return err
		}
		b, err := directRound(ctx, o, ref, flat, nValid, i)
		if err != nil {
			return err
		}
		dir = append(dir, b)
		if err := stopMerges(ctx, admin, roundDB("direct", i)); err != nil {
			return err
		}
		fmt.Printf("round %d B direct: %d rows in %s = %.0f rows/s, client peak RSS %.0f MiB, CPU %.1f µs/row (server %.1f µs/row), load %s\n",
			i, b.rows, b.busy.Round(time.Millisecond), b.rate(), b.rssMiB, perEvent(b.cpu, b.rows), perEvent(b.serverC, b.rows), loadAverage())
	}
	var big result
	if o.bigMessages > 0 {
		if big, err = bigRound(ctx, o, ref, brokers); err != nil {
			return err
		}
		fmt.Printf("backlog of %d × 1 MB messages: ingested in %s, peak RSS %.0f MiB\n", big.rows, big.busy.Round(time.Millisecond), big.rssMiB)
	}
	summary(len(msgs), pubRate, ing, dir, big)
	return nil
}

// prepare reads the file, publishes it once to topic (every ingest round
// reads it with its own group) and flattens its valid events to
// JSONEachRow for the direct load (neither is timed as ingest).
func prepare(ctx context.Context, o options, brokers []string, topic string, ref *bw.ReferenceData) ([]kafka.Message, string, int, float64, error) {
	msgs, err := readMessages(o.file)
	if err != nil {
		return nil, "", 0, 0, err
	}
	t0 := time.Now()
	if err := publish(ctx, brokers, topic, msgs); err != nil {
		return nil, "", 0, 0, err
	}
	pubRate := float64(len(msgs)) / time.Since(t0).Seconds()
	flat := filepath.Join(o.work, "flat.jsonl")
	n, err := flatten(msgs, ref, flat)
	return msgs, flat, n, pubRate, err
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

// Each round writes into a database of its own (roundDB), whose merges are
// stopped once the round is timed (stopMerges), and the rounds' databases
// are dropped only once all rounds are done (dropRounds). On a
// filesystem without a journal — this machine's ext4 — the kernel skips
// every inode freed in the last one to five minutes when it allocates one
// (fs/ext4/ialloc.c, recently_deleted): a round that follows the drop of
// the one before it pays for scanning past thousands of freed inodes for
// each of the ~120 files of every part it creates. Measured with perf on
// the server: 35–42 % of its CPU during a round after such a drop.

// roundDB is the database of one round: kind "ingest" or "direct".
func roundDB(kind string, round int) string { return fmt.Sprintf("bench_%s_%d", kind, round) }

// dropRounds drops the databases of every round up to rounds, and those
// of earlier runs' rounds.
func dropRounds(ctx context.Context, db *clickhouse.DB, rounds int) error {
	names := []string{"bench_ingest", "bench_direct"} // of runs before the rounds had databases of their own
	for i := 1; i <= rounds; i++ {
		names = append(names, roundDB("ingest", i), roundDB("direct", i))
	}
	for _, name := range names {
		if err := db.Exec(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
			return err
		}
	}
	return nil
}

// stopMerges stops the merges of the tables of database name, which the
// drop of the database stopped before: its parts would otherwise go on
// merging while the next round runs.
func stopMerges(ctx context.Context, db *clickhouse.DB, name string) error {
	rows, err := db.Conn().Query(ctx, "SELECT name FROM system.tables WHERE database = ? AND engine LIKE '%MergeTree'", name)
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range tables {
		if err := db.Exec(ctx, "SYSTEM STOP MERGES "+name+"."+t); err != nil {
			return fmt.Errorf("stop the merges of %s.%s: %w", name, t, err)
		}
	}
	return nil
}

// settle waits (at most two minutes) until the server runs no merge, so
// that a round does not pay for the background merges of the one before
// it — the direct load's parts of a million rows keep a core busy for
// seconds after it ends.
func settle(ctx context.Context, db *clickhouse.DB) error {
	t0 := time.Now()
	for time.Since(t0) < 2*time.Minute {
		var n uint64
		if err := db.Conn().QueryRow(ctx, "SELECT count() FROM system.merges").Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return nil
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

// ingestRound ingests topic with a new group into a fresh database, in a
// child process, and checks that every valid event arrived.
func ingestRound(ctx context.Context, o options, ref *bw.ReferenceData, topic string, round int, msgs []kafka.Message) (result, error) {
	name, group := roundDB("ingest", round), fmt.Sprintf("bench-%d", round)
	db, err := freshDB(ctx, o.server+name, ref)
	if err != nil {
		return result{}, err
	}
	defer db.Close()
	res, st, err := runIngestChild(ctx, o, o.server+name, topic, group)
	if err != nil {
		return result{}, err
	}
	if st.Messages != len(msgs) {
		return result{}, fmt.Errorf("ingest round %s consumed %d of %d messages", group, st.Messages, len(msgs))
	}
	res.rows, res.parts = st.Messages, st.EventParts
	return res, nil
}

// runIngestChild runs `benchtool -child` and returns its resource use and
// stats.
func runIngestChild(ctx context.Context, o options, dsn, topic, group string) (result, childStats, error) {
	self, err := os.Executable()
	if err != nil {
		return result{}, childStats{}, err
	}
	args := append([]string{"-child", "-brokers", o.brokers, "-child-topic", topic, "-child-group", group}, o.child.args()...)
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Env = append(os.Environ(), "BENCH_CLICKHOUSE_DSN="+dsn) // not in the process list
	cmd.Stderr = os.Stderr
	b0, s0 := procCPU(o.brokerPID), procCPU(o.serverPID)
	out, err := cmd.Output()
	b1, s1 := procCPU(o.brokerPID), procCPU(o.serverPID)
	if err != nil {
		return result{}, childStats{}, fmt.Errorf("ingest child: %w", err)
	}
	var st childStats
	if err := json.Unmarshal(out, &st); err != nil {
		return result{}, childStats{}, fmt.Errorf("ingest child output %q: %w", out, err)
	}
	return result{
		busy:    time.Duration(st.BusyNanos),
		rssMiB:  float64(st.PeakRSSKiB) / 1024,
		cpu:     cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(),
		brokerC: b1 - b0,
		serverC: s1 - s0,
	}, st, nil
}

// directRound times clickhouse-client loading the flattened events into a
// fresh database.
func directRound(ctx context.Context, o options, ref *bw.ReferenceData, flat string, n, round int) (result, error) {
	db, err := freshDB(ctx, o.server+roundDB("direct", round), ref)
	if err != nil {
		return result{}, err
	}
	defer db.Close()
	query := fmt.Sprintf("INSERT INTO %s.events (%s) FORMAT JSONEachRow", db.Database(), strings.Join(clickhouse.NewEventRows(0).ColumnNames(), ", "))
	args := append(strings.Fields(o.client), "--query", query)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	in, err := os.Open(flat)
	if err != nil {
		return result{}, err
	}
	defer in.Close()
	cmd.Stdin, cmd.Stderr = in, os.Stderr
	t0, s0 := time.Now(), procCPU(o.serverPID)
	if err := cmd.Start(); err != nil {
		return result{}, fmt.Errorf("clickhouse-client load: %w", err)
	}
	peak := watchRSS(cmd.Process.Pid)
	if err := cmd.Wait(); err != nil {
		return result{}, fmt.Errorf("clickhouse-client load: %w", err)
	}
	wall := time.Since(t0)
	return result{rows: n, busy: wall, rssMiB: float64(peak()) / 1024, serverC: procCPU(o.serverPID) - s0,
		cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}, nil
}

// flatten writes the valid events of msgs as JSONEachRow to path.
func flatten(msgs []kafka.Message, ref *bw.ReferenceData, path string) (int, error) {
	points := map[string]bw.ObservationPoint{}
	for _, p := range ref.ObservationPoints {
		points[p.CountyCode] = p
	}
	loc := bw.Location()
	dec := bw.NewDecoder(points, loc)
	rows := clickhouse.NewEventRows(len(msgs))
	for _, m := range msgs {
		if ev, err := dec.Decode(m.Value); err == nil {
			rows.Append(&ev, bw.Version(ev.Revision, m.Value), clickhouse.Delivery{Topic: "direct"})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := rows.WriteJSONEachRow(f, 1); err != nil {
		return 0, err
	}
	return rows.Len(), f.Close()
}

// bigRound publishes a backlog of 1 MB messages (each over the message
// size limit, so dead-lettered with its raw bytes) and ingests it.
func bigRound(ctx context.Context, o options, ref *bw.ReferenceData, brokers []string) (result, error) {
	topic := "bench.big." + time.Now().Format("20060102150405")
	defer kafka.DeleteTopic(context.Background(), brokers, topic)
	value := []byte(`{"event_id":"big","kind":"meeting","payload":{"title":"` + strings.Repeat("大", 333_000) + `"}}`)
	batch := make([]kafka.Message, 0, 50)
	p := kafka.NewPublisher(brokers, topic)
	for i := 0; i < o.bigMessages; i++ {
		batch = append(batch, kafka.Message{Key: []byte(strconv.Itoa(i)), Value: value})
		if len(batch) == cap(batch) || i == o.bigMessages-1 {
			if err := p.Publish(ctx, batch); err != nil {
				p.Close()
				return result{}, err
			}
			batch = batch[:0]
		}
	}
	p.Close()
	db, err := freshDB(ctx, o.server+"bench_big", ref)
	if err != nil {
		return result{}, err
	}
	defer db.Close()
	res, st, err := runIngestChild(ctx, o, o.server+"bench_big", topic, "bench-big")
	if err != nil {
		return result{}, err
	}
	if st.DeadLetters != o.bigMessages {
		return result{}, fmt.Errorf("big round: %d dead letters, want %d", st.DeadLetters, o.bigMessages)
	}
	res.rows = st.Messages
	return res, nil
}

// summary prints the medians, the ratio and the script-readable lines.
func summary(n int, pubRate float64, ing, dir []result, big result) {
	mi, md := median(ing, result.rate), median(dir, result.rate)
	rss := slices.Max(collect(ing, func(r result) float64 { return r.rssMiB }))
	fmt.Printf("\n== Ingest benchmark (%d messages, %d rounds A B alternately) ==\n", n, len(ing))
	fmt.Printf("publish to broker (once): %.0f msgs/s\n", pubRate)
	fmt.Printf("ingest median: %.0f msgs/s (runs %s)\n", mi, rates(ing))
	fmt.Printf("direct median: %.0f rows/s (runs %s)\n", md, rates(dir))
	fmt.Printf("ingest CPU median: %.1f µs/msg; broker CPU median: %.1f µs/msg\n",
		median(ing, func(r result) float64 { return perEvent(r.cpu, r.rows) }),
		median(ing, func(r result) float64 { return perEvent(r.brokerC, r.rows) }))
	fmt.Printf("clickhouse-client peak RSS: %.0f MiB\n", slices.Max(collect(dir, func(r result) float64 { return r.rssMiB })))
	fmt.Printf("load average after: %s\n\n", loadAverage())
	fmt.Printf("ratio ingest/direct: %.2f\n", mi/md)
	fmt.Printf("ingest events/s: %.0f\n", mi)
	fmt.Printf("ingest peak RSS MiB: %.0f\n", max(rss, big.rssMiB))
	fmt.Printf("ingest peak RSS bench file MiB: %.0f\n", rss)
	if big.rows > 0 {
		fmt.Printf("ingest peak RSS 1MB backlog MiB: %.0f\n", big.rssMiB)
	}
}

func median(rs []result, f func(result) float64) float64 {
	v := collect(rs, f)
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func collect(rs []result, f func(result) float64) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

func rates(rs []result) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("%.0f", r.rate())
	}
	return strings.Join(parts, ", ")
}

func perEvent(d time.Duration, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(d.Microseconds()) / float64(n)
}

// procCPU is a process's user+system time from /proc (0 when unknown).
func procCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(fields[11], 10, 64)
	st, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// watchRSS samples the peak RSS of pid every 50 ms until it exits; the
// returned function gives the last sample (KiB).
func watchRSS(pid int) func() int64 {
	var mu sync.Mutex
	var peak int64
	go func() {
		for {
			v := peakRSS(strconv.Itoa(pid))
			if v == 0 {
				return
			}
			mu.Lock()
			peak = max(peak, v)
			mu.Unlock()
			time.Sleep(50 * time.Millisecond)
		}
	}()
	return func() int64 {
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

func loadAverage() string {
	avg, err := procstat.LoadAverage()
	if err != nil {
		return "?"
	}
	return strings.Join(avg, " ")
}

// withPassword puts the password read from file into dsn.
func withPassword(dsn, file string) (string, error) {
	if file == "" {
		return dsn, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return "", fmt.Errorf("ClickHouse DSN must name a user: %v", err)
	}
	u.User = url.UserPassword(u.User.Username(), strings.TrimSpace(string(b)))
	return u.String(), nil
}
