package clickhouse

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	bw "github.com/burdenwatch/burdenwatch"
)

// InsertIndicators writes the indicators of one province that differ
// from the stored ones as a new version of their rows; NaN and infinite
// values are stored as NULL.
func (db *DB) InsertIndicators(ctx context.Context, province string, inds []bw.Indicator) error {
	inds, err := db.changedIndicators(ctx, province, inds)
	if err != nil {
		return err
	}
	return db.insertIndicators(ctx, province, inds)
}

// insertIndicators writes inds as a new version of their rows.
func (db *DB) insertIndicators(ctx context.Context, province string, inds []bw.Indicator) error {
	if len(inds) == 0 {
		return nil
	}
	n := len(inds)
	prov, county, id := make([]string, n), make([]string, n), make([]string, n)
	month, at := make([]time.Time, n), make([]time.Time, n)
	value, ytd := make([]*float64, n), make([]*float64, n)
	version := make([]uint64, n)
	now, v := time.Now(), uint64(time.Now().UnixNano())
	for i, ind := range inds {
		prov[i], county[i], id[i], month[i], at[i], version[i] = province, ind.CountyCode, ind.ID, ind.Month, now, v
		value[i], ytd[i] = nullable(ind.Value), nullable(ind.YTD)
	}
	return db.insertColumnsNative(ctx, "indicators", []column{
		{"province_code", prov}, {"county_code", county}, {"month", month}, {"indicator", id},
		{"value", value}, {"ytd", ytd}, {"computed_at", at}, {"version", version},
	})
}

func nullable(f float64) *float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

// ReplaceRuleResults makes vs the active rule results of one province-year
// for the given counties (all counties of the province when counties is
// empty): it writes vs with active = 1 and, for every result previously
// active there that vs no longer contains, a row with active = 0. Results
// stored exactly as in vs are not written again. All rows written get one
// new version, higher than any version written before. issuerNames
// maps issuer codes to names for the issuer_name column.
func (db *DB) ReplaceRuleResults(ctx context.Context, province string, year int, counties []string,
	vs []bw.Violation, issuerNames map[string]string) error {
	last, err := db.storedResults(ctx, province, year)
	if err != nil {
		return err
	}
	_, err = db.mergeRuleResults(ctx, province, year, last, counties, vs, issuerNames, false)
	return err
}

// lastResult is an active rule result as a write left it stored: the
// result and its issuer name, or only its key, severity, month and content
// hash (a result read back from the table).
type lastResult struct {
	v      bw.Violation // event ids sorted
	name   string
	hash   uint64
	hashed bool // only the hash of the content is known
}

// keptResult is v as kept after a write: its event ids sorted (ids).
func keptResult(v *bw.Violation, name string, ids []string) lastResult {
	l := lastResult{v: *v, name: name}
	l.v.EventIDs = ids
	return l
}

func compareLast(a, b lastResult) int { return bw.CompareViolations(&a.v, &b.v) }

// changedHash reports whether v (with issuer name name and its event ids
// sorted as ids) differs from old, what is stored under its key (nil:
// nothing), and returns v's content hash when it does. The hash is
// computed at most once: it is what tells for a result read back from the
// table (old.hashed), and what the written row carries.
func changedHash(old *lastResult, v *bw.Violation, name string, ids []string) (bool, uint64) {
	if old != nil && !old.hashed {
		if old.sameSorted(v, name, ids) {
			return false, 0
		}
		return true, contentHash(v, name, ids)
	}
	h := contentHash(v, name, ids)
	return old == nil || old.hash != h, h
}

// sameSorted reports whether v (with issuer name name and its event ids
// sorted as ids) would be stored exactly as l, a result kept from a write
// (not hashed), is: what comparing their content hashes tells, without
// hashing.
func (l *lastResult) sameSorted(v *bw.Violation, name string, ids []string) bool {
	o := &l.v
	if o.Severity != v.Severity || civilDay(o.Month) != civilDay(v.Month) || o.IssuerCode != v.IssuerCode ||
		l.name != name || math.Float64bits(finite(o.Value)) != math.Float64bits(finite(v.Value)) ||
		math.Float64bits(finite(o.Limit)) != math.Float64bits(finite(v.Limit)) || o.Citation != v.Citation ||
		len(o.EventIDs) != len(v.EventIDs) {
		return false
	}
	return sameSlice(o.EventIDs, ids) || slices.Equal(o.EventIDs, ids) // o's ids were kept sorted
}

