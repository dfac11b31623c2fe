package clickhouse

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/ch-go/proto"

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

// storedValue renders a value as stored: its bits, or "null" for NaN and
// infinities (nullable).
func storedValue(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "null"
	}
	return strconv.FormatUint(math.Float64bits(f), 16)
}

// civilDay is the calendar date of t as days since 1970-01-01.
func civilDay(t time.Time) int32 {
	y, m, d := t.Date()
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// storedIndicators returns the current value and ytd of the indicators of
// province in year, by row.
func (db *DB) storedIndicators(ctx context.Context, province string, year int) (map[indicatorKey][2]string, error) {
	out := map[indicatorKey][2]string{}
	q := `SELECT county_code, toUInt32(month), indicator, value, ytd FROM indicators FINAL
WHERE province_code = ` + quoteString(province) + ` AND toYear(month) = ` + strconv.Itoa(year)
	err := db.http.queryNative(ctx, q, func(res proto.Results) error {
		county, ok1 := res[0].Data.(*proto.ColStr)
		month, ok2 := res[1].Data.(*proto.ColUInt32)
		id, ok3 := res[2].Data.(*proto.ColStr)
		value, ok4 := res[3].Data.(*proto.ColNullable[float64])
		ytd, ok5 := res[4].Data.(*proto.ColNullable[float64])
		if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
			return fmt.Errorf("unexpected column types")
		}
		for i := range county.Pos {
			out[indicatorKey{county.Row(i), int32((*month)[i]), id.Row(i)}] =
				[2]string{nullableValue(value, i), nullableValue(ytd, i)}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read stored indicators of %s/%d: %w", province, year, err)
	}
	return out, nil
}

func nullableValue(c *proto.ColNullable[float64], i int) string {
	if c.Nulls[i] != 0 {
		return "null"
	}
	return storedValue(c.Values.Row(i))
}

// changedIndicators returns the indicators of inds that differ from the
// stored ones (or are not stored).
func (db *DB) changedIndicators(ctx context.Context, province string, inds []bw.Indicator) ([]bw.Indicator, error) {
	stored := map[int]map[indicatorKey][2]string{}
	var out []bw.Indicator
	for _, in := range inds {
		y := in.Month.Year()
		if stored[y] == nil {
			s, err := db.storedIndicators(ctx, province, y)
			if err != nil {
				return nil, err
			}
			stored[y] = s
		}
		old, ok := stored[y][indicatorKey{in.CountyCode, civilDay(in.Month), in.ID}]
		if !ok || old != [2]string{storedValue(in.Value), storedValue(in.YTD)} {
			out = append(out, in)
		}
	}
	return out, nil
}

// storedResult is an active rule result as stored: its month and its
// content rendered for comparison.
type storedResult struct {
	v       bw.Violation
	content string
}

// resultContent renders what a stored rule result holds besides its key.
func resultContent(sev string, month int32, issuer, issuerName string, value, limit float64, ids []string, citation string) string {
	return strings.Join([]string{sev, strconv.Itoa(int(month)), issuer, issuerName, storedValue(finite(value)),
		storedValue(finite(limit)), strings.Join(ids, "\x00"), citation}, "\x01")
}

// storedResults returns the active rule results of a province-year by key.
func (db *DB) storedResults(ctx context.Context, province string, year int) (map[resultKey]storedResult, error) {
	out := map[resultKey]storedResult{}
	// active is filtered after FINAL: a newer version may have switched a
	// result off.
	q := `SELECT county_code, rule_id, scope, toString(severity), toUInt32(month), issuer_code, issuer_name, value,
` + "`limit`" + `, event_ids, citation FROM (SELECT * FROM rule_results FINAL
WHERE province_code = ` + quoteString(province) + ` AND year = ` + strconv.Itoa(year) + `) WHERE active = 1`
	err := db.http.queryNative(ctx, q, func(res proto.Results) error {
		str := func(i int) *proto.ColStr { c, _ := res[i].Data.(*proto.ColStr); return c }
		county, rule, scope, sev, issuer, name, citation := str(0), str(1), str(2), str(3), str(5), str(6), str(10)
		month, ok1 := res[4].Data.(*proto.ColUInt32)
		value, ok2 := res[7].Data.(*proto.ColFloat64)
		limit, ok3 := res[8].Data.(*proto.ColFloat64)
		ids, ok4 := res[9].Data.(*proto.ColArr[string])
		if county == nil || rule == nil || scope == nil || sev == nil || issuer == nil || name == nil || citation == nil ||
			!ok1 || !ok2 || !ok3 || !ok4 {
			return fmt.Errorf("unexpected column types")
		}
		for i := range county.Pos {
			k := resultKey{county.Row(i), rule.Row(i), scope.Row(i)}
			m := int32((*month)[i])
			out[k] = storedResult{
				v: bw.Violation{CountyCode: k.county, RuleID: k.rule, Scope: k.scope, Severity: bw.Severity(sev.Row(i)),
					Month: CivilDate(time.Unix(int64(m)*86400, 0).UTC(), db.loc)},
				content: resultContent(sev.Row(i), m, issuer.Row(i), name.Row(i), (*value)[i], (*limit)[i], ids.Row(i), citation.Row(i)),
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read stored rule results of %s/%d: %w", province, year, err)
	}
	return out, nil
}
