package columnar

import (
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	bw "github.com/burdenwatch/burdenwatch"
)

// FromEvents builds the record batches of already deduplicated events in
// memory, batchSize rows a batch (all in one when batchSize ≤ 0), with the
// calendar columns computed in Asia/Shanghai as ClickHouse computes them:
// for tests and tools that compute from events without a database.
func FromEvents(province string, year int, evs []bw.Event, batchSize int) *Events {
	if batchSize <= 0 {
		batchSize = len(evs) + 1
	}
	out := &Events{Province: province, Year: year}
	for start := 0; start < len(evs); start += batchSize {
		out.Records = append(out.Records, record(evs[start:min(start+batchSize, len(evs))]))
	}
	return out
}

// record builds one record batch of evs.
func record(evs []bw.Event) arrow.Record {
	b := array.NewRecordBuilder(memory.DefaultAllocator, Schema)
	defer b.Release()
	for i := range evs {
		appendEvent(b, &evs[i])
	}
	return b.NewRecord()
}

// appendEvent appends one event, its calendar fields in Asia/Shanghai.
func appendEvent(b *array.RecordBuilder, e *bw.Event) {
	str := func(col int, v string) { b.Field(col).(*array.StringBuilder).Append(v) }
	boolean := func(col int, v bool) { b.Field(col).(*array.BooleanBuilder).Append(v) }
	u32 := func(col int, v uint32) { b.Field(col).(*array.Uint32Builder).Append(v) }
	local := e.OccurredAt.In(bw.Location())
	y, m, d := local.Date()
	day := int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
	wd := uint8(local.Weekday())
	if wd == 0 {
		wd = 7
	}
	in, mt, doc, dr := &e.Inspection, &e.Meeting, &e.Document, &e.DataReport
	str(ColEventID, e.ID)
	str(ColKind, string(e.Kind))
	b.Field(ColOccurredAt).(*array.TimestampBuilder).Append(arrow.Timestamp(e.OccurredAt.Unix()))
	b.Field(ColMonth).(*array.Uint8Builder).Append(uint8(m))
	b.Field(ColDay).(*array.Int32Builder).Append(day)
	b.Field(ColWeekday).(*array.Uint8Builder).Append(wd)
	str(ColCounty, e.CountyCode)
	str(ColBearingUnit, e.BearingUnit())
	str(ColTargetLevel, string(e.TargetLevel))
	str(ColIssuerCode, e.Issuer.Code)
	str(ColIssuerName, e.Issuer.Name)
	str(ColIssuerLevel, e.Issuer.Level)
	str(ColCategory, in.Category)
	str(ColPlanCode, in.PlanCode)
	str(ColInspectionCode, in.InspectionCode)
	boolean(ColApproved, in.Approved)
	str(ColMode, in.Mode)
	boolean(ColOnSite, in.OnSite)
	u32(ColAccompanying, in.Accompanying)
	boolean(ColPrincipal, in.PrincipalAccompanied)
	u32(ColMaterials, in.MaterialsRequested)
	boolean(ColCompMaterial, in.ComprehensiveMaterial)
	u32(ColSampledUnits, in.SampledUnits)
	u32(ColTotalUnits, in.TotalUnits)
	str(ColDeploymentDocID, in.DeploymentDocID)
	boolean(ColAccountability, in.AccountabilityDemanded)
	u32(ColDurationMinutes, mt.DurationMinutes)
	u32(ColAttendees, mt.Attendees)
	str(ColFormat, mt.Format)
	boolean(ColCascadeRequired, mt.CascadeRequired)
	str(ColDocType, doc.DocType)
	u32(ColPages, doc.Pages)
	boolean(ColSupportingDocs, doc.RequiresSupportingDocs)
	boolean(ColUpwardReport, doc.RequiresUpwardReport)
	lb := b.Field(ColVetoItems).(*array.ListBuilder)
	lb.Append(true)
	for _, item := range doc.VetoItems {
		lb.ValueBuilder().(*array.StringBuilder).Append(item)
	}
	u32(ColPledges, doc.Pledges)
	str(ColFormID, dr.FormID)
	u32(ColFields, dr.Fields)
	u32(ColDuplicateFields, dr.DuplicateFields)
	u32(ColEstimatedMinutes, dr.EstimatedMinutes)
	boolean(ColViaPlatform, dr.ViaPlatform)
	boolean(ColApprovedSurvey, dr.ApprovedSurvey)
	str(ColIssuerKind, e.Issuer.Kind)
}