// sameSlice reports whether a and b are the very same slice: one array,
// one length. WriteResults takes such event ids as unchanged (its callers
// do not rewrite ids they passed; rules.State never does).
func sameSlice(a, b []string) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// tombstone is the row that switches the result l off.
func (l *lastResult) tombstone() bw.Violation {
	return bw.Violation{CountyCode: l.v.CountyCode, RuleID: l.v.RuleID, Scope: l.v.Scope, Severity: l.v.Severity,
		Month: l.v.Month}
}

// mergeRuleResults is ReplaceRuleResults against last, the active results
// stored sorted by key: both lists are walked in key order, so that no
// key is hashed (a map of 1.48M keys of three strings took 3–4 s to fill
// and as long to probe). With keepNext it returns what is stored after
// the write; else nil (a one-shot replace keeps nothing).
func (db *DB) mergeRuleResults(ctx context.Context, province string, year int, last []lastResult,
	counties []string, vs []bw.Violation, issuerNames map[string]string, keepNext bool) ([]lastResult, error) {
	if !slices.IsSortedFunc(vs, func(a, b bw.Violation) int { return bw.CompareViolations(&a, &b) }) {
		vs = slices.Clone(vs)
		slices.SortStableFunc(vs, func(a, b bw.Violation) int { return bw.CompareViolations(&a, &b) })
	}
	rows, err := db.newResultWriter(ctx, province, year)
	if err != nil {
		return nil, err
	}
	keep := countySet(counties)
	var next []lastResult
	if keepNext {
		next = make([]lastResult, 0, len(vs))
	}
	if len(last) == 0 {
		rows.grow(len(vs)) // every result is written
	}
	i, j := 0, 0
	for i < len(last) || j < len(vs) {
		c := 0
		switch {
		case i == len(last):
			c = 1
		case j == len(vs):
			c = -1
		default:
			c = bw.CompareViolations(&last[i].v, &vs[j])
		}
		if c < 0 { // no longer produced
			if len(keep) == 0 || keep[last[i].v.CountyCode] {
				rows.add(last[i].tombstone())
			} else if keepNext {
				next = append(next, last[i])
			}
			i++
			continue
		}
		v := &vs[j]
		name := issuerNames[v.IssuerCode]
		ids := v.EventIDs
		if c > 0 || !sameSlice(last[i].v.EventIDs, ids) {
			ids = sortedIDs(ids) // once: each check walks every id
		}
		var old *lastResult
		if c == 0 {
			old = &last[i]
		}
		if changed, hash := changedHash(old, v, name, ids); changed {
			rows.addSorted(*v, name, 1, ids, hash)
		}
		if keepNext {
			next = append(next, keptResult(v, name, ids))
		}
		if c == 0 {
			i++
		}
		j++
	}
	if err := rows.close(); err != nil {
		return nil, err
	}
	return next, nil
}

// resultChunkRows and resultChunkIDs bound one insert of a write to
// rule_results: a write is sent in chunks of this many rows or event ids,
// up to resultWriters inserts side by side, while the rest is still being
// compared. One insert is one thread of the server: a full recompute of a
// large province-year (1.48M results, 13.5M evidence ids) took 11–14 s in
// one insert. A failed write may leave some chunks written; the run
// fails, its watermark stays, and the next run compares with what is
// stored and writes the rest. Variables for a test (SetResultChunks).
var resultChunkRows, resultChunkIDs = 200_000, 2_000_000

// resultWriters is the number of inserts of one write side by side.
const resultWriters = 4

// resultWriter is the rows of one write to rule_results, all of one
// version (above every version written before), sent in chunks as they
// are added.
type resultWriter struct {
	resultRows // the chunk being filled
	ctx        context.Context
	db         *DB
	inserts    *errgroup.Group
	expected   int // rows still expected (grow), to size each next chunk
}

// newResultWriter starts a write to rule_results.
func (db *DB) newResultWriter(ctx context.Context, province string, year int) (*resultWriter, error) {
	var maxVersion uint64
	if err := db.conn.QueryRow(ctx, "SELECT max(version) FROM rule_results").Scan(&maxVersion); err != nil {
		return nil, fmt.Errorf("clickhouse: read rule results version: %w", err)
	}
	version := max(uint64(time.Now().UnixNano()), maxVersion+1)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(resultWriters)
	return &resultWriter{resultRows: resultRows{province: province, year: uint16(year), version: version, now: time.Now()},
		ctx: gctx, db: db, inserts: g}, nil
}

