package serve

import (
	"strings"
	"testing"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/rules"
)

var loc = bw.Location()

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, loc) }

// fixture is a small Hunan registry: county 431024 (嘉禾县) and 431081,
// one township unit, a special plan item capped at 2 visits per unit and a
// comprehensive one; 431081 is exempt from comprehensive inspection, May
// 2025 is a no-meeting month.
func fixtureRef(t testing.TB) *bw.ReferenceData {
	t.Helper()
	return &bw.ReferenceData{
		ObservationPoints: []bw.ObservationPoint{
			{ProvinceCode: "43", CountyCode: "431024", CountyName: "嘉禾县", DesignatedFrom: date(2024, 1, 1)},
			{ProvinceCode: "43", CountyCode: "431081", CountyName: "资兴市", DesignatedFrom: date(2024, 1, 1)},
			{ProvinceCode: "37", CountyCode: "370783", CountyName: "寿光市", DesignatedFrom: date(2024, 1, 1)},
		},
		Plan: []bw.PlanItem{
			{Year: 2025, IssuerCode: "HN-YJT", PlanCode: "HN-2025-YJT-01", Title: "安全生产专项督查", Category: "special", MaxVisitsPerUnit: 2},
			{Year: 2025, IssuerCode: "HN-SZFB", PlanCode: "HN-2025-SZFB-01", Title: "全省综合督查", Category: "comprehensive", MaxVisitsPerUnit: 1},
		},
		Exemptions: []bw.Exemption{{Year: 2025, CountyCode: "431081", Reason: "2024年度综合督查表扬"}},
		Calendar:   []bw.CalendarEntry{{ProvinceCode: "43", Rule: bw.CalendarNoMeetingMonth, Value: "2025-08"}},
		InspectionCodes: []bw.InspectionCode{
			{Year: 2025, ProvinceCode: "43", Code: "HN2025-0001", PlanCode: "HN-2025-YJT-01", IssuerCode: "HN-YJT",
				Title: "安全生产专项督查（嘉禾）", ValidFrom: date(2025, 3, 1), ValidTo: date(2025, 9, 30), Counties: []string{"431024"}},
			{Year: 2025, ProvinceCode: "43", Code: "HN2025-0002", PlanCode: "HN-2025-XX-99", IssuerCode: "HN-YJT",
				Title: "计划外检查", ValidFrom: date(2025, 1, 1), ValidTo: date(2025, 12, 31)},
			{Year: 2025, ProvinceCode: "43", Code: "HN2025-0003", PlanCode: "HN-2025-SZFB-01", IssuerCode: "HN-SZFB",
				Title: "全省综合督查（郴州片）", ValidFrom: date(2025, 1, 1), ValidTo: date(2025, 12, 31), Counties: []string{"431024", "431081"}},
		},
	}
}

func fixtureIndex(t testing.TB) *Index {
	t.Helper()
	packs, err := rules.ShippedPacks()
	if err != nil {
		t.Fatal(err)
	}
	ix := NewIndex()
	ix.SetReference(NewReference(fixtureRef(t), packs))
	ix.MarkLoaded()
	return ix
}

func inspectionEvent(id, issuer, plan, county, unit string, at time.Time, onSite bool) *bw.Event {
	return &bw.Event{ID: id, Kind: bw.KindInspection, OccurredAt: at, CountyCode: county, UnitCode: unit,
		Issuer: bw.Issuer{Code: issuer, Name: issuer + "名称"}, Inspection: bw.Inspection{PlanCode: plan, OnSite: onSite}}
}

func verify(t *testing.T, ix *Index, code, unit, at string) Answer {
	t.Helper()
	q, err := ParseQuery(ix.Reference(), code, unit, at, time.Now(), loc)
	if err != nil {
		t.Fatalf("ParseQuery(%s, %s, %s): %v", code, unit, at, err)
	}
	a := ix.Verify(q)
	if len(a.Checks) != len(CheckIDs) {
		t.Fatalf("%d checks, want %d", len(a.Checks), len(CheckIDs))
	}
	for i, c := range a.Checks {
		if c.ID != CheckIDs[i] {
			t.Fatalf("check %d is %s, want %s", i, c.ID, CheckIDs[i])
		}
		if c.Reason == "" || c.Citation == "" {
			t.Errorf("check %s: empty reason %q or citation %q", c.ID, c.Reason, c.Citation)
		}
	}
	return a
}

