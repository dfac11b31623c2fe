package clickhouse

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/cespare/xxhash/v2"

	bw "github.com/burdenwatch/burdenwatch"
)

// Results that a recompute finds again unchanged are not written again
// (issue 11): the stored rows are read over HTTP Native and compared with
// the new ones, value by value (floats by their bits), and only new or
// changed rows are inserted. The tables' contents under FINAL are the same
// as if every row had been written; unchanged rows keep their earlier
// version and computed_at.

// indicatorKey identifies an indicator row.
type indicatorKey struct {
	county string
	month  int32 // days since 1970-01-01
	id     string
}

// storedValue renders a value as stored: its bits, or nullBits for NaN
// and infinities (stored as NULL: the columns are nullable).
func storedValue(f float64) uint64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nullBits
	}
	return math.Float64bits(f)
}

// nullBits stands for NULL among stored bits: a NaN, which no stored
// value is.
const nullBits uint64 = 0x7ff8_0000_0000_0001

// civilDay is the calendar date of t as days since 1970-01-01.
func civilDay(t time.Time) int32 {
	y, m, d := t.Date()
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// storedIndicators returns the current value and ytd of the indicators of
// province in year, by row.
func (db *DB) storedIndicators(ctx context.Context, province string, year int) (map[indicatorKey][2]uint64, error) {
	out := map[indicatorKey][2]uint64{}
	q := `SELECT county_code, toUInt32(month), indicator, value, ytd FROM indicators FINAL
WHERE province_code = ` + quoteString(province) + ` AND toYear(month) = ` + strconv.Itoa(year)
	err := db.http.queryNative(ctx, q, func(res proto.Results) error {
		county, ok1 := res[0].Data.(*stringColumn)
		month, ok2 := res[1].Data.(*proto.ColUInt32)
		id, ok3 := res[2].Data.(*stringColumn)
		value, ok4 := res[3].Data.(*proto.ColNullable[float64])
		ytd, ok5 := res[4].Data.(*proto.ColNullable[float64])
		if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
			return fmt.Errorf("unexpected column types")
		}
		for i := range county.Rows() {
			out[indicatorKey{county.Row(i), int32((*month)[i]), id.Row(i)}] =
				[2]uint64{nullableValue(value, i), nullableValue(ytd, i)}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read stored indicators of %s/%d: %w", province, year, err)
	}
	return out, nil
}

func nullableValue(c *proto.ColNullable[float64], i int) uint64 {
	if c.Nulls[i] != 0 {
		return nullBits
	}
	return storedValue(c.Values.Row(i))
}

// changedIndicators returns the indicators of inds that differ from the
// stored ones (or are not stored).
func (db *DB) changedIndicators(ctx context.Context, province string, inds []bw.Indicator) ([]bw.Indicator, error) {
	stored := map[int]map[indicatorKey][2]uint64{}
	var changed []int32 // indexes: no pointers to copy as it grows
	for i, in := range inds {
		y := in.Month.Year()
		if stored[y] == nil {
			s, err := db.storedIndicators(ctx, province, y)
			if err != nil {
				return nil, err
			}
			stored[y] = s
		}
		old, ok := stored[y][indicatorKey{in.CountyCode, civilDay(in.Month), in.ID}]
		if !ok || old != [2]uint64{storedValue(in.Value), storedValue(in.YTD)} {
			changed = append(changed, int32(i))
		}
	}
	out := make([]bw.Indicator, len(changed))
	for k, i := range changed {
		out[k] = inds[i]
	}
	return out, nil
}

// fieldHash is a 64-bit xxHash written field by field; each variable
// field is followed by its length so that field boundaries count. It was
// FNV-1a, a byte at a time: 2 × 5–6 s for the 1.48M results (13M
// evidence ids, long citations) of a 10M-event province-year.
type fieldHash struct{ d xxhash.Digest }

func newFieldHash() *fieldHash {
	h := &fieldHash{}
	h.d.Reset()
	return h
}

func (h *fieldHash) str(s string) {
	h.d.WriteString(s)
	h.u64(uint64(len(s)))
}

func (h *fieldHash) u64(v uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	h.d.Write(b[:])
}

func (h *fieldHash) sum() uint64 { return h.d.Sum64() }

// contentHash hashes what a rule result holds besides its key; value and
// limit as stored (finite, by their bits), event ids sorted.
func contentHash(v *bw.Violation, issuerName string, sortedIDs []string) uint64 {
	h := newFieldHash()
	h.str(string(v.Severity))
	h.u64(uint64(civilDay(v.Month)))
	h.str(v.IssuerCode)
	h.str(issuerName)
	h.u64(math.Float64bits(finite(v.Value)))
	h.u64(math.Float64bits(finite(v.Limit)))
	h.u64(uint64(len(sortedIDs)))
	for _, id := range sortedIDs {
		h.str(id)
	}
	h.str(v.Citation)
	return h.sum()
}

// storedResults returns the active rule results of a province-year,
// sorted by key (county, rule, scope: the table's sorting key), each with
// the content hash it was written with. Only the keys, severity, month
// and hash are read, not the evidence lists and citations. A row written
// before the content_hash column has 0, which no new result's hash
// equals: it is written again once, with its hash.
func (db *DB) storedResults(ctx context.Context, province string, year int) ([]lastResult, error) {
	var blocks [][]lastResult // one allocation at the end, not a regrowth a block
	q := `SELECT county_code, rule_id, scope, toString(severity), toUInt32(month), content_hash FROM (` +
		activeResults("county_code, rule_id, scope, severity, month, content_hash", province, year) +
		`) ORDER BY county_code, rule_id, scope`
	severities := map[string]bw.Severity{}
	err := db.http.queryNative(ctx, q, func(res proto.Results) error {
		county, rule, scope, sev := strColumn(res, 0), strColumn(res, 1), strColumn(res, 2), strColumn(res, 3)
		month, ok1 := res[4].Data.(*proto.ColUInt32)
		hash, ok2 := res[5].Data.(*proto.ColUInt64)
		if county == nil || rule == nil || scope == nil || sev == nil || !ok1 || !ok2 {
			return fmt.Errorf("unexpected column types")
		}
		out := make([]lastResult, 0, county.Rows())
		for i := range county.Rows() {
			s, ok := severities[string(sev.RowBytes(i))]
			if !ok {
				s = bw.Severity(sev.Row(i))
				severities[string(s)] = s
			}
			out = append(out, lastResult{hash: (*hash)[i], hashed: true, v: bw.Violation{CountyCode: county.Row(i),
				RuleID: rule.Row(i), Scope: scope.Row(i), Severity: s,
				Month: CivilDate(time.Unix(int64((*month)[i])*86400, 0).UTC(), db.loc)}})
		}
		blocks = append(blocks, out)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read stored rule results of %s/%d: %w", province, year, err)
	}
	out := slices.Concat(blocks...)
	if !slices.IsSortedFunc(out, compareLast) { // the server's String order is bytes, as Go's
		slices.SortFunc(out, compareLast)
	}
	return out, nil
}

// activeResults selects columns (and active) of the rows of a
// province-year's rule results under FINAL that are active: active is
// filtered after FINAL, since a newer version may have switched a result
// off.
func activeResults(columns, province string, year int) string {
	return `SELECT ` + columns + ` FROM (SELECT ` + columns + `, active FROM rule_results FINAL
WHERE province_code = ` + quoteString(province) + ` AND year = ` + strconv.Itoa(year) + `) WHERE active = 1`
}

func strColumn(res proto.Results, i int) *stringColumn { c, _ := res[i].Data.(*stringColumn); return c }

// StoredResults is what the results tables hold for one province-year:
// the indicators (value and ytd as stored) and the active rule results (a
// hash of their content), as read by ReadStoredResults and kept up to date
// by WriteResults. A process that keeps it between runs (transform.Job)
// compares new results with it instead of reading the stored rows again;
// it is only right while no other process writes the province-year's
// results.
type StoredResults struct {
	province   string
	year       int
	indicators map[indicatorKey][2]uint64
	last       []lastResult // as stored, sorted by key
}

// ReadStoredResults reads the stored indicators and active rule results
// of a province-year.
func (db *DB) ReadStoredResults(ctx context.Context, province string, year int) (*StoredResults, error) {
	inds, err := db.storedIndicators(ctx, province, year)
	if err != nil {
		return nil, err
	}
	rs, err := db.storedResults(ctx, province, year)
	if err != nil {
		return nil, err
	}
	return &StoredResults{province: province, year: year, indicators: inds, last: rs}, nil
}

// Len is the number of indicator rows and of active rule results held.
func (s *StoredResults) Len() (indicators, ruleResults int) {
	return len(s.indicators), len(s.last)
}

// WriteResults writes the results of the province-year of s that differ
// from s, as InsertIndicators and ReplaceRuleResults do against the stored
// rows, and on success updates s to what the tables now hold. Indicators
// of another year than s's are compared with the stored rows. The
// indicators and the rule results are written side by side. A result
// whose EventIDs is the very slice (one array, one length) of the one
// last written is taken as unchanged in its ids without comparing them:
// callers must not rewrite ids they passed (rules.State never does).
func (db *DB) WriteResults(ctx context.Context, s *StoredResults, inds []bw.Indicator, counties []string,
	vs []bw.Violation, issuerNames map[string]string) error {
	indErr := make(chan error, 1)
	go func() { indErr <- db.writeIndicators(ctx, s, inds) }()
	next, err := db.mergeRuleResults(ctx, s.province, s.year, s.last, counties, vs, issuerNames, true)
	if err == nil {
		s.last = next
	}
	return errors.Join(<-indErr, err)
}

// writeIndicators is the indicators' part of WriteResults.
func (db *DB) writeIndicators(ctx context.Context, s *StoredResults, inds []bw.Indicator) error {
	var changed, other []bw.Indicator
	for _, in := range inds {
		if in.Month.Year() != s.year {
			other = append(other, in)
			continue
		}
		old, ok := s.indicators[indicatorKey{in.CountyCode, civilDay(in.Month), in.ID}]
		if !ok || old != [2]uint64{storedValue(in.Value), storedValue(in.YTD)} {
			changed = append(changed, in)
		}
	}
	if len(other) > 0 {
		var err error
		if other, err = db.changedIndicators(ctx, s.province, other); err != nil {
			return err
		}
	}
	if err := db.insertIndicators(ctx, s.province, append(changed, other...)); err != nil {
		return err
	}
	for _, in := range changed {
		s.indicators[indicatorKey{strings.Clone(in.CountyCode), civilDay(in.Month), strings.Clone(in.ID)}] =
			[2]uint64{storedValue(in.Value), storedValue(in.YTD)}
	}
	return nil
}