// grow makes room for n more rows, at most a chunk, and sizes each next
// chunk for the rows still expected: a chunk grown by appending copied
// its 13 columns at every doubling.
func (w *resultWriter) grow(n int) {
	w.expected = n
	w.resultRows.grow(min(n, resultChunkRows))
}

// add adds a tombstone (resultRows.add), sending the chunk when full.
func (w *resultWriter) add(v bw.Violation) {
	w.resultRows.add(v)
	w.sendFull()
}

// addSorted adds a result (resultRows.addSorted), sending the chunk when
// full.
func (w *resultWriter) addSorted(v bw.Violation, issuerName string, active uint8, ids []string, hash uint64) {
	w.resultRows.addSorted(v, issuerName, active, ids, hash)
	w.sendFull()
}

func (w *resultWriter) sendFull() {
	if w.n >= resultChunkRows || w.ids >= resultChunkIDs {
		w.send()
	}
}

// send inserts the chunk filled so far, beside the others (waiting while
// resultWriters are running), and starts the next.
func (w *resultWriter) send() {
	if w.n == 0 {
		return
	}
	chunk := w.resultRows
	w.resultRows = resultRows{province: chunk.province, year: chunk.year, version: chunk.version, now: chunk.now}
	if w.expected = max(w.expected-chunk.n, 0); w.expected > 0 {
		w.resultRows.grow(min(w.expected, resultChunkRows))
	}
	w.inserts.Go(func() error {
		if err := w.db.insertColumnsNative(w.ctx, "rule_results", chunk.columns()); err != nil {
			return fmt.Errorf("replace rule results of %s/%d: %w", chunk.province, chunk.year, err)
		}
		return nil
	})
}

// close sends the last chunk and waits for every insert.
func (w *resultWriter) close() error {
	w.send()
	return w.inserts.Wait()
}

// countySet is the set of counties; empty means all.
func countySet(counties []string) map[string]bool {
	keep := make(map[string]bool, len(counties))
	for _, c := range counties {
		keep[c] = true
	}
	return keep
}

// sortedIDs returns ids sorted: ids itself when it is (the results of
// rules.Evaluate are), else a sorted copy.
func sortedIDs(ids []string) []string {
	if sort.StringsAreSorted(ids) {
		return ids
	}
	ids = append([]string{}, ids...)
	sort.Strings(ids)
	return ids
}

// escape quotes s for a single-quoted SQL string literal.
func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s)
}

// resultRows are rule_results rows of one write.
type resultRows struct {
	province string
	year     uint16
	version  uint64
	now      time.Time
	n        int

	rule, severity, county, issuer, issuerName, scope, citation []string
	month                                                       []time.Time
	value, limit                                                []float64
	eventIDs                                                    [][]string
	active                                                      []uint8
	hash                                                        []uint64 // contentHash; 0 for a tombstone
	ids                                                         int      // event ids in eventIDs
}

// grow makes room for n more rows.
func (r *resultRows) grow(n int) {
	r.rule, r.severity, r.county = slices.Grow(r.rule, n), slices.Grow(r.severity, n), slices.Grow(r.county, n)
	r.issuer, r.issuerName, r.scope = slices.Grow(r.issuer, n), slices.Grow(r.issuerName, n), slices.Grow(r.scope, n)
	r.citation, r.month = slices.Grow(r.citation, n), slices.Grow(r.month, n)
	r.value, r.limit = slices.Grow(r.value, n), slices.Grow(r.limit, n)
	r.eventIDs, r.active = slices.Grow(r.eventIDs, n), slices.Grow(r.active, n)
	r.hash = slices.Grow(r.hash, n)
}

// add adds a tombstone (lastResult.tombstone: no event ids, no hash): the
// row that switches a result off.
func (r *resultRows) add(v bw.Violation) {
	r.addSorted(v, "", 0, nil, 0)
}

// addSorted adds a result whose event ids are sorted, with its content
// hash (contentHash of v, issuerName and ids).
func (r *resultRows) addSorted(v bw.Violation, issuerName string, active uint8, ids []string, hash uint64) {
	r.n++
	r.rule, r.severity = append(r.rule, v.RuleID), append(r.severity, string(v.Severity))
	r.county, r.issuer = append(r.county, v.CountyCode), append(r.issuer, v.IssuerCode)
	r.issuerName, r.scope = append(r.issuerName, issuerName), append(r.scope, v.Scope)
	r.citation, r.month = append(r.citation, v.Citation), append(r.month, v.Month)
	r.value, r.limit = append(r.value, finite(v.Value)), append(r.limit, finite(v.Limit))
	r.eventIDs, r.active = append(r.eventIDs, ids), append(r.active, active)
	r.hash = append(r.hash, hash)
	r.ids += len(ids)
}

