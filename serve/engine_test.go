package serve

import (
	"context"
	"strings"
	"testing"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/internal/testenv"
	"github.com/burdenwatch/burdenwatch/refdata"
	"github.com/burdenwatch/burdenwatch/rules"
	"github.com/burdenwatch/burdenwatch/sim"
)

// TestVisitsCountedAsTheRuleEngine simulates Hunan 2025 with many injected
// breaches, stores it in ClickHouse, and checks that for every
// inspection.visit_cap result of the rule engine, verify of a code of that
// plan item for that unit at the end of the year counts the same visits
// and refuses by visit_cap.
func TestVisitsCountedAsTheRuleEngine(t *testing.T) {
	ctx := context.Background()
	ref, err := refdata.ParseFS(refdata.Default())
	if err != nil {
		t.Fatal(err)
	}
	issuers, err := refdata.ParseIssuersFS(refdata.Default(), refdata.FileIssuers)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, loc)
	cfg := sim.DefaultConfig("43")
	cfg.ViolationShare, cfg.Now = 0.4, now
	points := map[string]bw.ObservationPoint{}
	for _, p := range ref.ObservationPoints {
		points[p.CountyCode] = p
	}
	dec := bw.NewDecoder(points, loc)
	dec.Now = func() time.Time { return now }
	rows := clickhouse.NewEventRows(40000)
	if _, err := sim.Generate(ref, issuers, cfg, func(m sim.Message) error {
		if ev, err := dec.Decode(m.Value); err == nil {
			rows.Append(&ev, bw.Version(ev.Revision, m.Value), clickhouse.Delivery{Topic: "sim"})
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	db, _ := testenv.ClickHouse(t)
	if err := db.LoadReferenceData(ctx, ref, "engine test"); err != nil {
		t.Fatal(err)
	}
	if err := db.InsertEvents(ctx, []*clickhouse.EventRows{rows}, 1); err != nil {
		t.Fatal(err)
	}
	packs, err := rules.ShippedPacks()
	if err != nil {
		t.Fatal(err)
	}
	evs, err := db.ReadEvents(ctx, "43", 2025)
	if err != nil {
		t.Fatal(err)
	}
	defer evs.Release()
	results, err := rules.Evaluate(packs.For("43"), evs, ref, rules.DocumentTimes{})
	if err != nil {
		t.Fatal(err)
	}

	ix := NewIndex()
	l := ClickHouseLoader{DB: db}
	if err := LoadReference(ctx, ix, l, packs); err != nil {
		t.Fatal(err)
	}
	if err := LoadInspections(ctx, ix, l); err != nil {
		t.Fatal(err)
	}
	codeOf := map[string]string{} // issuer|plan → a 2025 code
	for _, c := range ref.InspectionCodes {
		if c.Year == 2025 {
			codeOf[c.IssuerCode+"|"+c.PlanCode] = c.Code
		}
	}
	compared := 0
	for _, v := range results {
		if v.RuleID != rules.InspectionVisitCap {
			continue
		}
		scope := map[string]string{}
		for _, kv := range strings.Split(v.Scope, ";") {
			k, val, _ := strings.Cut(kv, "=")
			scope[k] = val
		}
		code, ok := codeOf[scope["issuer"]+"|"+scope["plan"]]
		if !ok {
			continue
		}
		q, err := ParseQuery(ix.Reference(), code, scope["unit"], "2026-01-01T00:00:00+08:00", now, loc)
		if err != nil {
			t.Fatal(err)
		}
		q.At = q.At.Add(-time.Second) // 2025-12-31 23:59:59: the whole year before it
		a := ix.Verify(q)
		if float64(a.Visits.Made) != v.Value || a.Visits.Cap == nil || float64(*a.Visits.Cap) != v.Limit {
			t.Errorf("%s: engine counts %v visits (limit %v), verify %+v", v.Scope, v.Value, v.Limit, a.Visits)
		}
		if check(a, CheckVisitCap).OK {
			t.Errorf("%s: visit_cap passes at %d visits", v.Scope, a.Visits.Made)
		}
		compared++
	}
	t.Logf("%d inspection.visit_cap results compared", compared)
	if compared == 0 {
		t.Fatal("no inspection.visit_cap result with a registered code to compare (simulation changed?)")
	}
}
