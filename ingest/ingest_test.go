package ingest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/ingest"
	"github.com/burdenwatch/burdenwatch/internal/testenv"
	"github.com/burdenwatch/burdenwatch/kafka"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

const topic = "burden.events"

// scenario is a stream of messages with what ingest must make of it.
type scenario struct {
	msgs        []kafka.Message
	valid       int            // distinct event_ids
	dead        map[string]int // dead letters by reason code
	revised     map[string]uint32
	revisedPage map[string]uint32
}

func points() *bw.ReferenceData {
	return &bw.ReferenceData{ObservationPoints: []bw.ObservationPoint{
		{ProvinceCode: "43", CountyCode: "430121", CountyName: "长沙县", DesignatedFrom: time.Date(2024, 1, 1, 0, 0, 0, 0, shanghai)},
		{ProvinceCode: "43", CountyCode: "430181", CountyName: "浏阳市", DesignatedFrom: time.Date(2024, 1, 1, 0, 0, 0, 0, shanghai)},
	}}
}

func document(i int, revision uint32, pages uint32) bw.Event {
	county := []string{"430121", "430181"}[i%2]
	return bw.Event{
		ID: fmt.Sprintf("doc-%06d", i), Revision: revision, Kind: bw.KindDocument,
		OccurredAt: time.Date(2025, time.Month(1+i%12), 1+i%28, 9, 0, 0, 0, shanghai),
		CountyCode: county, UnitCode: county + "100", TargetLevel: bw.LevelTownship,
		Issuer:   bw.Issuer{Code: "HN-ZFB", Name: "省政府办公厅", Level: "province", Kind: "government"},
		Document: bw.Document{DocNumber: fmt.Sprintf("湘政办发〔2025〕%d号", i), DocType: "notice", Pages: pages},
	}
}

// buildScenario makes n valid events, every 10th delivered twice, every
// 25th corrected by revision 1 (and 2 for every 50th) delivered before the
// original in half the cases, and m invalid messages of several kinds.
func buildScenario(t testing.TB, n, m int) scenario {
	s := scenario{valid: n, dead: map[string]int{}, revised: map[string]uint32{}, revisedPage: map[string]uint32{}}
	key := []byte("bad")
	add := func(v []byte) { s.msgs = append(s.msgs, kafka.Message{Key: key, Value: v}) }
	for i := 0; i < n; i++ {
		ev := document(i, 0, 3)
		key = []byte(ev.CountyCode)
		raw, _ := json.Marshal(ev)
		var revs [][]byte
		if i%25 == 0 {
			r1 := document(i, 1, 5)
			b1, _ := json.Marshal(r1)
			revs = append(revs, b1)
			s.revised[ev.ID], s.revisedPage[ev.ID] = 1, 5
			if i%50 == 0 {
				b2, _ := json.Marshal(document(i, 2, 7))
				revs = append(revs, b2)
				s.revised[ev.ID], s.revisedPage[ev.ID] = 2, 7
			}
		}
		if i%2 == 0 && len(revs) > 0 { // a correction may overtake the original
			for _, r := range revs {
				add(r)
			}
			add(raw)
		} else {
			add(raw)
			for _, r := range revs {
				add(r)
			}
		}
		if i%10 == 0 {
			add(raw)
		}
	}
	bad := []struct {
		code string
		raw  string
	}{
		{bw.ReasonNotJSON, `{"event_id": "x"`},
		{bw.ReasonUnknownKind, `{"event_id":"bad-k","kind":"visit"}`},
		{bw.ReasonMissingField, `{"event_id":"bad-m","kind":"meeting"}`},
		{bw.ReasonBadCode, `{"event_id":"bad-c","kind":"meeting","occurred_at":"2025-03-01T09:00:00+08:00","county_code":"4301"}`},
		{bw.ReasonNotObserved, `{"event_id":"bad-o","kind":"meeting","occurred_at":"2025-03-01T09:00:00+08:00","county_code":"110101","target_level":"county","issuer":{"code":"a","name":"b","level":"city","kind":"party"},"payload":{}}`},
	}
	key = []byte("bad")
	for j := 0; j < m; j++ {
		b := bad[j%len(bad)]
		add([]byte(b.raw))
		s.dead[b.code]++
	}
	return s
}

func publish(t testing.TB, brokers []string, msgs []kafka.Message) {
	t.Helper()
	p := kafka.NewPublisher(brokers, topic)
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := p.Publish(ctx, msgs); err != nil {
		t.Fatal(err)
	}
}

func newIngester(t testing.TB, db *clickhouse.DB, brokers []string, group string, batch int, cons *kafka.Consumer) *ingest.Ingester {
	return ingest.New(ingestConfig(t, db, brokers, group, batch), cons, db)
}