// failed returns the ids of the checks that did not pass (skipped ones
// included).
func failed(a Answer) []string {
	var out []string
	for _, c := range a.Checks {
		if !c.OK {
			out = append(out, c.ID)
		}
	}
	return out
}

func TestVerifyEachCheckFailingAlone(t *testing.T) {
	ix := fixtureIndex(t)
	// One visit of the capped item to the township, one to another unit,
	// one the year before, and one on another county (on site, other issuer).
	ix.Apply(inspectionEvent("e1", "HN-YJT", "HN-2025-YJT-01", "431024", "431024100", time.Date(2025, 4, 2, 9, 0, 0, 0, loc), true), 1)
	ix.Apply(inspectionEvent("e2", "HN-YJT", "HN-2025-YJT-01", "431024", "431024101", time.Date(2025, 4, 3, 9, 0, 0, 0, loc), true), 1)
	ix.Apply(inspectionEvent("e3", "HN-YJT", "HN-2025-YJT-01", "431024", "431024100", time.Date(2024, 12, 31, 23, 0, 0, 0, loc), true), 1)
	ix.Apply(inspectionEvent("e4", "HN-FGW", "HN-2025-FGW-01", "431081", "", time.Date(2025, 6, 10, 9, 0, 0, 0, loc), true), 1)
	ix.Apply(inspectionEvent("e6", "HN-FGW", "HN-2025-FGW-01", "431024", "", time.Date(2025, 4, 1, 9, 0, 0, 0, loc), true), 1)

	cases := []struct {
		name, code, unit, at string
		fail                 []string
		verdict              bw.Verdict
	}{
		{"all pass", "HN2025-0001", "431024100", "2025-06-12T10:00:00+08:00", nil, bw.VerdictAccept},
		{"registered", "HN2025-9999", "431024100", "2025-06-12T10:00:00+08:00",
			[]string{CheckRegistered, CheckValidPeriod, CheckTarget, CheckPlanned, CheckVisitCap, CheckExempt}, bw.VerdictMayRefuse},
		{"registered: other year", "HN2025-0001", "431024100", "2026-06-12T10:00:00+08:00",
			[]string{CheckRegistered, CheckValidPeriod, CheckTarget, CheckPlanned, CheckVisitCap, CheckExempt}, bw.VerdictMayRefuse},
		{"valid_period", "HN2025-0001", "431024100", "2025-10-01T08:00:00+08:00", []string{CheckValidPeriod}, bw.VerdictMayRefuse},
		{"target", "HN2025-0001", "431081", "2025-06-20T10:00:00+08:00", []string{CheckTarget}, bw.VerdictMayRefuse},
		{"planned", "HN2025-0002", "431024100", "2025-06-12T10:00:00+08:00", []string{CheckPlanned}, bw.VerdictMayRefuse},
		{"no_meeting_month", "HN2025-0001", "431024100", "2025-08-05T10:00:00+08:00", []string{CheckNoMeetingMonth}, bw.VerdictMayRefuse},
		{"exempt", "HN2025-0003", "431081", "2025-07-12T10:00:00+08:00", []string{CheckExempt}, bw.VerdictMayRefuse},
		{"crowding warns only", "HN2025-0003", "431081", "2025-06-12T10:00:00+08:00", []string{CheckExempt, CheckCrowding}, bw.VerdictMayRefuse},
		{"crowding alone", "HN2025-0001", "431024100", "2025-04-05T10:00:00+08:00", []string{CheckCrowding}, bw.VerdictAccept},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := verify(t, ix, c.code, c.unit, c.at)
			if got := strings.Join(failed(a), ","); got != strings.Join(c.fail, ",") {
				t.Errorf("failed checks %q, want %q", got, strings.Join(c.fail, ","))
				for _, ch := range a.Checks {
					t.Logf("  %s ok=%v %s", ch.ID, ch.OK, ch.Reason)
				}
			}
			if a.Verdict != c.verdict {
				t.Errorf("verdict %s, want %s", a.Verdict, c.verdict)
			}
		})
	}

	// visit_cap alone: a second visit to the township reaches the cap of 2.
	ix.Apply(inspectionEvent("e5", "HN-YJT", "HN-2025-YJT-01", "431024", "431024100", time.Date(2025, 5, 20, 9, 0, 0, 0, loc), false), 1)
	a := verify(t, ix, "HN2025-0001", "431024100", "2025-06-12T10:00:00+08:00")
	if got := strings.Join(failed(a), ","); got != CheckVisitCap || a.Verdict != bw.VerdictMayRefuse {
		t.Fatalf("after 2 visits: failed %q verdict %s, want visit_cap may_refuse", got, a.Verdict)
	}
	if a.Visits.Made != 2 || a.Visits.Cap == nil || *a.Visits.Cap != 2 {
		t.Fatalf("visits %+v, want made 2 cap 2", a.Visits)
	}
	if r := check(a, CheckVisitCap).Reason; !strings.Contains(r, "2 次") || !strings.Contains(r, "431024100") {
		t.Errorf("visit_cap reason %q does not name the count and the unit", r)
	}
	// Before the second visit the cap was not reached: visits count before at.
	a = verify(t, ix, "HN2025-0001", "431024100", "2025-05-20T09:00:00+08:00")
	if a.Visits.Made != 1 || a.Verdict != bw.VerdictAccept {
		t.Fatalf("at the second visit's own moment: visits %d verdict %s, want 1 accept", a.Visits.Made, a.Verdict)
	}
}

