package burdenwatch_test

import (
	"testing"

	bw "github.com/burdenwatch/burdenwatch"
)

func count(n int) *int { return &n }

// TestBaselinesFor pins the baseline choice the indicators, rules and
// alerts share: the pack's year when set, else the latest year before the
// evaluated one, never the evaluated year or a later one.
func TestBaselinesFor(t *testing.T) {
	ref := &bw.ReferenceData{Baselines: []bw.Baseline{
		{Year: 2023, CountyCode: "430121", Documents: count(230)},
		{Year: 2019, CountyCode: "430121", Documents: count(190)},
		{Year: 2024, CountyCode: "430121", Documents: count(240)},
		{Year: 2025, CountyCode: "430121", Documents: count(250)},
		{Year: 2019, CountyCode: "330106", Documents: count(119)},
	}}
	cases := []struct {
		year, baselineYear int
		want               map[string]int // county → documents of the chosen row
	}{
		{2025, 0, map[string]int{"430121": 240, "330106": 119}},
		{2025, 2019, map[string]int{"430121": 190, "330106": 119}},
		{2024, 0, map[string]int{"430121": 230, "330106": 119}},
		{2025, 2025, map[string]int{}}, // not before the year
		{2019, 0, map[string]int{}},
	}
	for _, c := range cases {
		got := ref.BaselinesFor(c.year, c.baselineYear)
		if len(got) != len(c.want) {
			t.Errorf("BaselinesFor(%d, %d) = %v, want counties %v", c.year, c.baselineYear, got, c.want)
		}
		for county, docs := range c.want {
			if b, ok := got[county]; !ok || *b.Documents != docs {
				t.Errorf("BaselinesFor(%d, %d)[%s] = %+v, want documents %d", c.year, c.baselineYear, county, b, docs)
			}
		}
	}
	var none *bw.ReferenceData
	if len(none.BaselinesFor(2025, 0)) != 0 || len(none.QuotasOf(2025)) != 0 {
		t.Error("nil reference data has baselines or quotas")
	}
}

func TestQuotasOf(t *testing.T) {
	ref := &bw.ReferenceData{Quotas: []bw.Quota{
		{Year: 2025, CountyCode: "430121", Documents: count(100)},
		{Year: 2026, CountyCode: "430121", Documents: count(90)},
		{Year: 2025, CountyCode: "430181", Meetings: count(40)},
	}}
	got := ref.QuotasOf(2025)
	if len(got) != 2 || *got["430121"].Documents != 100 || *got["430181"].Meetings != 40 {
		t.Errorf("QuotasOf(2025) = %+v", got)
	}
}
