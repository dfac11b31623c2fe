package ingest_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/burdenwatch/burdenwatch/broker"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/ingest"
	"github.com/burdenwatch/burdenwatch/internal/testenv"
	"github.com/burdenwatch/burdenwatch/kafka"
	"github.com/prometheus/client_golang/prometheus"
)

// outage is how long the outage tests keep a service away.
const outage = 30 * time.Second

// proxy forwards TCP connections to a target. Cutting it closes the
// listener and every connection, so clients see a real outage (refused
// dials, reset connections) while the server behind keeps running for the
// other tests; restoring it listens again on the same port.
type proxy struct {
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        map[net.Conn]bool
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{addr: ln.Addr().String(), target: target, conns: map[net.Conn]bool{}}
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
}

func (p *proxy) forward(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(c, s) {
		c.Close()
		s.Close()
		return
	}
	go func() { _, _ = io.Copy(s, c); s.Close() }()
	_, _ = io.Copy(c, s)
	c.Close()
}

// track registers a connection pair unless the proxy is cut.
func (p *proxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		return false
	}
	for _, c := range cs {
		p.conns[c] = true
	}
	return true
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *proxy) restore(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatalf("proxy listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// proxiedDB opens the test database through proxies of its native and
// HTTP ports (events go over HTTP, the rest over the native protocol).
func proxiedDB(t *testing.T, dsn string) (*clickhouse.DB, proxies) {
	t.Helper()
	d, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	native := startProxy(t, u.Host)
	web := startProxy(t, net.JoinHostPort(d.Host(), strconv.Itoa(d.HTTPPort())))
	u.Host = native.addr
	q := u.Query()
	_, port, _ := net.SplitHostPort(web.addr)
	q.Set("http_port", port)
	u.RawQuery = q.Encode()
	db, err := clickhouse.Open(context.Background(), u.String(), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, proxies{native, web}
}

// proxies are cut and restored together.
type proxies []*proxy

func (ps proxies) cut() {
	for _, p := range ps {
		p.cut()
	}
}

func (ps proxies) restore(t *testing.T) {
	for _, p := range ps {
		p.restore(t)
	}
}

// waitFor polls cond every 20 ms until it holds or a minute passed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func countEvents(t *testing.T, db *clickhouse.DB) uint64 {
	t.Helper()
	var n uint64
	if err := db.Conn().QueryRow(context.Background(), "SELECT count() FROM events").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestIngestRidesOutClickHouseOutage cuts ClickHouse away from a running
// ingest for 30 s while messages keep arriving; the one process, never
// restarted, reports not ready during the outage and ends with the tables
// of a clean run.
func TestIngestRidesOutClickHouseOutage(t *testing.T) {
	t.Parallel()
	db, dsn, brokers := setup(t)
	viaProxy, px := proxiedDB(t, dsn)
	s := buildScenario(t, 6000, 30)
	half := len(s.msgs) / 2
	publish(t, brokers, s.msgs[:half])
	reg := prometheus.NewRegistry()
	cfg := ingestConfig(t, db, brokers, "ch-outage", 500)
	cfg.Registerer, cfg.MaxOutage = reg, 3*outage
	cons := consumer(t, brokers, "ch-outage")
	defer cons.Close()
	in := ingest.New(cfg, cons, viaProxy)
	done := make(chan error, 1)
	go func() { _, err := in.Run(context.Background()); done <- err }()
	waitFor(t, "first events", func() bool { return countEvents(t, db) > 0 })
	px.cut()
	publish(t, brokers, s.msgs[half:])
	waitFor(t, "not ready", func() bool { return in.Ready() != nil })
	if err := in.Ready(); !strings.Contains(err.Error(), "clickhouse unreachable") {
		t.Errorf("Ready during the outage = %v; want it to name clickhouse", err)
	}
	if v := testenv.Gauge(t, reg, "burdenwatch_ingest_ready"); v != 0 {
		t.Errorf("ready metric during the outage = %v, want 0", v)
	}
	select {
	case err := <-done:
		t.Fatalf("ingest returned during the outage: %v", err)
	case <-time.After(outage):
	}
	px.restore(t)
	if err := <-done; err != nil {
		t.Fatalf("ingest after the outage: %v", err)
	}
	if err := in.Ready(); err != nil {
		t.Errorf("Ready after the outage = %v, want nil", err)
	}
	checkFinal(t, db, s)
	checkCaughtUp(t, brokers, "ch-outage")
}

// TestIngestGivesUpAfterMaxOutage: with --until-idle, an outage longer
// than MaxOutage ends Run with an error naming the service and the limit,
// and nothing of the unwritten batch is committed.
func TestIngestGivesUpAfterMaxOutage(t *testing.T) {
	t.Parallel()
	db, dsn, brokers := setup(t)
	viaProxy, px := proxiedDB(t, dsn)
	s := buildScenario(t, 500, 5)
	publish(t, brokers, s.msgs)
	px.cut()
	cfg := ingestConfig(t, db, brokers, "max-outage", 100)
	cfg.MaxOutage = 2 * time.Second
	cons := consumer(t, brokers, "max-outage")
	defer cons.Close()
	t0 := time.Now()
	_, err := ingest.New(cfg, cons, viaProxy).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "clickhouse unreachable") || !strings.Contains(err.Error(), "max-outage") {
		t.Fatalf("Run = %v; want an error naming clickhouse and --max-outage", err)
	}
	if d := time.Since(t0); d > time.Minute {
		t.Errorf("gave up after %s, want soon after the 2 s limit", d)
	}
	if lag, err := kafka.Lag(context.Background(), brokers, topic, "max-outage"); err != nil || lag != int64(len(s.msgs)) {
		t.Errorf("lag after giving up = %d, %v; want %d (nothing committed)", lag, err, len(s.msgs))
	}
}

// TestIngestRidesOutBrokerRestart kills the broker (it keeps its data
// directory) under a running ingest and starts it again on the same port
// after a while; the ingest process carries on by itself and ends with the
// tables of a clean run.
func TestIngestRidesOutBrokerRestart(t *testing.T) {
	t.Parallel()
	db, _ := testenv.ClickHouse(t)
	if err := db.LoadReferenceData(context.Background(), points(), "test"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	b := testenv.Broker(t, topic, dir)
	brokers := []string{b.Addr()}
	s := buildScenario(t, 6000, 30)
	half := len(s.msgs) / 2
	publish(t, brokers, s.msgs[:half])
	cfg := ingestConfig(t, db, brokers, "broker-outage", 500)
	cfg.MaxOutage = 3 * outage
	cfg.Health = ingest.NewHealth(cfg.Log, nil)
	cons, err := kafka.NewConsumer(kafka.ConsumerConfig{Brokers: brokers, Topic: topic, Group: "broker-outage",
		SessionTimeout: 2 * time.Second, OnConnect: cfg.Health.KafkaConnect})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	in := ingest.New(cfg, cons, db)
	done := make(chan error, 1)
	go func() { _, err := in.Run(context.Background()); done <- err }()
	waitFor(t, "first events", func() bool { return countEvents(t, db) > 0 })
	b.Close()
	waitFor(t, "not ready", func() bool { return in.Ready() != nil })
	select {
	case err := <-done:
		t.Fatalf("ingest returned while the broker was down: %v", err)
	case <-time.After(outage / 3):
	}
	b2, err := broker.Start(broker.Config{Listen: brokers[0], Topic: topic, Partitions: 4, DataDir: dir})
	if err != nil {
		t.Fatalf("restart broker on %s: %v", brokers[0], err)
	}
	t.Cleanup(b2.Close)
	publish(t, brokers, s.msgs[half:])
	if err := <-done; err != nil {
		t.Fatalf("ingest after the broker restart: %v", err)
	}
	checkFinal(t, db, s)
	checkCaughtUp(t, brokers, "broker-outage")
}

// TestRejectedBatchIsNotCommitted makes ClickHouse refuse the events
// insert (a column of another type): Run fails with the reason, nothing is
// committed, and once the table is repaired a new run writes everything.
func TestRejectedBatchIsNotCommitted(t *testing.T) {
	db, _, brokers := setup(t)
	s := buildScenario(t, 300, 10)
	publish(t, brokers, s.msgs)
	ctx := context.Background()
	if err := db.Exec(ctx, "ALTER TABLE events MODIFY COLUMN pages String"); err != nil {
		t.Fatal(err)
	}
	cons := consumer(t, brokers, "rejected")
	_, err := newIngester(t, db, brokers, "rejected", 100, cons).Run(ctx)
	cons.Close()
	if err == nil || !strings.Contains(err.Error(), "pages") {
		t.Fatalf("Run with a broken events table = %v; want an error naming the column", err)
	}
	if lag, err := kafka.Lag(ctx, brokers, topic, "rejected"); err != nil || lag != int64(len(s.msgs)) {
		t.Fatalf("lag after a rejected batch = %d, %v; want %d (nothing committed)", lag, err, len(s.msgs))
	}
	if err := db.Exec(ctx, "ALTER TABLE events MODIFY COLUMN pages UInt32"); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(ctx, "TRUNCATE TABLE dead_letters"); err != nil {
		t.Fatal(err)
	}
	runUntilIdle(t, db, brokers, "rejected", 100)
	checkFinal(t, db, s)
}

func checkCaughtUp(t *testing.T, brokers []string, group string) {
	t.Helper()
	if lag, err := kafka.Lag(context.Background(), brokers, topic, group); err != nil || lag != 0 {
		t.Errorf("lag of %s = %d, %v; want 0", group, lag, err)
	}
}

// TestIngestMetrics checks the counters against what a run wrote.
func TestIngestMetrics(t *testing.T) {
	db, _, brokers := setup(t)
	s := buildScenario(t, 200, 10)
	publish(t, brokers, s.msgs)
	reg := prometheus.NewRegistry()
	cfg := ingestConfig(t, db, brokers, "metrics", 100)
	cfg.Registerer = reg
	cons := consumer(t, brokers, "metrics")
	defer cons.Close()
	st, err := ingest.New(cfg, cons, db).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := testenv.Counter(t, reg, "burdenwatch_ingest_messages_total", ""); got != float64(len(s.msgs)) {
		t.Errorf("messages_total = %v, want %d", got, len(s.msgs))
	}
	if got := testenv.Counter(t, reg, "burdenwatch_ingest_events_total", "document"); got != float64(st.Events) || st.Events < s.valid {
		t.Errorf("events_total{kind=document} = %v, want %d (≥ %d distinct)", got, st.Events, s.valid)
	}
	for code, n := range s.dead {
		if got := testenv.Counter(t, reg, "burdenwatch_ingest_dead_letters_total", code); got != float64(n) {
			t.Errorf("dead_letters_total{reason=%s} = %v, want %d", code, got, n)
		}
	}
	if got := testenv.Gauge(t, reg, "burdenwatch_ingest_ready"); got != 1 {
		t.Errorf("ready = %v, want 1", got)
	}
}

// TestOversizedMessageIsDeadLettered: a message over MaxMessageBytes is
// not decoded; its dead letter names the size and keeps every raw byte.
func TestOversizedMessageIsDeadLettered(t *testing.T) {
	db, _, brokers := setup(t)
	s := buildScenario(t, 50, 0)
	big := `{"event_id":"big","kind":"meeting","payload":{"title":"` + strings.Repeat("大", 3000) + `"}}`
	publish(t, brokers, append(s.msgs, kafka.Message{Key: []byte("big"), Value: []byte(big)}))
	cfg := ingestConfig(t, db, brokers, "oversized", 100)
	cfg.MaxMessageBytes = 4096
	cons := consumer(t, brokers, "oversized")
	defer cons.Close()
	if _, err := ingest.New(cfg, cons, db).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var raw, reason, code string
	if err := db.Conn().QueryRow(context.Background(), "SELECT raw, reason, reason_code FROM dead_letters FINAL").Scan(&raw, &reason, &code); err != nil {
		t.Fatal(err)
	}
	if code != ingest.ReasonMessageTooLarge || raw != big || !strings.Contains(reason, fmt.Sprint(len(big))) || !strings.Contains(reason, "4096") {
		t.Errorf("dead letter %s %q with %d raw bytes; want %s naming %d and the limit 4096, raw kept whole",
			code, reason, len(raw), ingest.ReasonMessageTooLarge, len(big))
	}
	s.dead = map[string]int{ingest.ReasonMessageTooLarge: 1}
	checkFinal(t, db, s)
}

// TestIngestWithoutUntilIdleNeverGivesUp: a long-running ingest (no
// --until-idle) whose memory budget is full while ClickHouse is away waits
// for it however long it takes (MaxOutage is for --until-idle only), then
// writes everything.
func TestIngestWithoutUntilIdleNeverGivesUp(t *testing.T) {
	t.Parallel()
	db, dsn, brokers := setup(t)
	viaProxy, px := proxiedDB(t, dsn)
	s := buildScenario(t, 3000, 10)
	cfg := ingestConfig(t, db, brokers, "forever", 200)
	cfg.UntilIdle, cfg.MaxOutage, cfg.MemoryBudget, cfg.IdleTimeout = false, time.Second, 256<<10, 200*time.Millisecond
	cons := consumer(t, brokers, "forever")
	defer cons.Close()
	in := ingest.New(cfg, cons, viaProxy)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	px.cut()
	go func() { _, err := in.Run(ctx); done <- err }()
	publish(t, brokers, s.msgs)
	select {
	case err := <-done:
		t.Fatalf("ingest returned during the outage: %v", err)
	case <-time.After(5 * time.Second): // five times MaxOutage, with the budget full
	}
	px.restore(t)
	waitFor(t, "every message committed", func() bool { return in.Stats().Messages == len(s.msgs) })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel = %v, want nil", err)
	}
	checkFinal(t, db, s)
}