// ingestConfig is the until-idle configuration the tests run with.
func ingestConfig(t testing.TB, db *clickhouse.DB, brokers []string, group string, batch int) ingest.Config {
	t.Helper()
	pts, err := db.ObservationPoints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ingest.Config{
		Topic: topic, Group: group, BatchSize: batch, FlushInterval: 200 * time.Millisecond, Workers: 2,
		UntilIdle: true, IdleTimeout: time.Second, Location: shanghai,
		Lag:    func(ctx context.Context) (int64, error) { return kafka.Lag(ctx, brokers, topic, group) },
		Points: func() map[string]bw.ObservationPoint { return pts },
		Log:    slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
}

// consumer joins group with a short session, so that tests that stop a
// member do not wait long for its partitions.
func consumer(t testing.TB, brokers []string, group string) *kafka.Consumer {
	t.Helper()
	cons, err := kafka.NewConsumer(kafka.ConsumerConfig{Brokers: brokers, Topic: topic, Group: group})
	if err != nil {
		t.Fatal(err)
	}
	return cons
}

func runUntilIdle(t *testing.T, db *clickhouse.DB, brokers []string, group string, batch int) ingest.Stats {
	t.Helper()
	return runUntilIdleWith(t, brokers, group, ingestConfig(t, db, brokers, group, batch), db)
}

func setup(t *testing.T) (*clickhouse.DB, string, []string) {
	db, dsn := testenv.ClickHouse(t)
	if err := db.LoadReferenceData(context.Background(), points(), "test"); err != nil {
		t.Fatal(err)
	}
	b := testenv.Broker(t, topic, "")
	return db, dsn, []string{b.Addr()}
}

// checkFinal asserts the final state of events and dead_letters.
func checkFinal(t *testing.T, db *clickhouse.DB, s scenario) {
	t.Helper()
	ctx := context.Background()
	var events, distinct uint64
	if err := db.Conn().QueryRow(ctx, "SELECT count(), uniqExact(event_id) FROM events FINAL").Scan(&events, &distinct); err != nil {
		t.Fatal(err)
	}
	if int(events) != s.valid || int(distinct) != s.valid {
		t.Errorf("events FINAL: %d rows, %d distinct; want %d", events, distinct, s.valid)
	}
	rows, err := db.Conn().Query(ctx, "SELECT event_id, revision, pages FROM events FINAL WHERE revision > 0")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2]uint32{}
	for rows.Next() {
		var id string
		var rev, pages uint32
		if err := rows.Scan(&id, &rev, &pages); err != nil {
			t.Fatal(err)
		}
		got[id] = [2]uint32{rev, pages}
	}
	rows.Close()
	if len(got) != len(s.revised) {
		t.Errorf("%d revised events, want %d", len(got), len(s.revised))
	}
	for id, rev := range s.revised {
		if got[id] != [2]uint32{rev, s.revisedPage[id]} {
			t.Errorf("%s: got revision/pages %v, want %d/%d", id, got[id], rev, s.revisedPage[id])
		}
	}
	dead := map[string]int{}
	rows, err = db.Conn().Query(ctx, "SELECT reason_code, toUInt64(count()) FROM dead_letters FINAL GROUP BY reason_code")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var code string
		var n uint64
		if err := rows.Scan(&code, &n); err != nil {
			t.Fatal(err)
		}
		dead[code] = int(n)
	}
	rows.Close()
	if fmt.Sprint(dead) != fmt.Sprint(s.dead) {
		t.Errorf("dead letters by reason = %v, want %v", dead, s.dead)
	}
}

func TestIngestEndToEnd(t *testing.T) {
	db, _, brokers := setup(t)
	s := buildScenario(t, 2000, 50)
	publish(t, brokers, s.msgs)
	st := runUntilIdle(t, db, brokers, "it", 700)
	if st.Messages != len(s.msgs) {
		t.Errorf("consumed %d messages, published %d", st.Messages, len(s.msgs))
	}
	checkFinal(t, db, s)
	var raw, reason string
	var part int32
	var off int64
	err := db.Conn().QueryRow(context.Background(),
		"SELECT raw, reason, `partition`, `offset` FROM dead_letters FINAL WHERE reason_code = 'unknown_kind' LIMIT 1").Scan(&raw, &reason, &part, &off)
	if err != nil {
		t.Fatal(err)
	}
	if raw != `{"event_id":"bad-k","kind":"visit"}` || !strings.Contains(reason, `field kind = "visit"`) {
		t.Errorf("dead letter raw %q reason %q: want the raw bytes and a reason naming field and value", raw, reason)
	}
	// Running again consumes nothing: offsets were committed.
	if st2 := runUntilIdle(t, db, brokers, "it", 700); st2.Messages != 0 {
		t.Errorf("second run consumed %d messages, want 0", st2.Messages)
	}
}