func TestVerifyCrowdingWindow(t *testing.T) {
	ix := fixtureIndex(t)
	ix.Apply(inspectionEvent("c1", "HN-FGW", "P", "431024", "431024100", time.Date(2025, 6, 5, 9, 0, 0, 0, loc), true), 1)
	ix.Apply(inspectionEvent("c2", "HN-YJT", "P", "431024", "", time.Date(2025, 6, 11, 9, 0, 0, 0, loc), true), 1)  // own issuer
	ix.Apply(inspectionEvent("c3", "HN-ZZB", "P", "431024", "", time.Date(2025, 6, 11, 9, 0, 0, 0, loc), false), 1) // not on site
	for _, c := range []struct {
		at string
		ok bool
	}{
		{"2025-06-12T10:00:00+08:00", false}, // c1 is 7 days before (day − 7 … now)
		{"2025-06-13T00:00:00+08:00", true},  // c1 is 8 calendar days before
		{"2025-06-05T09:00:00+08:00", true},  // c1 itself is not before at
	} {
		a := verify(t, ix, "HN2025-0001", "431024", c.at)
		cr := check(a, CheckCrowding)
		if cr.OK != c.ok {
			t.Errorf("at %s: crowding ok=%v, want %v (%s)", c.at, cr.OK, c.ok, cr.Reason)
		}
		if a.Verdict != bw.VerdictAccept {
			t.Errorf("at %s: crowding changed the verdict to %s", c.at, a.Verdict)
		}
	}
}

func TestVerifyBoundariesInShanghai(t *testing.T) {
	ix := fixtureIndex(t)
	for _, c := range []struct {
		at     string
		period bool // valid_period ok
		month  bool // no_meeting_month ok
	}{
		{"2025-02-28T23:59:59+08:00", false, true},
		{"2025-02-28T16:00:00Z", true, true}, // 2025-03-01 00:00 in Shanghai
		{"2025-03-01T00:00:00+08:00", true, true},
		{"2025-07-31T23:59:59+08:00", true, true},
		{"2025-07-31T16:00:00Z", true, false}, // 2025-08-01 00:00 in Shanghai: no-meeting month
		{"2025-08-31T23:59:59+08:00", true, false},
		{"2025-08-31T16:00:00Z", true, true}, // 2025-09-01 00:00
		{"2025-09-30T23:59:59+08:00", true, true},
		{"2025-09-30T16:00:00Z", false, true}, // 2025-10-01 00:00: expired
		{"2025-10-01T07:59:59+08:00", false, true},
	} {
		a := verify(t, ix, "HN2025-0001", "431024100", c.at)
		if got := check(a, CheckValidPeriod).OK; got != c.period {
			t.Errorf("at %s: valid_period ok=%v, want %v (%s)", c.at, got, c.period, check(a, CheckValidPeriod).Reason)
		}
		if got := check(a, CheckNoMeetingMonth).OK; got != c.month {
			t.Errorf("at %s: no_meeting_month ok=%v, want %v (%s)", c.at, got, c.month, check(a, CheckNoMeetingMonth).Reason)
		}
	}
	// The year of at is the Shanghai year: 2024-12-31T16:00Z is 2025.
	a := verify(t, ix, "HN2025-0001", "431024100", "2024-12-31T16:30:00Z")
	if !check(a, CheckRegistered).OK {
		t.Errorf("2024-12-31T16:30Z (2025-01-01 in Shanghai): not registered: %s", check(a, CheckRegistered).Reason)
	}
}

