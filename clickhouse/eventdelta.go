package clickhouse

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ClickHouse/ch-go/proto"

	"github.com/burdenwatch/burdenwatch/columnar"
)

// EventDelta is how a province-year's deduplicated events changed since
// an ingest sequence (ReadEventsSince): every event with a delivery above
// the sequence, anywhere, is touched; of the touched events, Events holds
// the winning deliveries that lie in the province-year. Replacing the
// touched events of an earlier ReadEvents result by Events gives what
// ReadEvents would read now.
type EventDelta struct {
	Events *columnar.Events
	// Touched are the ids of every delivery in the province-year of a
	// touched event, winning or not: the ids an earlier result may hold
	// that Events supersedes (or that lost to a delivery elsewhere).
	Touched map[string]struct{}
}

// touchedFilter selects the rows of the events delivered with an ingest
// sequence above after (any province-year).
func touchedFilter(after uint64) string {
	return "event_id IN (SELECT event_id FROM events PREWHERE ingest_seq > " + strconv.FormatUint(after, 10) + ")"
}

// ReadEventsSince reads the change to the deduplicated events of a
// province-year since ingest sequence after: the deliveries in the
// province-year of every event that has a delivery above after, keeping
// the winners (highest version over the whole table, one delivery of it)
// exactly as ReadEvents does. It reads the touched events only, not the
// year.
func (db *DB) ReadEventsSince(ctx context.Context, province string, year int, after uint64) (*EventDelta, error) {
	versions, err := db.touchedDuplicates(ctx, after)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read changed events of %s/%d: versions: %w", province, year, err)
	}
	return db.readSince(ctx, province, year, after, versions)
}

// touchedDuplicates returns the winning version of every event that has
// a delivery above after and more than one delivery.
func (db *DB) touchedDuplicates(ctx context.Context, after uint64) (map[string]uint64, error) {
	versions := map[string]uint64{}
	q := `SELECT event_id, max(version) FROM events PREWHERE ` + touchedFilter(after) + ` GROUP BY event_id HAVING count() > 1`
	err := db.http.queryNative(ctx, q, func(res proto.Results) error {
		ids, ok1 := res[0].Data.(*stringColumn)
		vs, ok2 := res[1].Data.(*proto.ColUInt64)
		if !ok1 || !ok2 {
			return fmt.Errorf("duplicates: unexpected column types %s, %s", res[0].Data.Type(), res[1].Data.Type())
		}
		for i, v := range *vs {
			versions[ids.Row(i)] = v
		}
		return nil
	})
	return versions, err
}

// winnersOf is the winners map of a read (which marks them as taken).
func winnersOf(versions map[string]uint64) *winnerSet {
	out := make(map[string]winner, len(versions))
	for id, v := range versions {
		out[id] = winner{version: v}
	}
	return newWinnerSet(out)
}

// Touched is what the deliveries above an ingest sequence touched
// (TouchedSince): the province-years of every delivery of the events
// delivered since — a revision may move an event to another month, year
// or province — and the winning versions of those delivered more than
// once.
type Touched struct {
	After         uint64
	ProvinceYears []ProvinceYear // sorted
	versions      map[string]uint64
}

// TouchedSince finds what ChangedProvinceYears and the duplicates query
// of ReadEventsSince find, with one scan of the table's event ids instead
// of one for each: ClickHouse 18.16 reads every event_id for an
// `event_id IN (subquery)` (it does not use the primary key for it), and
// a run did it once for the province-years and once more for each
// province-year it recomputed. The duplicates come first; the deliveries
// of the touched events are then the rows above after and the other
// deliveries of the duplicates, which the province-years are read from
// (deliveriesFilter).
func (db *DB) TouchedSince(ctx context.Context, after uint64) (*Touched, error) {
	versions, err := db.touchedDuplicates(ctx, after)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read events touched since %d: versions: %w", after, err)
	}
	t := &Touched{After: after, versions: versions}
	q := `SELECT DISTINCT province_code, toYear(occurred_at) FROM events PREWHERE ` +
		deliveriesFilter(after, touchedFilter(after), versions)
	if t.ProvinceYears, err = db.provinceYears(ctx, q); err != nil {
		return nil, fmt.Errorf("clickhouse: read events touched since %d: %w", after, err)
	}
	return t, nil
}

// ReadTouched is ReadEventsSince(ctx, province, year, t.After) with the
// duplicates t found: the touched rows are read, the table is not scanned
// again.
func (db *DB) ReadTouched(ctx context.Context, t *Touched, province string, year int) (*EventDelta, error) {
	return db.readSince(ctx, province, year, t.After, t.versions)
}

// readSince reads the touched deliveries of a province-year, keeping the
// winners: the delivery of the winning version of each duplicated touched
// event (versions), every delivery of the others.
func (db *DB) readSince(ctx context.Context, province string, year int, after uint64, versions map[string]uint64) (*EventDelta, error) {
	d := &EventDelta{Events: &columnar.Events{Province: province, Year: year}, Touched: map[string]struct{}{}}
	winners := winnersOf(versions) // this read's own: it marks them taken
	q := deltaQuery(deliveriesFilter(after, touchedFilter(after), versions), provinceYear(province, year))
	err := db.http.queryNative(ctx, q, func(res proto.Results) error {
		if ids, ok := res[0].Data.(*stringColumn); ok {
			for i := range ids.Rows() {
				if _, seen := d.Touched[string(ids.RowBytes(i))]; !seen {
					d.Touched[ids.Row(i)] = struct{}{} // Row copies
				}
			}
		}
		rec, err := eventRecord(res, winners)
		if err == nil && rec != nil {
			d.Events.Records = append(d.Events.Records, rec)
		}
		return err
	})
	if err != nil {
		d.Events.Release()
		return nil, fmt.Errorf("clickhouse: read changed events of %s/%d: %w", province, year, err)
	}
	return d, nil
}

// maxListedDuplicates is the largest number of duplicated touched events
// whose ids ReadEventsSince lists in its queries rather than selecting
// them again with a subquery.
var maxListedDuplicates = 10000

// deliveriesFilter selects every delivery of the touched events. A
// touched event delivered once has its one delivery above after; the
// earlier deliveries of the others are those of the events delivered more
// than once (dups, by id), listed when they are few.
func deliveriesFilter(after uint64, touched string, dups map[string]uint64) string {
	seq := "ingest_seq > " + strconv.FormatUint(after, 10)
	switch {
	case len(dups) == 0:
		return seq
	case len(dups) > maxListedDuplicates:
		return touched
	}
	ids := make([]string, 0, len(dups))
	for id := range dups {
		ids = append(ids, quoteString(id))
	}
	sort.Strings(ids)
	return "(" + seq + " OR event_id IN (" + strings.Join(ids, ", ") + "))"
}

// deltaQuery selects the touched deliveries of a province-year, every
// kind at once (one read of the newest parts instead of one a kind), with
// every Schema column (eventRecord masks the other kinds' payloads). The
// touched deliveries are the PREWHERE: the ingest sequence (and event_id,
// the sorting key) is read for every row, the other columns only where a
// touched delivery is, which is mostly in the newest parts.
func deltaQuery(deliveries, filter string) string {
	return "SELECT " + schemaColumns() + " FROM events PREWHERE " + deliveries + " WHERE " + filter
}
