package columnar

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/burdenwatch/burdenwatch/clickhouse"
)

// BatchRows is the number of events per record batch.
const BatchRows = 65536

// readTimeout bounds a Read whose context has no deadline.
const readTimeout = time.Hour

// selectColumns are the expressions read for each Schema field, in Schema
// order. Enums are read as strings, occurred_at as Unix seconds, and the
// calendar fields are computed by ClickHouse in the column's time zone
// (Asia/Shanghai).
var selectColumns = [NumColumns]string{
	"event_id", "toString(kind)", "toUInt32(occurred_at)", "toMonth(occurred_at)",
	"toRelativeDayNum(occurred_at)", "toDayOfWeek(occurred_at)", "county_code", "bearing_unit",
	"toString(target_level)", "issuer_code", "issuer_name", "toString(issuer_level)", "category",
	"plan_code", "inspection_code", "approved", "mode", "on_site", "accompanying",
	"principal_accompanied", "materials_requested", "comprehensive_material", "sampled_units",
	"total_units", "deployment_doc_id", "accountability_demanded", "duration_minutes", "attendees",
	"`format`", "cascade_required", "doc_type", "pages", "requires_supporting_docs",
	"requires_upward_report", "veto_items", "pledges", "form_id", "fields", "duplicate_fields",
	"estimated_minutes", "via_platform", "approved_survey", "toString(issuer_kind)",
}

// winnersQuery selects the winning version of every event of one
// province-year: FINAL over the narrow (event_id, version) projection of the
// whole table, with the province-year filter outside it. A filter inside
// would prune the month partitions before the merge, and an older revision
// whose correction moved the event to another month, year or province
// would win. Predicate push-down is switched off explicitly (off by
// default on 18.16, on in later releases).
const winnersQuery = `SELECT event_id, version FROM (SELECT event_id, version, province_code AS p,
toYear(occurred_at) AS y FROM events FINAL) WHERE p = ? AND y = ?
SETTINGS enable_optimize_predicate_expression = 0`

// kindColumns lists, per event kind, the Schema columns its rows are read
// with: the envelope and the kind's own payload. The other payload columns
// keep their zero values, as in the events table, without being scanned.
var kindColumns = map[string][]int{
	"inspection":  withEnvelope(ColCategory, ColAccountability),
	"meeting":     withEnvelope(ColDurationMinutes, ColCascadeRequired),
	"document":    withEnvelope(ColDocType, ColPledges),
	"data_report": withEnvelope(ColFormID, ColApprovedSurvey),
}

// withEnvelope returns the envelope columns and the payload columns from
// first to last inclusive.
func withEnvelope(first, last int) []int {
	cols := []int{ColEventID, ColKind, ColOccurredAt, ColMonth, ColDay, ColWeekday, ColCounty,
		ColBearingUnit, ColTargetLevel, ColIssuerCode, ColIssuerName, ColIssuerLevel, ColIssuerKind}
	for c := first; c <= last; c++ {
		cols = append(cols, c)
	}
	return cols
}

// rowsQuery selects every delivery of one kind in the province-year, with
// that kind's columns and the version; Read keeps the winning one of each
// event. Reading FINAL with all columns costs 3–5 times more on ClickHouse
// 18.16 (see docs/indicators.md).
func rowsQuery(cols []int) string {
	exprs := make([]string, len(cols))
	for i, c := range cols {
		exprs[i] = selectColumns[c]
	}
	return "SELECT " + strings.Join(exprs, ", ") +
		", version FROM events WHERE province_code = ? AND toYear(occurred_at) = ? AND kind = ?"
}

// Read reads the deduplicated events (highest version of each event_id,
// as SELECT … FINAL would) of one province (2-digit code) and calendar year
// in Asia/Shanghai into record batches of Schema of at most BatchRows rows.
func Read(ctx context.Context, db *clickhouse.DB, province string, year int) (*Events, error) {
	if _, ok := ctx.Deadline(); !ok {
		// clickhouse-go applies its read timeout (60 s) to a whole query
		// unless the context has a deadline; a large province-year takes
		// longer.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, readTimeout)
		defer cancel()
	}
	winners, err := readWinners(ctx, db, province, year)
	if err != nil {
		return nil, err
	}
	out := &Events{Province: province, Year: year}
	b := newBatchBuilder(memory.DefaultAllocator)
	defer b.release()
	for _, kind := range []string{"inspection", "meeting", "document", "data_report"} {
		if err := readKind(ctx, db, province, year, kind, winners, b, out); err != nil {
			out.Release()
			return nil, err
		}
	}
	if b.n > 0 {
		out.Records = append(out.Records, b.record())
	}
	return out, nil
}

