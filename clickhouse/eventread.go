package clickhouse

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"golang.org/x/sync/errgroup"

	"github.com/burdenwatch/burdenwatch/columnar"
)

// eventColumns are the expressions read for each columnar.Schema field, in
// Schema order. Enums are read as strings, occurred_at as Unix seconds, and
// the calendar fields are computed by ClickHouse in the column's time zone
// (Asia/Shanghai). Codes are wrapped in toString and counts in toUInt32 so
// that the read does not depend on how the events table stores them; the
// Enum8 columns (kind, the levels, issuer_kind) are sent as they are
// stored, a byte a value, and blockReader turns them into their names
// (toString cost the server 15 % of the read).
var eventColumns = [columnar.NumColumns]string{
	"event_id", "kind", "toUInt32(occurred_at)", "toMonth(occurred_at)",
	"toUInt32(toRelativeDayNum(occurred_at))", "toDayOfWeek(occurred_at)", "toString(county_code)",
	"toString(bearing_unit)", "target_level", "toString(issuer_code)", "issuer_name",
	"issuer_level", "toString(category)", "toString(plan_code)", "toString(inspection_code)",
	"toUInt8(approved)", "toString(mode)", "toUInt8(on_site)", "toUInt32(accompanying)",
	"toUInt8(principal_accompanied)", "toUInt32(materials_requested)", "toUInt8(comprehensive_material)",
	"toUInt32(sampled_units)", "toUInt32(total_units)", "deployment_doc_id", "toUInt8(accountability_demanded)",
	"toUInt32(duration_minutes)", "toUInt32(attendees)", "toString(`format`)", "toUInt8(cascade_required)",
	"toString(doc_type)", "toUInt32(pages)", "toUInt8(requires_supporting_docs)", "toUInt8(requires_upward_report)",
	"veto_items", "toUInt32(pledges)", "toString(form_id)", "toUInt32(fields)", "toUInt32(duplicate_fields)",
	"toUInt32(estimated_minutes)", "toUInt8(via_platform)", "toUInt8(approved_survey)", "issuer_kind",
}

// eventKinds are the kinds in the order they are read.
var eventKinds = []string{"inspection", "meeting", "document", "data_report"}

// payloadRange is the first and last Schema column of a kind's payload.
func payloadRange(kind string) [2]int {
	return map[string][2]int{
		"inspection":  {columnar.ColCategory, columnar.ColAccountability},
		"meeting":     {columnar.ColDurationMinutes, columnar.ColCascadeRequired},
		"document":    {columnar.ColDocType, columnar.ColPledges},
		"data_report": {columnar.ColFormID, columnar.ColApprovedSurvey},
	}[kind]
}

// provinceYear is the filter of one province and calendar year.
func provinceYear(province string, year int) string {
	return "province_code = " + quoteString(province) + " AND toYear(occurred_at) = " + strconv.Itoa(year)
}

// quarters are the months a query of ReadEvents reads, readers at a time.
// The events table is partitioned by month, so each query reads only its
// quarter's parts.
var quarters = [][2]int{{1, 3}, {4, 6}, {7, 9}, {10, 12}}

// schemaColumns is the select list of eventRecord's blocks: every Schema
// column in order, then the version (aliased c0…, so that no alias
// shadows a column in WHERE).
func schemaColumns() string {
	exprs := make([]string, 0, columnar.NumColumns+1)
	for c := range columnar.NumColumns {
		exprs = append(exprs, eventColumns[c]+" AS c"+strconv.Itoa(c))
	}
	return strings.Join(append(exprs, "version AS v"), ", ")
}

// quarterQuery selects every delivery of the province-year (filter) in
// months q of year, with every Schema column and the version. Every kind is read at
// once: the table is ordered by event_id, not by kind, so a query a kind
// read every granule of the envelope columns once a kind — four times in
// all (issue 11: 12.4–13.4 s of server CPU for 10M events against 8.8).
// The other kinds' payload columns of a row are zeroed in Go
// (maskPayloads): ingest stores them as zeros, so the check is all the
// work nearly always, where masking them in the query cost the server a
// conditional a value.
func quarterQuery(filter string, year int, q [2]int) string {
	return "SELECT " + schemaColumns() + " FROM events WHERE " + filter +
		" AND toYYYYMM(occurred_at) BETWEEN " + strconv.Itoa(year*100+q[0]) + " AND " + strconv.Itoa(year*100+q[1])
}

// duplicatesQuery selects the winning version of every event_id delivered
// more than once, over the whole table: a correction may have moved an
// event to another month, year or province, and then its older delivery
// here loses. Events delivered once (nearly all) need no lookup.
//
// The ids are first grouped by their 64-bit hash, and only the ids whose
// hash occurs more than once are grouped by value: a hash table of
// integers instead of one of every id string. For 10M events this halves
// the query (3.4–3.9 s → 1.7–2.0 s, 6.5–7.5 → 3.4–3.7 s of server CPU);
// a hash collision costs an id's second look, never a wrong answer.
const duplicatesQuery = `SELECT event_id, max(version) FROM events WHERE cityHash64(event_id) IN ` +
	`(SELECT h FROM (SELECT cityHash64(event_id) AS h FROM events GROUP BY h HAVING count() > 1)) ` +
	`GROUP BY event_id HAVING count() > 1`