func TestVerifyRevisionsAndDuplicates(t *testing.T) {
	ix := fixtureIndex(t)
	at := time.Date(2025, 4, 2, 9, 0, 0, 0, loc)
	ev := inspectionEvent("r1", "HN-YJT", "HN-2025-YJT-01", "431024", "431024100", at, true)
	for range 3 {
		ix.Apply(ev, 5) // the same delivery three times is one visit
	}
	ix.Apply(inspectionEvent("r2", "HN-YJT", "HN-2025-YJT-01", "431024", "431024100", at.Add(time.Hour), true), 5)
	a := verify(t, ix, "HN2025-0001", "431024100", "2025-06-12T10:00:00+08:00")
	if a.Visits.Made != 2 || a.Verdict != bw.VerdictMayRefuse {
		t.Fatalf("visits %d verdict %s, want 2 may_refuse", a.Visits.Made, a.Verdict)
	}
	// A newer revision moves r2 to another unit; an older one is ignored.
	ix.Apply(inspectionEvent("r2", "HN-YJT", "HN-2025-YJT-01", "431024", "431024101", at.Add(time.Hour), true), 6)
	ix.Apply(inspectionEvent("r2", "HN-YJT", "HN-2025-YJT-01", "431024", "431024100", at.Add(time.Hour), true), 4)
	a = verify(t, ix, "HN2025-0001", "431024100", "2025-06-12T10:00:00+08:00")
	if a.Visits.Made != 1 || a.Verdict != bw.VerdictAccept {
		t.Fatalf("after the revision: visits %d verdict %s, want 1 accept", a.Visits.Made, a.Verdict)
	}
	if n := ix.Stats().Inspections; n != 2 {
		t.Fatalf("index holds %d inspections, want 2", n)
	}
}

func TestParseQueryErrorsNameParameterAndValue(t *testing.T) {
	ix := fixtureIndex(t)
	for _, c := range []struct{ code, unit, at, param, value string }{
		{"", "431024", "", "code", ""},
		{"bad code!", "431024", "", "code", "bad code!"},
		{strings.Repeat("A", 65), "431024", "", "code", strings.Repeat("A", 65)},
		{"HN2025-0001", "", "", "unit", ""},
		{"HN2025-0001", "43102", "", "unit", "43102"},
		{"HN2025-0001", "4310241000", "", "unit", "4310241000"},
		{"HN2025-0001", "43102410a", "", "unit", "43102410a"},
		{"HN2025-0001", "110101", "", "unit", "110101"},
		{"HN2025-0001", "431024", "2025-06-12", "at", "2025-06-12"},
		{"HN2025-0001", "431024", "yesterday", "at", "yesterday"},
	} {
		_, err := ParseQuery(ix.Reference(), c.code, c.unit, c.at, time.Now(), loc)
		ie, ok := err.(*InputError)
		if !ok {
			t.Errorf("ParseQuery(%q, %q, %q): error %v, want *InputError", c.code, c.unit, c.at, err)
			continue
		}
		if ie.Param != c.param || !strings.Contains(ie.Error(), c.param) || (c.value != "" && !strings.Contains(ie.Error(), c.value)) {
			t.Errorf("ParseQuery(%q, %q, %q): %q does not name %s = %q", c.code, c.unit, c.at, ie.Error(), c.param, c.value)
		}
	}
}
