package rules

import (
	"math/rand"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/columnar"
)

var shanghai = bw.Location()

// at is a time in Asia/Shanghai.
func at(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, shanghai) }

// buildEvents turns events into columnar.Events, batchSize rows per record
// batch (all in one when batchSize ≤ 0), with calendar columns computed in
// Asia/Shanghai.
func buildEvents(tb testing.TB, province string, year int, evs []bw.Event, batchSize int) *columnar.Events {
	tb.Helper()
	if batchSize <= 0 {
		batchSize = len(evs) + 1
	}
	out := &columnar.Events{Province: province, Year: year}
	for start := 0; start < len(evs); start += batchSize {
		end := min(start+batchSize, len(evs))
		out.Records = append(out.Records, buildRecord(evs[start:end]))
	}
	tb.Cleanup(out.Release)
	return out
}

func buildRecord(evs []bw.Event) arrow.Record {
	b := array.NewRecordBuilder(memory.DefaultAllocator, columnar.Schema)
	defer b.Release()
	for i := range evs {
		appendEvent(b, &evs[i])
	}
	return b.NewRecord()
}

func appendEvent(b *array.RecordBuilder, e *bw.Event) {
	str := func(col int, v string) { b.Field(col).(*array.StringBuilder).Append(v) }
	boolean := func(col int, v bool) { b.Field(col).(*array.BooleanBuilder).Append(v) }
	u32 := func(col int, v uint32) { b.Field(col).(*array.Uint32Builder).Append(v) }
	local := e.OccurredAt.In(shanghai)
	y, m, d := local.Date()
	day := int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
	wd := uint8(local.Weekday())
	if wd == 0 {
		wd = 7
	}
	in, mt, doc, dr := &e.Inspection, &e.Meeting, &e.Document, &e.DataReport
	str(columnar.ColEventID, e.ID)
	str(columnar.ColKind, string(e.Kind))
	b.Field(columnar.ColOccurredAt).(*array.TimestampBuilder).Append(arrow.Timestamp(e.OccurredAt.Unix()))
	b.Field(columnar.ColMonth).(*array.Uint8Builder).Append(uint8(m))
	b.Field(columnar.ColDay).(*array.Int32Builder).Append(day)
	b.Field(columnar.ColWeekday).(*array.Uint8Builder).Append(wd)
	str(columnar.ColCounty, e.CountyCode)
	str(columnar.ColBearingUnit, e.BearingUnit())
	str(columnar.ColTargetLevel, string(e.TargetLevel))
	str(columnar.ColIssuerCode, e.Issuer.Code)
	str(columnar.ColIssuerName, e.Issuer.Name)
	str(columnar.ColIssuerLevel, e.Issuer.Level)
	str(columnar.ColCategory, in.Category)
	str(columnar.ColPlanCode, in.PlanCode)
	str(columnar.ColInspectionCode, in.InspectionCode)
	boolean(columnar.ColApproved, in.Approved)
	str(columnar.ColMode, in.Mode)
	boolean(columnar.ColOnSite, in.OnSite)
	u32(columnar.ColAccompanying, in.Accompanying)
	boolean(columnar.ColPrincipal, in.PrincipalAccompanied)
	u32(columnar.ColMaterials, in.MaterialsRequested)
	boolean(columnar.ColCompMaterial, in.ComprehensiveMaterial)
	u32(columnar.ColSampledUnits, in.SampledUnits)
	u32(columnar.ColTotalUnits, in.TotalUnits)
	str(columnar.ColDeploymentDocID, in.DeploymentDocID)
	boolean(columnar.ColAccountability, in.AccountabilityDemanded)
	u32(columnar.ColDurationMinutes, mt.DurationMinutes)
	u32(columnar.ColAttendees, mt.Attendees)
	str(columnar.ColFormat, mt.Format)
	boolean(columnar.ColCascadeRequired, mt.CascadeRequired)
	str(columnar.ColDocType, doc.DocType)
	u32(columnar.ColPages, doc.Pages)
	boolean(columnar.ColSupportingDocs, doc.RequiresSupportingDocs)
	boolean(columnar.ColUpwardReport, doc.RequiresUpwardReport)
	lb := b.Field(columnar.ColVetoItems).(*array.ListBuilder)
	lb.Append(true)
	for _, item := range doc.VetoItems {
		lb.ValueBuilder().(*array.StringBuilder).Append(item)
	}
	u32(columnar.ColPledges, doc.Pledges)
	str(columnar.ColFormID, dr.FormID)
	u32(columnar.ColFields, dr.Fields)
	u32(columnar.ColDuplicateFields, dr.DuplicateFields)
	u32(columnar.ColEstimatedMinutes, dr.EstimatedMinutes)
	boolean(columnar.ColViaPlatform, dr.ViaPlatform)
	boolean(columnar.ColApprovedSurvey, dr.ApprovedSurvey)
	str(columnar.ColIssuerKind, e.Issuer.Kind)
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