// TestIngestRestartAfterCancel stops a run mid-stream by cancelling its
// context: Run returns nil or context.Canceled having committed part of
// the stream, and a second run completes it exactly.
func TestIngestRestartAfterCancel(t *testing.T) {
	db, _, brokers := setup(t)
	s := buildScenario(t, 3000, 30)
	publish(t, brokers, s.msgs)
	cons := consumer(t, brokers, "restart")
	ctx, cancel := context.WithCancel(context.Background())
	in := newIngester(t, db, brokers, "restart", 300, cons)
	type outcome struct {
		st  ingest.Stats
		err error
	}
	done := make(chan outcome, 1)
	go func() { st, err := in.Run(ctx); done <- outcome{st, err} }()
	waitFor(t, "two batches", func() bool { return in.Stats().Batches >= 2 })
	cancel()
	var first outcome
	select {
	case first = <-done:
	case <-time.After(time.Minute):
		t.Fatal("Run did not return within a minute of the cancel")
	}
	cons.Close()
	if first.err != nil && !errors.Is(first.err, context.Canceled) {
		t.Fatalf("cancelled run returned %v; want nil or context.Canceled", first.err)
	}
	if first.st.Messages <= 0 || first.st.Messages >= len(s.msgs) {
		t.Fatalf("first run committed %d of %d messages; the test needs a mid-stream stop", first.st.Messages, len(s.msgs))
	}
	runUntilIdle(t, db, brokers, "restart", 300)
	checkFinal(t, db, s)
}

// TestIngestRestartAfterKill kills the burdenwatch process with SIGKILL
// once it has written some but not all events (the kill is retried on a
// fresh database when it lands too late), and checks that a restart
// reaches the same final state. It logs the time from the restart to the
// restarted process's first flush.
func TestIngestRestartAfterKill(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs a process to kill")
	}
	s := buildScenario(t, 20000, 40)
	b := testenv.Broker(t, topic, "")
	brokers := []string{b.Addr()}
	publish(t, brokers, s.msgs)
	bin := filepath.Join(t.TempDir(), "burdenwatch")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/burdenwatch").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for attempt := 1; ; attempt++ {
		db, dsn := testenv.ClickHouse(t)
		if err := db.LoadReferenceData(context.Background(), points(), "test"); err != nil {
			t.Fatal(err)
		}
		args := []string{"ingest", "--brokers", brokers[0], "--topic", topic, "--group", fmt.Sprintf("kill-%d", attempt),
			"--clickhouse", dsn, "--batch-size", "1000", "--flush-interval", "100ms", "--until-idle", "--idle-timeout", "1s",
			"--session-timeout", "2s"}
		partial, written := killMidway(t, bin, args, db)
		if partial == 0 || partial >= uint64(s.valid) {
			if attempt == 3 {
				t.Fatalf("three kills landed with %d of %d events written; want some but not all", partial, s.valid)
			}
			t.Logf("attempt %d: kill landed with %d of %d events written; retrying", attempt, partial, s.valid)
			continue
		}
		restart := exec.Command(bin, args...)
		var out strings.Builder
		restart.Stdout, restart.Stderr = &out, &out
		t0 := time.Now()
		if err := restart.Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the restarted process's first flush", func() bool { return countEvents(t, db) > written })
		t.Logf("killed with %d of %d events written; restart to first flush: %s", partial, s.valid, time.Since(t0).Round(time.Millisecond))
		if err := restart.Wait(); err != nil {
			t.Fatalf("restart: %v\n%s", err, out.String())
		}
		checkFinal(t, db, s)
		return
	}
}

// killMidway starts bin, kills it with SIGKILL as soon as it has written
// events, and returns the distinct events and the rows then in the table.
func killMidway(t *testing.T, bin string, args []string, db *clickhouse.DB) (distinct, rows uint64) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for countEvents(t, db) == 0 {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatal("ingest wrote nothing within 60s")
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait() // "signal: killed"
	// An insert the process had sent may still land: wait until the
	// table stops growing.
	for n := countEvents(t, db); ; {
		time.Sleep(300 * time.Millisecond)
		m := countEvents(t, db)
		if m == n {
			break
		}
		n = m
	}
	if err := db.Conn().QueryRow(context.Background(), "SELECT uniqExact(event_id), count() FROM events").Scan(&distinct, &rows); err != nil {
		t.Fatal(err)
	}
	return distinct, rows
}

// TestLagIsZeroAfterRun checks that offsets are committed for every
// partition the events came from.
func TestLagIsZeroAfterRun(t *testing.T) {
	db, _, brokers := setup(t)
	s := buildScenario(t, 100, 5)
	publish(t, brokers, s.msgs)
	runUntilIdle(t, db, brokers, "lag", 30)
	lag, err := kafka.Lag(context.Background(), brokers, topic, "lag")
	if err != nil || lag != 0 {
		t.Errorf("lag after run = %d, %v; want 0", lag, err)
	}
	parts := map[int32]bool{}
	rows, err := db.Conn().Query(context.Background(), "SELECT DISTINCT kafka_partition FROM events")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var p int32
		if err := rows.Scan(&p); err != nil {
			t.Fatal(err)
		}
		parts[p] = true
	}
	rows.Close()
	if len(parts) < 2 {
		t.Errorf("events came from %d partitions; the key hash should spread two counties over several", len(parts))
	}
}
