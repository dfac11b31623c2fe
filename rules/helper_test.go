package rules

import (
	"math/rand"
	"testing"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/columnar"
)

var shanghai = bw.Location()

// at is a time in Asia/Shanghai.
func at(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, shanghai) }

// buildEvents turns events into columnar.Events (columnar.FromEvents),
// released when the test ends.
func buildEvents(tb testing.TB, province string, year int, evs []bw.Event, batchSize int) *columnar.Events {
	tb.Helper()
	out := columnar.FromEvents(province, year, evs, batchSize)
	tb.Cleanup(out.Release)
	return out
}

// Test fixtures: a county of Hunan, its township, issuers.
const (
	county   = "430121"
	county2  = "430181"
	township = "430121001"
)

var (
	issuerA = bw.Issuer{Code: "HN-YJ", Name: "省应急管理厅", Level: "province", Kind: "department"}
	issuerB = bw.Issuer{Code: "HN-ST", Name: "省生态环境厅", Level: "province", Kind: "department"}
	issuerC = bw.Issuer{Code: "CS-ZF", Name: "长沙市人民政府", Level: "city", Kind: "government"}
)

// cleanInspection is an inspection that breaks no rule under testRef.
func cleanInspection(id string, t time.Time) bw.Event {
	return bw.Event{
		ID: id, Kind: bw.KindInspection, OccurredAt: t, CountyCode: county,
		TargetLevel: bw.LevelCounty, Issuer: issuerA,
		Inspection: bw.Inspection{
			Category: "special", PlanCode: "P1", InspectionCode: "C-" + id, Approved: true,
			Mode: "written", OnSite: false,
		},
	}
}

// cleanDocument is a document that breaks no rule.
func cleanDocument(id string, t time.Time) bw.Event {
	return bw.Event{
		ID: id, Kind: bw.KindDocument, OccurredAt: t, CountyCode: county,
		TargetLevel: bw.LevelCounty, Issuer: issuerA,
		Document: bw.Document{DocType: "notice", Pages: 3},
	}
}

// cleanMeeting is a meeting that breaks no rule (on a Monday-free day).
func cleanMeeting(id string, t time.Time) bw.Event {
	return bw.Event{
		ID: id, Kind: bw.KindMeeting, OccurredAt: t, CountyCode: county,
		TargetLevel: bw.LevelCounty, Issuer: issuerA,
		Meeting: bw.Meeting{DurationMinutes: 60, Attendees: 3, Format: "video", Scale: "small"},
	}
}

// cleanForm is a form that breaks no rule.
func cleanForm(id, formID string, t time.Time) bw.Event {
	return bw.Event{
		ID: id, Kind: bw.KindDataReport, OccurredAt: t, CountyCode: county,
		TargetLevel: bw.LevelCounty, Issuer: issuerA,
		DataReport: bw.DataReport{FormID: formID, Fields: 10, EstimatedMinutes: 30,
			Frequency: "once", ViaPlatform: true, ApprovedSurvey: true},
	}
}

func intp(v int) *int { return &v }

// testRef is reference data for province 43 (and calendars for tests).
func testRef() *bw.ReferenceData {
	return &bw.ReferenceData{
		ObservationPoints: []bw.ObservationPoint{{ProvinceCode: "43", CountyCode: county}, {ProvinceCode: "43", CountyCode: county2}},
		Quotas:            []bw.Quota{{Year: 2025, CountyCode: county, Documents: intp(3), Meetings: intp(2)}},
		Baselines: []bw.Baseline{
			{Year: 2024, CountyCode: county, Documents: intp(4), Meetings: intp(10), Inspections: intp(5)},
		},
		Plan: []bw.PlanItem{
			{Year: 2025, IssuerCode: issuerA.Code, PlanCode: "P1", Category: "special"},
			{Year: 2025, IssuerCode: issuerB.Code, PlanCode: "P1", Category: "special"},
			{Year: 2025, IssuerCode: issuerC.Code, PlanCode: "P1", Category: "special"},
			{Year: 2025, IssuerCode: issuerA.Code, PlanCode: "PV", Category: "special", MaxVisitsPerUnit: 2},
		},
		VetoList:   []bw.VetoListItem{{ProvinceCode: "43", Item: "安全生产"}},
		Exemptions: []bw.Exemption{{Year: 2025, CountyCode: county2}},
		Calendar: []bw.CalendarEntry{
			{ProvinceCode: "43", Rule: bw.CalendarNoMeetingMonth, Value: "2025-08"},
			{ProvinceCode: "43", Rule: bw.CalendarNoMeetingWeekday, Value: "3"},
			{ProvinceCode: "33", Rule: bw.CalendarNoMeetingWeekday, Value: "5"},
		},
	}
}

// shuffled returns a copy of evs in a random (seeded) order.
func shuffled(evs []bw.Event, seed int64) []bw.Event {
	out := append([]bw.Event(nil), evs...)
	rand.New(rand.NewSource(seed)).Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}