// readKind appends the winning deliveries of one kind to b, moving full
// batches to out.
func readKind(ctx context.Context, db *clickhouse.DB, province string, year int, kind string,
	winners map[string]uint64, b *batchBuilder, out *Events) error {
	cols := kindColumns[kind]
	rows, err := db.Conn().Query(ctx, rowsQuery(cols), province, uint16(year), kind)
	if err != nil {
		return fmt.Errorf("columnar: read %s events of %s/%d: %w", kind, province, year, err)
	}
	defer rows.Close()
	var r row
	all := r.dest()
	dest := make([]any, 0, len(cols)+1)
	for _, c := range cols {
		dest = append(dest, all[c])
	}
	dest = append(dest, &r.version)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("columnar: read %s events of %s/%d: %w", kind, province, year, err)
		}
		if v, ok := winners[r.str[ColEventID]]; !ok || v != r.version {
			continue // an older revision, or a duplicate already taken
		}
		delete(winners, r.str[ColEventID])
		b.append(&r)
		if b.n == BatchRows {
			out.Records = append(out.Records, b.record())
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("columnar: read %s events of %s/%d: %w", kind, province, year, err)
	}
	return nil
}

// readWinners returns the winning version of each event of a province-year.
func readWinners(ctx context.Context, db *clickhouse.DB, province string, year int) (map[string]uint64, error) {
	rows, err := db.Conn().Query(ctx, winnersQuery, province, uint16(year))
	if err != nil {
		return nil, fmt.Errorf("columnar: read event versions of %s/%d: %w", province, year, err)
	}
	defer rows.Close()
	out := map[string]uint64{}
	var id string
	var v uint64
	for rows.Next() {
		if err := rows.Scan(&id, &v); err != nil {
			return nil, fmt.Errorf("columnar: read event versions of %s/%d: %w", province, year, err)
		}
		out[id] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("columnar: read event versions of %s/%d: %w", province, year, err)
	}
	return out, nil
}

// row is one event as scanned from ClickHouse.
type row struct {
	str      [NumColumns]string
	u32      [NumColumns]uint32
	u8       [NumColumns]uint8
	vetoItem []string
	version  uint64
}

// dest returns the scan destinations of r, in Schema order.
func (r *row) dest() []any {
	out := make([]any, NumColumns)
	for i := 0; i < NumColumns; i++ {
		switch Schema.Field(i).Type.ID() {
		case arrow.STRING:
			out[i] = &r.str[i]
		case arrow.BOOL, arrow.UINT8:
			out[i] = &r.u8[i]
		case arrow.LIST:
			out[i] = &r.vetoItem
		default: // uint32, int32 (day), timestamp (seconds)
			out[i] = &r.u32[i]
		}
	}
	return out
}

// batchBuilder accumulates rows into one record batch of Schema.
type batchBuilder struct {
	rb *array.RecordBuilder
	n  int
}

func newBatchBuilder(mem memory.Allocator) *batchBuilder {
	rb := array.NewRecordBuilder(mem, Schema)
	for _, f := range rb.Fields() {
		f.Reserve(BatchRows)
	}
	return &batchBuilder{rb: rb}
}

func (b *batchBuilder) append(r *row) {
	for i, f := range b.rb.Fields() {
		switch f := f.(type) {
		case *array.StringBuilder:
			f.Append(r.str[i])
		case *array.BooleanBuilder:
			f.Append(r.u8[i] != 0)
		case *array.Uint8Builder:
			f.Append(r.u8[i])
		case *array.Uint32Builder:
			f.Append(r.u32[i])
		case *array.Int32Builder:
			f.Append(int32(r.u32[i]))
		case *array.TimestampBuilder:
			f.Append(arrow.Timestamp(r.u32[i]))
		case *array.ListBuilder:
			f.Append(true)
			vb := f.ValueBuilder().(*array.StringBuilder)
			for _, s := range r.vetoItem {
				vb.Append(s)
			}
		}
	}
	b.n++
}

// record returns the rows appended so far as a record and starts a new one.
func (b *batchBuilder) record() arrow.Record {
	rec := b.rb.NewRecord()
	b.n = 0
	for _, f := range b.rb.Fields() {
		f.Reserve(BatchRows)
	}
	return rec
}

func (b *batchBuilder) release() { b.rb.Release() }

// OccurredAt converts a value of the occurred_at column to a time in loc.
func OccurredAt(ts arrow.Timestamp, loc *time.Location) time.Time {
	return time.Unix(int64(ts), 0).In(loc)
}