// ReadEvents reads the deduplicated events (highest version of each
// event_id, as SELECT … FINAL would) of one province (2-digit code) and
// calendar year in Asia/Shanghai as record batches of columnar.Schema, one
// batch per Native block (at most max_block_size rows).
func (db *DB) ReadEvents(ctx context.Context, province string, year int) (*columnar.Events, error) {
	winners, err := db.duplicateWinners(ctx)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read events of %s/%d: %w", province, year, err)
	}
	filter := provinceYear(province, year)
	parts := make([][]arrow.Record, len(quarters))
	err = parallelQuarters(ctx, func(ctx context.Context, k int) error {
		err := db.http.queryNative(ctx, quarterQuery(filter, year, quarters[k]), func(res proto.Results) error {
			rec, err := eventRecord(res, winners)
			if err == nil && rec != nil {
				parts[k] = append(parts[k], rec)
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("clickhouse: read events of %s/%d, months %d–%d: %w", province, year, quarters[k][0], quarters[k][1], err)
		}
		return nil
	})
	out := &columnar.Events{Province: province, Year: year, Records: slices.Concat(parts...)}
	if err != nil {
		out.Release()
		return nil, err
	}
	return out, nil
}

// readers is the number of quarters ReadEvents reads side by side: two
// queries keep the server's threads and the decoding busy where one left
// both waiting on each other.
const readers = 2

// parallelQuarters calls read for each quarter index, readers at a time,
// and returns the first error (the other reads are cancelled).
func parallelQuarters(ctx context.Context, read func(context.Context, int) error) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(readers)
	for k := range quarters {
		g.Go(func() error { return read(ctx, k) })
	}
	return g.Wait()
}

// ReadEventsFloor runs the queries of ReadEvents with FORMAT Null: the
// server's share of the read, the floor benchmarks compare ReadEvents with.
func (db *DB) ReadEventsFloor(ctx context.Context, province string, year int) error {
	queries := []string{duplicatesQuery}
	for _, q := range quarters {
		queries = append(queries, quarterQuery(provinceYear(province, year), year, q))
	}
	for _, q := range queries {
		if err := db.http.queryNull(ctx, q); err != nil {
			return fmt.Errorf("clickhouse: read floor of %s/%d: %w", province, year, err)
		}
	}
	return nil
}