// finite stores NaN and infinities as 0: value and limit are not Nullable.
func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

func (r *resultRows) columns() []column {
	prov, years := make([]string, r.n), make([]uint16, r.n)
	at, versions := make([]time.Time, r.n), make([]uint64, r.n)
	for i := 0; i < r.n; i++ {
		prov[i], years[i], at[i], versions[i] = r.province, r.year, r.now, r.version
	}
	return []column{
		{"rule_id", r.rule}, {"severity", r.severity}, {"province_code", prov}, {"county_code", r.county},
		{"year", years}, {"month", r.month}, {"issuer_code", r.issuer}, {"issuer_name", r.issuerName},
		{"scope", r.scope}, {"value", r.value}, {"limit", r.limit}, {"event_ids", r.eventIDs},
		{"citation", r.citation}, {"active", r.active}, {"computed_at", at}, {"version", versions},
		{"content_hash", r.hash},
	}
}

// RuleResults returns the active rule results of a province-year, ordered
// by county, rule and scope.
func (db *DB) RuleResults(ctx context.Context, province string, year int) ([]bw.Violation, error) {
	var out []bw.Violation
	var v bw.Violation
	var sev string
	var month time.Time
	err := db.scanAll(ctx, "rule results", `SELECT rule_id, toString(severity), county_code, month, issuer_code,
scope, value, `+"`limit`"+`, event_ids, citation FROM rule_results FINAL
WHERE province_code = '`+escape(province)+`' AND year = `+fmt.Sprint(year)+` AND active = 1
ORDER BY county_code, rule_id, scope`,
		[]any{&v.RuleID, &sev, &v.CountyCode, &month, &v.IssuerCode, &v.Scope, &v.Value, &v.Limit, &v.EventIDs, &v.Citation},
		func() {
			v.Severity, v.Month = bw.Severity(sev), CivilDate(month, db.loc)
			out = append(out, v)
		})
	return out, err
}

// Indicators returns the current indicators of a province-year, ordered by
// county, month and indicator id; NULL values come back as NaN.
func (db *DB) Indicators(ctx context.Context, province string, year int) ([]bw.Indicator, error) {
	var out []bw.Indicator
	var ind bw.Indicator
	var month time.Time
	var value, ytd *float64
	err := db.scanAll(ctx, "indicators", `SELECT county_code, month, indicator, value, ytd FROM indicators FINAL
WHERE province_code = '`+escape(province)+`' AND toYear(month) = `+fmt.Sprint(year)+`
ORDER BY county_code, month, indicator`,
		[]any{&ind.CountyCode, &month, &ind.ID, &value, &ytd}, func() {
			ind.Month, ind.Value, ind.YTD = CivilDate(month, db.loc), orNaN(value), orNaN(ytd)
			out = append(out, ind)
		})
	return out, err
}

func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// Watermarks returns, by name, the ingest sequence up to which the
// transformer state of that name has computed: 0 for a name never set.
func (db *DB) Watermarks(ctx context.Context, names ...string) (map[string]uint64, error) {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "'" + escape(n) + "'"
	}
	out := make(map[string]uint64, len(names))
	for _, n := range names {
		out[n] = 0
	}
	rows, err := db.conn.Query(ctx, "SELECT name, max(watermark) FROM transform_state WHERE name IN ("+
		strings.Join(quoted, ", ")+") GROUP BY name")
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read watermarks %v: %w", names, err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var w uint64
		if err := rows.Scan(&name, &w); err != nil {
			return nil, fmt.Errorf("clickhouse: read watermarks %v: %w", names, err)
		}
		out[name] = w
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: read watermarks %v: %w", names, err)
	}
	return out, nil
}

// Watermark is Watermarks of one name.
func (db *DB) Watermark(ctx context.Context, name string) (uint64, error) {
	ws, err := db.Watermarks(ctx, name)
	return ws[name], err
}

// SetWatermarks records, in one insert (all of them or none), that the
// transformer states named have computed up to the ingest sequences
// given.
func (db *DB) SetWatermarks(ctx context.Context, ws map[string]uint64) error {
	names := make([]string, 0, len(ws))
	for n := range ws {
		names = append(names, n)
	}
	sort.Strings(names)
	values, at := make([]uint64, len(names)), make([]time.Time, len(names))
	for i, n := range names {
		values[i], at[i] = ws[n], time.Now()
	}
	return db.insertColumns(ctx, "transform_state", []column{
		{"name", names}, {"watermark", values}, {"updated_at", at},
	})
}

