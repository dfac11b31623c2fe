package transform

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/columnar"
	"github.com/burdenwatch/burdenwatch/rules"
)

// TestEvaluateKeepsStateOnlyForTheSameInputs checks when a kept
// province-year adds its delta to the kept rules.State: with the same
// reference data, the State is kept; with other reference data or after
// the delta replaced kept events, a new State evaluates every event. Each
// time the results are rules.Evaluate's over all the events.
func TestEvaluateKeepsStateOnlyForTheSameInputs(t *testing.T) {
	loc := bw.Location()
	docs := func(prefix string, month time.Month, n int) []bw.Event {
		out := make([]bw.Event, n)
		for i := range out {
			out[i] = bw.Event{ID: fmt.Sprintf("%s-%02d", prefix, i), Kind: bw.KindDocument, CountyCode: "430102",
				OccurredAt: time.Date(2025, month, 1+i, 9, 0, 0, 0, loc), TargetLevel: bw.LevelCounty,
				Issuer: bw.Issuer{Code: "ISS-A", Level: "province"}, Document: bw.Document{DocType: "notice", Pages: 2}}
		}
		return out
	}
	quota := func(n int) *bw.ReferenceData {
		return &bw.ReferenceData{Quotas: []bw.Quota{{Year: 2025, CountyCode: "430102", Documents: &n}}}
	}
	pack, py := rules.DefaultPack(), clickhouse.ProvinceYear{Province: "43", Year: 2025}
	c := &cachedYear{ev: columnar.FromEvents("43", 2025, docs("a", 1, 10), 0)}
	defer c.ev.Release()
	step := func(name string, delta []bw.Event, ref *bw.ReferenceData, redo, wantKept bool) {
		t.Helper()
		before := c.rules
		if delta != nil {
			d := columnar.FromEvents("43", 2025, delta, 0)
			c.ev.Records, c.added, c.redo = append(c.ev.Records, d.Records...), d, redo
		}
		got, err := c.evaluate(Config{}, pack, ref, nil, py)
		if err != nil {
			t.Fatal(err)
		}
		want, err := rules.Evaluate(pack, c.ev, ref, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: %d results, Evaluate gives %d", name, len(got), len(want))
		}
		if kept := before != nil && c.rules == before; kept != wantKept {
			t.Fatalf("%s: state kept %v, want %v", name, kept, wantKept)
		}
		c.added = nil
	}
	step("first run", nil, quota(5), false, false)
	step("same reference data", docs("b", 2, 5), quota(5), false, true)
	step("other quota", docs("c", 3, 5), quota(12), false, false)
	step("replaced events", docs("d", 4, 5), quota(12), true, false)
	vs, err := c.rules.Add(&columnar.Events{Province: "43", Year: 2025}, c.ev, nil)
	if err != nil || len(vs) == 0 || vs[0].Limit != 12 {
		t.Fatalf("results %v (%v), want the quota of 12 crossed", vs, err)
	}
}
