package alert

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/internal/testenv"
	"github.com/burdenwatch/burdenwatch/kafka"
)

// webhook is a test receiver on a real socket: it answers 500 to the first
// failFirst requests, then 200, and records every Idempotency-Key.
type webhook struct {
	mu        sync.Mutex
	failFirst int
	keys      []string
	bodies    map[string]Message
}

func (w *webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w.mu.Lock()
	defer w.mu.Unlock()
	key := r.Header.Get("Idempotency-Key")
	w.keys = append(w.keys, key)
	var m Message
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&m) != nil || m.AlertID != key {
		http.Error(rw, "bad request", http.StatusBadRequest)
		return
	}
	if len(w.keys) <= w.failFirst {
		http.Error(rw, "try later", http.StatusInternalServerError)
		return
	}
	w.bodies[key] = m
	rw.WriteHeader(http.StatusOK)
}

func (w *webhook) received() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]int{}
	for _, k := range w.keys {
		out[k]++
	}
	return out
}

// topicCount is the number of messages on the alerts topic.
func topicCount(t *testing.T, brokers []string) int64 {
	t.Helper()
	n, err := kafka.Lag(context.Background(), brokers, DefaultTopic, "nobody-reads-this")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// deliveryRows counts alert_deliveries rows per alert and channel, before
// any merge.
func deliveryRows(t *testing.T, db *clickhouse.DB) map[string]uint64 {
	t.Helper()
	rows, err := db.Conn().Query(context.Background(), "SELECT concat(channel, ' ', alert_id), count() FROM alert_deliveries GROUP BY channel, alert_id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]uint64{}
	for rows.Next() {
		var k string
		var n uint64
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		out[k] = n
	}
	return out
}

// TestDeliverOnce delivers the scenario's alerts through ClickHouse, the
// broker and a webhook that fails twice: each alert is one row, one Kafka
// message and one recorded webhook delivery; the failing alert's
// Idempotency-Key arrives three times. A rerun with a later month and a
// restart (new connections, new sink) send only the one new crossing.
func TestDeliverOnce(t *testing.T) {
	ctx := context.Background()
	db, dsn := testenv.ClickHouse(t)
	brk := testenv.Broker(t, DefaultTopic, "")
	brokers := []string{brk.Addr()}
	hook := &webhook{failFirst: 2, bodies: map[string]Message{}}
	srv := httptest.NewServer(hook)
	defer srv.Close()
	pub := kafka.NewPublisher(brokers, DefaultTopic)
	defer pub.Close()
	sink := &Delivering{Store: db, Publisher: pub, Webhook: srv.URL, MaxElapsed: time.Minute}

	first := Evaluate(scenarioInput(t, scenarioEvents(), 1000))
	if err := sink.Deliver(ctx, first); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	ids := make([]string, len(first))
	for i, a := range first {
		ids[i] = a.ID
	}
	stored, err := db.Alerts(ctx, "43", 2025)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != len(first) {
		t.Fatalf("alerts table has %d rows, want %d", len(stored), len(first))
	}
	for i := range first {
		if !sameAlert(stored[i], first[i]) {
			t.Errorf("stored alert %d = %+v, want %+v", i, stored[i], first[i])
		}
	}
	if n := topicCount(t, brokers); n != int64(len(first)) {
		t.Errorf("topic %s holds %d messages, want %d", DefaultTopic, n, len(first))
	}
	got := hook.received()
	if got[ids[0]] != 3 {
		t.Errorf("webhook received %s %d times, want 3 (500, 500, 200)", ids[0], got[ids[0]])
	}
	for _, id := range ids[1:] {
		if got[id] != 1 {
			t.Errorf("webhook received %s %d times, want 1", id, got[id])
		}
	}
	if m := hook.bodies[ids[5]]; m.Scope != ScopeDocumentsQuota || m.Level != "notice" || m.Month != "2025-02-01" || m.Value != 8 || m.Limit != 8 || m.Projected != 26 {
		t.Errorf("webhook body of %s = %+v", ids[5], m)
	}
	attempts, err := db.AlertDeliveries(ctx, ChannelWebhook)
	if err != nil {
		t.Fatal(err)
	}
	if attempts[ids[0]] != 3 || attempts[ids[1]] != 1 || len(attempts) != len(first) {
		t.Errorf("recorded webhook attempts = %v, want 3 for %s, 1 for the others", attempts, ids[0])
	}

	// Rerun: a recompute in December with one more crossing (inspections
	// reach 80 % of their quota of 20 in June).
	evs := scenarioEvents()
	for range 9 {
		evs = append(evs, ev{kind: bw.KindInspection, month: 6, county: "431024", unit: "431024", issuer: "HN-ZFB", category: "routine"})
	}
	in := scenarioInput(t, evs, 1000)
	in.Now = time.Date(2025, 12, 20, 9, 0, 0, 0, cst)
	second := Evaluate(in)
	if len(second) != len(first)+1 {
		t.Fatalf("rerun: %d alerts, want %d", len(second), len(first)+1)
	}
	if err := sink.Deliver(ctx, second); err != nil {
		t.Fatalf("rerun Deliver: %v", err)
	}
	newID := "431024/2025/inspections.quota/notice"
	// Restart: a new connection and a new sink deliver the same alerts.
	db2, err := clickhouse.Open(ctx, dsn, false)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	pub2 := kafka.NewPublisher(brokers, DefaultTopic)
	defer pub2.Close()
	restarted := &Delivering{Store: db2, Publisher: pub2, Webhook: srv.URL, MaxElapsed: time.Minute}
	if err := restarted.Deliver(ctx, second); err != nil {
		t.Fatalf("restart Deliver: %v", err)
	}

	if n := topicCount(t, brokers); n != int64(len(first)+1) {
		t.Errorf("after rerun and restart the topic holds %d messages, want %d", n, len(first)+1)
	}
	got = hook.received()
	if got[newID] != 1 || got[ids[0]] != 3 || len(got) != len(first)+1 {
		t.Errorf("after rerun and restart the webhook received %v, want %s once more and nothing else", got, newID)
	}
	rows := deliveryRows(t, db2)
	var keys []string
	for k, n := range rows {
		keys = append(keys, k)
		if n != 1 {
			t.Errorf("delivery %s recorded %d times, want once", k, n)
		}
	}
	sort.Strings(keys)
	if len(keys) != 2*(len(first)+1) {
		t.Errorf("deliveries recorded: %v, want kafka and webhook for each of %d alerts", keys, len(first)+1)
	}
	stored, err = db2.Alerts(ctx, "43", 2025)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range stored {
		want := first[0].FirstSeen
		if a.ID == newID {
			want = in.Now
		}
		if !a.FirstSeen.Equal(want) {
			t.Errorf("%s first_seen = %v, want %v", a.ID, a.FirstSeen, want)
		}
		if a.ID == ids[5] && a.Projected != 13 {
			t.Errorf("%s projected after the December recompute = %v, want 13 (YTD 13 × 12 ÷ 12)", a.ID, a.Projected)
		}
	}
}

// TestWebhookBudget: a webhook that never answers 2xx holds Deliver no
// longer than MaxElapsed; nothing is recorded, and the next Deliver
// against a healthy webhook delivers everything.
func TestWebhookBudget(t *testing.T) {
	ctx := context.Background()
	db, _ := testenv.ClickHouse(t)
	down := &webhook{failFirst: 1 << 30, bodies: map[string]Message{}}
	srv := httptest.NewServer(down)
	defer srv.Close()
	alerts := Evaluate(scenarioInput(t, scenarioEvents(), 1000))[:3]
	sink := &Delivering{Store: db, Webhook: srv.URL, MaxElapsed: 800 * time.Millisecond}
	err := sink.Deliver(ctx, alerts)
	if err == nil || !strings.Contains(err.Error(), "undelivered") {
		t.Fatalf("Deliver to a failing webhook: %v, want an error naming the undelivered alerts", err)
	}
	if n := len(down.received()); n == 0 || n > 1 {
		t.Errorf("failing webhook saw %d distinct alerts, want only the first within the budget", n)
	}
	if rows := deliveryRows(t, db); len(rows) != 0 {
		t.Errorf("deliveries recorded for a failing webhook: %v", rows)
	}
	up := &webhook{bodies: map[string]Message{}}
	srv2 := httptest.NewServer(up)
	defer srv2.Close()
	sink.Webhook = srv2.URL
	if err := sink.Deliver(ctx, alerts); err != nil {
		t.Fatal(err)
	}
	if got := up.received(); len(got) != 3 {
		t.Errorf("healthy webhook received %v, want the 3 alerts once each", got)
	}
}