// IngestCounts returns the highest ingest sequence in the events table
// and, for each of afters, the number of event rows with a sequence above
// it, in one scan.
func (db *DB) IngestCounts(ctx context.Context, afters ...uint64) (top uint64, counts []uint64, err error) {
	exprs := make([]string, len(afters))
	counts = make([]uint64, len(afters))
	dest := []any{&top}
	for i, a := range afters {
		exprs[i] = "countIf(ingest_seq > " + strconv.FormatUint(a, 10) + ")"
		dest = append(dest, &counts[i])
	}
	q := "SELECT max(ingest_seq)"
	if len(exprs) > 0 {
		q += ", " + strings.Join(exprs, ", ")
	}
	if err = db.conn.QueryRow(ctx, q+" FROM events").Scan(dest...); err != nil {
		return 0, nil, fmt.Errorf("clickhouse: read ingest progress: %w", err)
	}
	return top, counts, nil
}

// ChangedProvinceYears returns the province-years of events ingested with a
// sequence above after, and of the earlier deliveries of those events (a
// revision may move an event to another month, year or province).
func (db *DB) ChangedProvinceYears(ctx context.Context, after uint64) ([]ProvinceYear, error) {
	a := fmt.Sprint(after)
	return db.provinceYears(ctx, `SELECT DISTINCT province_code, toYear(occurred_at) FROM events
WHERE ingest_seq > `+a+` OR event_id IN (SELECT event_id FROM events WHERE ingest_seq > `+a+`)`)
}

// AllProvinceYears returns every province-year that has events.
func (db *DB) AllProvinceYears(ctx context.Context) ([]ProvinceYear, error) {
	return db.provinceYears(ctx, "SELECT DISTINCT province_code, toYear(occurred_at) FROM events")
}

func (db *DB) provinceYears(ctx context.Context, query string) ([]ProvinceYear, error) {
	var out []ProvinceYear
	var p string
	var y uint16
	err := db.scanAll(ctx, "province-years", query, []any{&p, &y}, func() {
		out = append(out, ProvinceYear{Province: p, Year: int(y)})
	})
	sort.Slice(out, func(i, j int) bool {
		return out[i].Province < out[j].Province || (out[i].Province == out[j].Province && out[i].Year < out[j].Year)
	})
	return out, err
}

// RecomputeRequests returns the recompute requests queued with a sequence
// above after (Province "" and Year 0 mean all), and the highest sequence.
func (db *DB) RecomputeRequests(ctx context.Context, after uint64) ([]ProvinceYear, uint64, error) {
	var top uint64
	if err := db.conn.QueryRow(ctx, "SELECT max(seq) FROM recompute_requests").Scan(&top); err != nil {
		return nil, 0, fmt.Errorf("clickhouse: read recompute requests: %w", err)
	}
	out, err := db.provinceYears(ctx, "SELECT DISTINCT province_code, year FROM recompute_requests WHERE seq > "+fmt.Sprint(after))
	return out, top, err
}

// RequestRecompute queues province-years for the transformer (Province ""
// and Year 0 mean all).
func (db *DB) RequestRecompute(ctx context.Context, pys []ProvinceYear, reason string) error {
	return db.requestRecompute(ctx, pys, reason)
}

// DocumentTimes returns occurred_at of the document events among ids that
// exist (latest revision), in Asia/Shanghai.
func (db *DB) DocumentTimes(ctx context.Context, ids []string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	if len(ids) == 0 {
		return out, nil
	}
	quoted := make([]string, len(ids))
	for i, id := range ids {
		quoted[i] = "'" + escape(id) + "'"
	}
	for start := 0; start < len(quoted); start += 1000 {
		chunk := quoted[start:min(start+1000, len(quoted))]
		if err := db.documentTimes(ctx, chunk, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// documentTimes reads the documents among the quoted ids into out. The
// kind filter is outside FINAL so that only the latest revision counts.
func (db *DB) documentTimes(ctx context.Context, quoted []string, out map[string]time.Time) error {
	var id string
	var at time.Time
	return db.scanAll(ctx, "deployment documents", `SELECT event_id, occurred_at FROM (
SELECT event_id, occurred_at, kind FROM events FINAL WHERE event_id IN (`+strings.Join(quoted, ", ")+`))
WHERE kind = 'document'`,
		[]any{&id, &at}, func() { out[id] = at.In(db.loc) })
}
