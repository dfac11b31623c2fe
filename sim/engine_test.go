package sim

import (
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/columnar"
	"github.com/burdenwatch/burdenwatch/rules"
)

// evaluate checks the simulated events with the real rules engine that
// transform (and make run) uses — rules.Evaluate with the province's
// shipped pack — and returns the number of results per rule id. With
// byValue, code_invalid results are also counted per reason (their value)
// under "inspection.code_invalid/<value>".
func evaluate(t testing.TB, events map[string]burdenwatch.Event, ref *burdenwatch.ReferenceData, province string, year int) (map[string]int, []burdenwatch.Violation) {
	t.Helper()
	packs, err := rules.ShippedPacks()
	if err != nil {
		t.Fatalf("shipped packs: %v", err)
	}
	ev := eventsOf(t, events, province, year)
	res, err := rules.Evaluate(packs.For(province), ev, ref, nil)
	if err != nil {
		t.Fatalf("rules.Evaluate: %v", err)
	}
	out := map[string]int{}
	for _, v := range res {
		out[v.RuleID]++
	}
	return out, res
}

// eventsOf returns the events of province and year as columnar.Events in
// batches of 4096, in event id order, with the calendar columns in
// Asia/Shanghai.
func eventsOf(t testing.TB, events map[string]burdenwatch.Event, province string, year int) *columnar.Events {
	ids := make([]string, 0, len(events))
	for id, e := range events {
		if e.CountyCode[:2] == province && e.OccurredAt.In(cst).Year() == year {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	out := &columnar.Events{Province: province, Year: year}
	for lo := 0; lo < len(ids); lo += 4096 {
		b := array.NewRecordBuilder(memory.DefaultAllocator, columnar.Schema)
		for _, id := range ids[lo:min(lo+4096, len(ids))] {
			e := events[id]
			appendEvent(b, &e)
		}
		out.Records = append(out.Records, b.NewRecord())
		b.Release()
	}
	t.Cleanup(out.Release)
	return out
}

// appendEvent appends one event as a row of columnar.Schema.
func appendEvent(b *array.RecordBuilder, e *burdenwatch.Event) {
	str := func(col int, v string) { b.Field(col).(*array.StringBuilder).Append(v) }
	flag := func(col int, v bool) { b.Field(col).(*array.BooleanBuilder).Append(v) }
	u32 := func(col int, v uint32) { b.Field(col).(*array.Uint32Builder).Append(v) }
	local := e.OccurredAt.In(cst)
	y, m, d := local.Date()
	wd := uint8(local.Weekday())
	if wd == 0 {
		wd = 7
	}
	in, mt, doc, dr := &e.Inspection, &e.Meeting, &e.Document, &e.DataReport
	str(columnar.ColEventID, e.ID)
	str(columnar.ColKind, string(e.Kind))
	b.Field(columnar.ColOccurredAt).(*array.TimestampBuilder).Append(arrow.Timestamp(e.OccurredAt.Unix()))
	b.Field(columnar.ColMonth).(*array.Uint8Builder).Append(uint8(m))
	b.Field(columnar.ColDay).(*array.Int32Builder).Append(int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400))
	b.Field(columnar.ColWeekday).(*array.Uint8Builder).Append(wd)
	for col, v := range map[int]string{
		columnar.ColCounty: e.CountyCode, columnar.ColBearingUnit: e.BearingUnit(), columnar.ColTargetLevel: string(e.TargetLevel),
		columnar.ColIssuerCode: e.Issuer.Code, columnar.ColIssuerName: e.Issuer.Name, columnar.ColIssuerLevel: e.Issuer.Level,
		columnar.ColCategory: in.Category, columnar.ColPlanCode: in.PlanCode, columnar.ColInspectionCode: in.InspectionCode,
		columnar.ColMode: in.Mode, columnar.ColDeploymentDocID: in.DeploymentDocID, columnar.ColFormat: mt.Format,
		columnar.ColDocType: doc.DocType, columnar.ColFormID: dr.FormID, columnar.ColIssuerKind: e.Issuer.Kind,
	} {
		str(col, v)
	}
	for col, v := range map[int]bool{
		columnar.ColApproved: in.Approved, columnar.ColOnSite: in.OnSite, columnar.ColPrincipal: in.PrincipalAccompanied,
		columnar.ColCompMaterial: in.ComprehensiveMaterial, columnar.ColAccountability: in.AccountabilityDemanded,
		columnar.ColCascadeRequired: mt.CascadeRequired, columnar.ColSupportingDocs: doc.RequiresSupportingDocs,
		columnar.ColUpwardReport: doc.RequiresUpwardReport, columnar.ColViaPlatform: dr.ViaPlatform,
		columnar.ColApprovedSurvey: dr.ApprovedSurvey,
	} {
		flag(col, v)
	}
	for col, v := range map[int]uint32{
		columnar.ColAccompanying: in.Accompanying, columnar.ColMaterials: in.MaterialsRequested,
		columnar.ColSampledUnits: in.SampledUnits, columnar.ColTotalUnits: in.TotalUnits,
		columnar.ColDurationMinutes: mt.DurationMinutes, columnar.ColAttendees: mt.Attendees, columnar.ColPages: doc.Pages,
		columnar.ColPledges: doc.Pledges, columnar.ColFields: dr.Fields, columnar.ColDuplicateFields: dr.DuplicateFields,
		columnar.ColEstimatedMinutes: dr.EstimatedMinutes,
	} {
		u32(col, v)
	}
	lb := b.Field(columnar.ColVetoItems).(*array.ListBuilder)
	lb.Append(true)
	for _, item := range doc.VetoItems {
		lb.ValueBuilder().(*array.StringBuilder).Append(item)
	}
}

// shanghai is the Asia/Shanghai zone the decoder uses in the tests.
var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()
