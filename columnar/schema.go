// Package columnar is the Apache Arrow schema of deduplicated burden events,
// one province-year at a time (clickhouse.DB.ReadEvents reads them). The
// rules engine and the indicators both compute from these batches; the
// package depends on no database.
package columnar

import (
	"time"

	"github.com/apache/arrow/go/v15/arrow"
)

// Column positions in Schema.
const (
	ColEventID          = iota // string
	ColKind                    // string: inspection, meeting, document, data_report
	ColOccurredAt              // timestamp[s] (UTC instant)
	ColMonth                   // uint8, 1–12, calendar month in Asia/Shanghai
	ColDay                     // int32, days since 1970-01-01 of the Asia/Shanghai calendar date
	ColWeekday                 // uint8, 1 = Monday … 7 = Sunday, in Asia/Shanghai
	ColCounty                  // string, county_code
	ColBearingUnit             // string, unit_code when present, else county_code
	ColTargetLevel             // string: county, township, village
	ColIssuerCode              // string
	ColIssuerName              // string
	ColIssuerLevel             // string: central, province, city, county, township
	ColCategory                // string (inspection)
	ColPlanCode                // string (inspection)
	ColInspectionCode          // string (inspection)
	ColApproved                // bool (inspection)
	ColMode                    // string (inspection)
	ColOnSite                  // bool (inspection)
	ColAccompanying            // uint32 (inspection)
	ColPrincipal               // bool (inspection): principal_accompanied
	ColMaterials               // uint32 (inspection): materials_requested
	ColCompMaterial            // bool (inspection): comprehensive_material
	ColSampledUnits            // uint32 (inspection)
	ColTotalUnits              // uint32 (inspection)
	ColDeploymentDocID         // string (inspection)
	ColAccountability          // bool (inspection): accountability_demanded
	ColDurationMinutes         // uint32 (meeting)
	ColAttendees               // uint32 (meeting)
	ColFormat                  // string (meeting)
	ColCascadeRequired         // bool (meeting)
	ColDocType                 // string (document)
	ColPages                   // uint32 (document)
	ColSupportingDocs          // bool (document): requires_supporting_docs
	ColUpwardReport            // bool (document): requires_upward_report
	ColVetoItems               // list<string> (document)
	ColPledges                 // uint32 (document)
	ColFormID                  // string (data_report)
	ColFields                  // uint32 (data_report)
	ColDuplicateFields         // uint32 (data_report)
	ColEstimatedMinutes        // uint32 (data_report)
	ColViaPlatform             // bool (data_report)
	ColApprovedSurvey          // bool (data_report)
	ColIssuerKind              // string: party, government, department, coordination_body (appended; rules veto.by_province_dept)
	NumColumns
)

// Schema is the Arrow schema of event record batches; field i is at
// position Col… = i.
var Schema = arrow.NewSchema([]arrow.Field{
	{Name: "event_id", Type: arrow.BinaryTypes.String},
	{Name: "kind", Type: arrow.BinaryTypes.String},
	{Name: "occurred_at", Type: &arrow.TimestampType{Unit: arrow.Second, TimeZone: "UTC"}},
	{Name: "month", Type: arrow.PrimitiveTypes.Uint8},
	{Name: "day", Type: arrow.PrimitiveTypes.Int32},
	{Name: "weekday", Type: arrow.PrimitiveTypes.Uint8},
	{Name: "county_code", Type: arrow.BinaryTypes.String},
	{Name: "bearing_unit", Type: arrow.BinaryTypes.String},
	{Name: "target_level", Type: arrow.BinaryTypes.String},
	{Name: "issuer_code", Type: arrow.BinaryTypes.String},
	{Name: "issuer_name", Type: arrow.BinaryTypes.String},
	{Name: "issuer_level", Type: arrow.BinaryTypes.String},
	{Name: "category", Type: arrow.BinaryTypes.String},
	{Name: "plan_code", Type: arrow.BinaryTypes.String},
	{Name: "inspection_code", Type: arrow.BinaryTypes.String},
	{Name: "approved", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "mode", Type: arrow.BinaryTypes.String},
	{Name: "on_site", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "accompanying", Type: arrow.PrimitiveTypes.Uint32},
	{Name: "principal_accompanied", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "materials_requested", Type: arrow.PrimitiveTypes.Uint32},
	{Name: "comprehensive_material", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "sampled_units", Type: arrow.PrimitiveTypes.Uint32},
	{Name: "total_units", Type: arrow.PrimitiveTypes.Uint32},
	{Name: "deployment_doc_id", Type: arrow.BinaryTypes.String},
	{Name: "accountability_demanded", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "duration_minutes", Type: arrow.PrimitiveTypes.Uint32},
	{Name: "attendees", Type: arrow.PrimitiveTypes.Uint32},
	{Name: "format", Type: arrow.BinaryTypes.String},
	{Name: "cascade_required", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "doc_type", Type: arrow.BinaryTypes.String},
	{Name: "pages", Type: arrow.PrimitiveTypes.Uint32},
	{Name: "requires_supporting_docs", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "requires_upward_report", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "veto_items", Type: arrow.ListOf(arrow.BinaryTypes.String)},
	{Name: "pledges", Type: arrow.PrimitiveTypes.Uint32},
	{Name: "form_id", Type: arrow.BinaryTypes.String},
	{Name: "fields", Type: arrow.PrimitiveTypes.Uint32},
	{Name: "duplicate_fields", Type: arrow.PrimitiveTypes.Uint32},
	{Name: "estimated_minutes", Type: arrow.PrimitiveTypes.Uint32},
	{Name: "via_platform", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "approved_survey", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "issuer_kind", Type: arrow.BinaryTypes.String},
}, nil)

// Events is one province-year of deduplicated events (highest version of
// each event_id) as record batches of Schema. Release frees the batches.
type Events struct {
	Province string
	Year     int
	Records  []arrow.Record
}

// Release releases every record batch.
func (e *Events) Release() {
	for _, r := range e.Records {
		r.Release()
	}
	e.Records = nil
}

// Len is the number of events.
func (e *Events) Len() int {
	n := 0
	for _, r := range e.Records {
		n += int(r.NumRows())
	}
	return n
}

// BatchRows is the largest number of events in one record batch.
const BatchRows = 65536

// OccurredAt converts a value of the occurred_at column to a time in loc.
func OccurredAt(ts arrow.Timestamp, loc *time.Location) time.Time {
	return time.Unix(int64(ts), 0).In(loc)
}