// duplicateWinners returns the winning version of every event_id that has
// more than one delivery.
func (db *DB) duplicateWinners(ctx context.Context) (*winnerSet, error) {
	out := map[string]winner{}
	err := db.http.queryNative(ctx, duplicatesQuery, func(res proto.Results) error {
		ids, ok1 := res[0].Data.(*stringColumn)
		vs, ok2 := res[1].Data.(*proto.ColUInt64)
		if !ok1 || !ok2 {
			return fmt.Errorf("duplicates: unexpected column types %s, %s", res[0].Data.Type(), res[1].Data.Type())
		}
		for i, v := range *vs {
			out[ids.Row(i)] = winner{version: v}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("versions of duplicated events: %w", err)
	}
	return newWinnerSet(out), nil
}

// winnerSet is the winners of a read, by event id; safe for the readers
// of several kinds at once. Its keys are fixed when it is made; keepRows
// only marks them taken.
type winnerSet struct {
	none bool // no winners: every row is kept, without locking
	mu   sync.Mutex
	m    map[string]winner
}

func newWinnerSet(m map[string]winner) *winnerSet { return &winnerSet{none: len(m) == 0, m: m} }

// winner is the winning version of an event delivered more than once,
// and whether a delivery of it was taken already.
type winner struct {
	version uint64
	taken   bool
}

// keepRows returns the rows of a block that are winning deliveries, nil
// when all are (the common case). A winner delivered twice with the same
// version (the same bytes) is kept once.
func (w *winnerSet) keepRows(ids *stringColumn, versions *proto.ColUInt64) []int {
	if w.none {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	winners := w.m
	var keep []int // nil until a row is dropped
	for i := range ids.Rows() {
		id := ids.RowBytes(i)
		w, dup := winners[string(id)]
		ok := !dup || (w.version == (*versions)[i] && !w.taken)
		if dup && ok {
			winners[string(id)] = winner{w.version, true}
		}
		if !ok && keep == nil {
			keep = make([]int, i, ids.Rows())
			for j := range keep {
				keep[j] = j
			}
		}
		if ok && keep != nil {
			keep = append(keep, i)
		}
	}
	return keep
}

// eventRecord converts one Native block of every columnar.Schema column in
// order, then the version, into a record, keeping only winning
// deliveries; nil when none is.
func eventRecord(res proto.Results, winners *winnerSet) (arrow.Record, error) {
	if len(res) != columnar.NumColumns+1 {
		return nil, fmt.Errorf("%d columns, want %d", len(res), columnar.NumColumns+1)
	}
	ids, ok1 := res[columnar.ColEventID].Data.(*stringColumn)
	versions, ok2 := res[columnar.NumColumns].Data.(*proto.ColUInt64)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("event_id or version: unexpected types %s, %s", res[columnar.ColEventID].Data.Type(), res[columnar.NumColumns].Data.Type())
	}
	if err := maskPayloads(res); err != nil {
		return nil, err
	}
	keep := winners.keepRows(ids, versions)
	n := ids.Rows()
	if keep != nil {
		n = len(keep)
	}
	if n == 0 {
		return nil, nil
	}
	arrays := make([]arrow.Array, columnar.NumColumns)
	defer func() {
		for _, a := range arrays {
			if a != nil {
				a.Release()
			}
		}
	}()
	for c := range arrays {
		a, err := toArrow(columnar.Schema.Field(c).Type, res[c].Data, keep)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", columnar.Schema.Field(c).Name, err)
		}
		arrays[c] = a
	}
	return array.NewRecord(columnar.Schema, arrays, int64(n)), nil
}

// toArrow converts a decoded column to an Arrow array of type t, taking
// the rows in keep (all when keep is nil). Strings and fixed-width numbers
// share the decoded buffers when every row is kept.
func toArrow(t arrow.DataType, col proto.ColResult, keep []int) (arrow.Array, error) {
	switch c := col.(type) {
	case *stringColumn:
		if t.ID() == arrow.STRING {
			return stringArray(c, keep), nil
		}
	case *proto.ColUInt32:
		v := gather(*c, keep)
		switch t.ID() {
		case arrow.UINT32:
			return array.NewUint32Data(fixedData(t, arrow.Uint32Traits.CastToBytes(v), len(v))), nil
		case arrow.INT32:
			return array.NewInt32Data(fixedData(t, arrow.Uint32Traits.CastToBytes(v), len(v))), nil
		case arrow.TIMESTAMP:
			ts := make([]arrow.Timestamp, len(v))
			for i, s := range v {
				ts[i] = arrow.Timestamp(s)
			}
			return array.NewTimestampData(fixedData(t, arrow.TimestampTraits.CastToBytes(ts), len(ts))), nil
		}
	case *proto.ColUInt8:
		v := gather(*c, keep)
		switch t.ID() {
		case arrow.UINT8:
			return array.NewUint8Data(fixedData(t, arrow.Uint8Traits.CastToBytes(v), len(v))), nil
		case arrow.BOOL:
			bits := make([]byte, (len(v)+7)/8)
			for i, b := range v {
				if b != 0 {
					bits[i/8] |= 1 << (i % 8)
				}
			}
			return array.NewBooleanData(fixedData(t, bits, len(v))), nil
		}
	case *stringListColumn:
		if t.ID() == arrow.LIST {
			return stringListArray(t, c, keep), nil
		}
	}
	return nil, fmt.Errorf("cannot convert %s to %s", col.Type(), t)
}

// gather returns the rows of v in keep, v itself when keep is nil.
func gather[T any](v []T, keep []int) []T {
	if keep == nil {
		return v
	}
	out := make([]T, len(keep))
	for i, k := range keep {
		out[i] = v[k]
	}
	return out
}

// fixedData wraps the values buffer of a fixed-width array without nulls.
func fixedData(t arrow.DataType, values []byte, n int) arrow.ArrayData {
	return array.NewData(t, n, []*memory.Buffer{nil, memory.NewBufferBytes(values)}, nil, 0, 0)
}

// stringArray converts a String column, sharing its buffers when every
// row is kept.
func stringArray(c *stringColumn, keep []int) arrow.Array {
	offsets, data := c.offsets, c.data
	if keep != nil {
		offsets, data = make([]int32, 0, len(keep)+1), nil
		offsets = append(offsets, 0)
		for _, k := range keep {
			data = append(data, c.RowBytes(k)...)
			offsets = append(offsets, int32(len(data)))
		}
	}
	if len(offsets) == 0 { // no rows decoded
		offsets = []int32{0}
	}
	return array.NewStringData(array.NewData(arrow.BinaryTypes.String, len(offsets)-1,
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(offsets)), memory.NewBufferBytes(data)},
		nil, 0, 0))
}

// stringListArray converts an Array(String) column.
func stringListArray(t arrow.DataType, c *stringListColumn, keep []int) arrow.Array {
	if keep == nil {
		keep = make([]int, c.Rows())
		for i := range keep {
			keep[i] = i
		}
	}
	offsets := make([]int32, 0, len(keep)+1)
	offsets = append(offsets, 0)
	var elems []int
	for _, k := range keep {
		start, end := c.span(k)
		for j := start; j < end; j++ {
			elems = append(elems, j)
		}
		offsets = append(offsets, int32(len(elems)))
	}
	values := stringArray(&c.values, elems)
	defer values.Release()
	data := array.NewData(t, len(keep), []*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(offsets))},
		[]arrow.ArrayData{values.Data()}, 0, 0)
	defer data.Release()
	return array.NewListData(data)
}
