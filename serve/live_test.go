package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/internal/testenv"
	"github.com/burdenwatch/burdenwatch/kafka"
	"github.com/burdenwatch/burdenwatch/metrics"
	"github.com/burdenwatch/burdenwatch/rules"
)

// wireInspection is a complete, valid inspection event of SPEC §2.
func wireInspection(id, issuer, plan, county, unit string, at time.Time, onSite bool) bw.Event {
	ev := *inspectionEvent(id, issuer, plan, county, unit, at, onSite)
	ev.TargetLevel = bw.LevelCounty
	if len(unit) == 9 {
		ev.TargetLevel = bw.LevelTownship
	}
	ev.Issuer.Level, ev.Issuer.Kind = "province", "department"
	ev.Inspection.Category, ev.Inspection.Mode, ev.Inspection.Approved = "special", "overt", true
	ev.Inspection.InspectionCode = "HN2025-0001"
	ev.Inspection.TeamSize, ev.Inspection.TotalUnits = 3, 10
	return ev
}

// liveService is a running serve.Run against a fresh ClickHouse database
// and an embedded broker.
type liveService struct {
	db      *clickhouse.DB
	brokers []string
	topic   string
	base    string
	client  *http.Client
	pub     *kafka.Publisher
	stop    func() error
}

func startLive(t *testing.T, stored []bw.Event) *liveService {
	t.Helper()
	ctx := context.Background()
	db, _ := testenv.ClickHouse(t)
	if err := db.LoadReferenceData(ctx, fixtureRef(t), "serve test"); err != nil {
		t.Fatalf("load reference data: %v", err)
	}
	if len(stored) > 0 {
		rows := clickhouse.NewEventRows(len(stored))
		for i := range stored {
			raw := stored[i].AppendJSON(nil)
			rows.Append(&stored[i], bw.Version(stored[i].Revision, raw), clickhouse.Delivery{Topic: "stored", Offset: int64(i)})
		}
		if err := db.InsertEvents(ctx, []*clickhouse.EventRows{rows}, 1); err != nil {
			t.Fatalf("store events: %v", err)
		}
	}
	topic := "burden.events"
	b := testenv.Broker(t, topic, "")
	packs, err := rules.ShippedPacks()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	reg := metrics.NewRegistry()
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- Run(rctx, ln, RunConfig{DB: db, Packs: packs, BaseURL: "http://" + ln.Addr().String(),
			Follow:     FollowConfig{Brokers: []string{b.Addr()}, Topic: topic, Group: "serve-test-" + randomGroup()},
			Registerer: reg, Gatherer: reg})
	}()
	s := &liveService{db: db, brokers: []string{b.Addr()}, topic: topic, base: "http://" + ln.Addr().String(),
		client: &http.Client{Timeout: 10 * time.Second}, pub: kafka.NewPublisher([]string{b.Addr()}, topic)}
	stopped := false
	s.stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Second):
			return fmt.Errorf("serve did not stop within 20 s")
		}
	}
	t.Cleanup(func() {
		s.pub.Close()
		if err := s.stop(); err != nil {
			t.Errorf("stop serve: %v", err)
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		status, body := s.get(t, "/readyz")
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d after 60 s: %s", status, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

func randomGroup() string { return newID()[:8] }

func (s *liveService) do(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (s *liveService) get(t *testing.T, path string) (int, string) {
	return s.do(t, http.MethodGet, path, "")
}

func (s *liveService) verify(t *testing.T, code, unit, at string) Answer {
	t.Helper()
	status, body := s.get(t, "/api/v1/verify?"+url.Values{"code": {code}, "unit": {unit}, "at": {at}}.Encode())
	if status != http.StatusOK {
		t.Fatalf("verify %s %s %s: status %d: %s", code, unit, at, status, body)
	}
	var a Answer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatalf("verify answer %s: %v", body, err)
	}
	return a
}

func (s *liveService) publish(t *testing.T, evs ...bw.Event) {
	t.Helper()
	msgs := make([]kafka.Message, len(evs))
	for i := range evs {
		msgs[i] = kafka.Message{Key: []byte(evs[i].CountyCode), Value: evs[i].AppendJSON(nil)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.pub.Publish(ctx, msgs); err != nil {
		t.Fatal(err)
	}
}

// TestFreshness: the unit is one visit below its cap (one visit stored in
// ClickHouse, cap 2) → accept; one more inspection published to the topic
// → within 2 s of its publication the verdict is may_refuse (visit_cap).
func TestFreshness(t *testing.T) {
	first := wireInspection("fresh-1", "HN-YJT", "HN-2025-YJT-01", "431024", "431024100", time.Date(2025, 4, 2, 9, 0, 0, 0, loc), true)
	s := startLive(t, []bw.Event{first})
	const at = "2025-06-12T10:00:00+08:00"
	a := s.verify(t, "HN2025-0001", "431024100", at)
	if a.Verdict != bw.VerdictAccept || a.Visits.Made != 1 {
		t.Fatalf("at cap − 1: verdict %s visits %+v, want accept with 1 visit", a.Verdict, a.Visits)
	}
	// A duplicate of the stored visit and an invalid message change nothing.
	s.publish(t, first)
	if err := s.pub.Publish(context.Background(), []kafka.Message{{Value: []byte(`{"event_id":"broken"`)}}); err != nil {
		t.Fatal(err)
	}
	second := wireInspection("fresh-2", "HN-YJT", "HN-2025-YJT-01", "431024", "431024100", time.Date(2025, 5, 20, 9, 0, 0, 0, loc), false)
	s.publish(t, second)
	published := time.Now()
	deadline := published.Add(2 * time.Second)
	for {
		a = s.verify(t, "HN2025-0001", "431024100", at)
		if a.Verdict == bw.VerdictMayRefuse {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("2 s after publishing the second visit the verdict is still %s (visits %+v)", a.Verdict, a.Visits)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("second visit seen %v after publication", time.Since(published).Round(time.Millisecond))
	if a.Visits.Made != 2 || strings.Join(a.Failed(), ",") != CheckVisitCap {
		t.Fatalf("after the second visit: visits %+v failed %v, want 2 and visit_cap only", a.Visits, a.Failed())
	}
	// The follower's counters equal what was published: 2 valid events
	// (the duplicate and the second visit), 1 invalid message.
	deadline = time.Now().Add(10 * time.Second)
	for {
		fams := scrapeFamilies(t, s)
		consumed, invalid := gauge(fams, "burdenwatch_serve_events_consumed_total"), gauge(fams, "burdenwatch_serve_events_invalid_total")
		if consumed == 2 && invalid == 1 {
			if n := gauge(fams, "burdenwatch_serve_index_inspections"); n != 2 {
				t.Fatalf("index_inspections = %v, want 2", n)
			}
			break
		}
		if time.Now().After(deadline) || consumed > 2 || invalid > 1 {
			t.Fatalf("events_consumed_total %v, events_invalid_total %v; want 2 and 1", consumed, invalid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// gauge returns the value of the unlabelled counter or gauge name.
func gauge(fams map[string]*dto.MetricFamily, name string) float64 {
	f := fams[name]
	if f == nil || len(f.GetMetric()) == 0 {
		return -1
	}
	m := f.GetMetric()[0]
	if m.GetCounter() != nil {
		return m.GetCounter().GetValue()
	}
	return m.GetGauge().GetValue()
}

// TestHTTPContract checks status codes, error messages, scans and the
// metrics of a known sequence of requests over a real socket.
func TestHTTPContract(t *testing.T) {
	s := startLive(t, nil)
	before := scrape(t, s)

	errs := []struct {
		method, path, body string
		status             int
		names              []string
	}{
		{"GET", "/api/v1/verify?unit=431024", "", 400, []string{"code"}},
		{"GET", "/api/v1/verify?code=HN2025-0001", "", 400, []string{"unit"}},
		{"GET", "/api/v1/verify?code=HN2025-0001&unit=4310x4", "", 400, []string{"unit", "4310x4"}},
		{"GET", "/api/v1/verify?code=HN2025-0001&unit=110101", "", 400, []string{"unit", "110101"}},
		{"GET", "/api/v1/verify?code=bad%20code&unit=431024", "", 400, []string{"code", "bad code"}},
		{"GET", "/api/v1/verify?code=HN2025-0001&unit=431024&at=2025-13-01", "", 400, []string{"at", "2025-13-01"}},
		{"POST", "/api/v1/verify?code=HN2025-0001&unit=431024", "", 405, []string{"GET"}},
		{"GET", "/api/v1/scans", "", 405, []string{"POST"}},
		{"GET", "/api/v1/verify?code=HN2025-0001&unit=431024&pad=" + strings.Repeat("x", 5000), "", 414, []string{"1024"}},
		{"POST", "/api/v1/scans", `{"code":"HN2025-0001","unit":"431024","accompanying":[{"name":"` + strings.Repeat("张", 40000) + `"}]}`, 413, []string{"65536"}},
		{"POST", "/api/v1/scans", `{"code":"HN2025-0001","unit":"431024","accompanying":[{"name":""}]}`, 400, []string{"accompanying[0].name"}},
		{"POST", "/api/v1/scans", `{"code":"HN2025-0001","unit":"431024","extra":1}`, 400, []string{"body", "extra"}},
		{"GET", "/nowhere", "", 404, []string{"/nowhere"}},
	}
	for _, e := range errs {
		status, body := s.do(t, e.method, e.path, e.body)
		if status != e.status {
			t.Errorf("%s %.80s: status %d, want %d: %.200s", e.method, e.path, status, e.status, body)
			continue
		}
		for _, n := range e.names {
			if !strings.Contains(body, n) {
				t.Errorf("%s %.80s: answer %.200s does not name %q", e.method, e.path, body, n)
			}
		}
	}
	// Headers beyond MaxHeaderBytes are refused by net/http (431).
	req, _ := http.NewRequest(http.MethodGet, s.base+"/healthz", nil)
	req.Header.Set("X-Pad", strings.Repeat("y", 2*MaxHeaderBytes))
	if resp, err := s.client.Do(req); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("huge header: status %d, want 431", resp.StatusCode)
		}
	}

	// Known verdicts: 3 accept, 2 may_refuse (one an unknown code).
	for _, c := range []struct {
		code, unit string
		want       bw.Verdict
	}{
		{"HN2025-0001", "431024100", bw.VerdictAccept},
		{"HN2025-0001", "431024", bw.VerdictAccept},
		{"HN2025-0003", "431024", bw.VerdictAccept},
		{"HN2025-0002", "431024", bw.VerdictMayRefuse},
		{"NO-SUCH-CODE", "431024", bw.VerdictMayRefuse},
	} {
		if a := s.verify(t, c.code, c.unit, "2025-06-12T10:00:00+08:00"); a.Verdict != c.want {
			t.Errorf("verify %s %s: %s, want %s", c.code, c.unit, a.Verdict, c.want)
		}
	}
	// The page answers for both verdicts.
	for path, want := range map[string]string{
		"/verify/HN2025-0001?unit=431024100&at=2025-06-12T10:00:00%2B08:00":  "可以接受",
		"/verify/NO-SUCH-CODE?unit=431024100&at=2025-06-12T10:00:00%2B08:00": "可不予配合",
		"/verify/HN2025-0001": "嘉禾县",
	} {
		status, body := s.get(t, path)
		if status != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("GET %s: status %d, page without %q", path, status, want)
		}
	}

	// A scan is stored with the verdict of its moment and answered as stored.
	status, body := s.do(t, "POST", "/api/v1/scans", `{"code":"HN2025-0002","unit":"431024100","at":"2025-06-12T10:00:00+08:00",
		"accompanying":[{"name":"李四","role":"村党支部书记"},{"name":"王五","role":"村委委员"}]}`)
	if status != http.StatusCreated {
		t.Fatalf("POST scan: %d %s", status, body)
	}
	var rec ScanRecord
	if err := json.Unmarshal([]byte(body), &rec); err != nil {
		t.Fatal(err)
	}
	stored, found, err := s.db.Scan(context.Background(), rec.ID)
	if err != nil || !found {
		t.Fatalf("scan %s not stored: %v", rec.ID, err)
	}
	if stored.Verdict != bw.VerdictMayRefuse || rec.Verdict != stored.Verdict || strings.Join(stored.Reasons, ",") != CheckPlanned ||
		len(stored.Accompanying) != 2 || stored.Accompanying[1] != (bw.Companion{Name: "王五", Role: "村委委员"}) ||
		stored.IssuerCode != "HN-YJT" || stored.CountyCode != "431024" || !stored.ScannedAt.Equal(time.Date(2025, 6, 12, 10, 0, 0, 0, loc)) {
		t.Fatalf("stored scan %+v, answered %+v", stored, rec)
	}

	after := scrape(t, s)
	want := map[string]float64{
		"/api/v1/verify|400|": 6, "/api/v1/verify|405|": 1, "/api/v1/verify|414|": 1,
		"/api/v1/verify|200|accept": 3, "/api/v1/verify|200|may_refuse": 2,
		"/api/v1/scans|405|": 1, "/api/v1/scans|413|": 1, "/api/v1/scans|400|": 2, "/api/v1/scans|201|may_refuse": 1,
		"/verify/{code}|200|accept": 1, "/verify/{code}|200|may_refuse": 1, "/verify/{code}|200|": 1,
		"/|404|": 1,
	}
	for k, w := range want {
		if got := after[k] - before[k]; got != w {
			t.Errorf("requests_total{%s} rose by %v, want %v", k, got, w)
		}
	}
	for k := range after {
		if _, ok := want[k]; !ok && after[k] != before[k] && !strings.HasPrefix(k, "/metrics|") && !strings.HasPrefix(k, "/healthz|") {
			t.Errorf("requests_total{%s} rose by %v, want 0", k, after[k]-before[k])
		}
	}
	if err := s.stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
}

// scrape reads /metrics, parses it as Prometheus text and returns the
// request counter by "route|code|verdict".
func scrape(t *testing.T, s *liveService) map[string]float64 {
	t.Helper()
	fams := scrapeFamilies(t, s)
	out := map[string]float64{}
	f := fams["burdenwatch_serve_requests_total"]
	if f == nil {
		return out
	}
	for _, m := range f.GetMetric() {
		l := map[string]string{}
		for _, p := range m.GetLabel() {
			l[p.GetName()] = p.GetValue()
		}
		out[l["route"]+"|"+l["code"]+"|"+l["verdict"]] = m.GetCounter().GetValue()
	}
	return out
}

// scrapeFamilies reads /metrics and parses it as Prometheus text.
func scrapeFamilies(t *testing.T, s *liveService) map[string]*dto.MetricFamily {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.base+"/metrics", nil)
	req.Header.Set("Accept", "text/plain")
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics is not Prometheus text: %v", err)
	}
	for _, name := range []string{"burdenwatch_serve_request_duration_seconds", "burdenwatch_serve_index_inspections", "go_goroutines"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("/metrics has no %s", name)
		}
	}
	return fams
}

// TestUnavailableBeforeLoad: every data route answers 503 until the index
// is loaded; health answers; readiness says what is missing.
func TestUnavailableBeforeLoad(t *testing.T) {
	ix := NewIndex()
	base, stop := serveIndex(t, ix)
	s := &liveService{base: base, client: &http.Client{Timeout: 5 * time.Second}}
	for path, want := range map[string]int{
		"/api/v1/verify?code=HN2025-0001&unit=431024": 503, "/verify/HN2025-0001": 503,
		"/healthz": 200, "/readyz": 503,
	} {
		if status, body := s.get(t, path); status != want {
			t.Errorf("GET %s before load: %d %s, want %d", path, status, body, want)
		}
	}
	if status, _ := s.do(t, "POST", "/api/v1/scans", `{"code":"C","unit":"431024"}`); status != 503 {
		t.Errorf("POST scan before load: %d, want 503", status)
	}
	packs, _ := rules.ShippedPacks()
	ix.SetReference(NewReference(fixtureRef(t), packs))
	ix.MarkLoaded()
	if status, body := s.get(t, "/api/v1/verify?code=HN2025-0001&unit=431024&at=2025-06-12T10:00:00%2B08:00"); status != 200 {
		t.Errorf("verify after load: %d %s", status, body)
	}
	if err := stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
}

// serveIndex serves ix over a loopback socket (no ClickHouse, no broker)
// and returns its base URL and a stop function that shuts the server down
// gracefully and returns Serve's error (also run at cleanup).
func serveIndex(t *testing.T, ix *Index) (string, func() error) {
	t.Helper()
	srv, err := NewServer(Config{Index: ix})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	var once sync.Once
	var serr error
	stop := func() error {
		once.Do(func() { cancel(); serr = <-done })
		return serr
	}
	t.Cleanup(func() { _ = stop() })
	return "http://" + ln.Addr().String(), stop
}
