package clickhouse_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/columnar"
	"github.com/burdenwatch/burdenwatch/internal/testenv"
)

// TestReadEventsSince reads the change after a second batch that revises
// an event out of the year, redelivers one, adds one and delivers a stale
// revision of another: the touched ids are every delivery in the
// province-year of an event delivered since, and the events are their
// winners there. Both forms of the query (duplicates listed, duplicates
// selected again) give the same.
func TestReadEventsSince(t *testing.T) {
	for _, listed := range []int{10000, 0} {
		restore := clickhouse.SetMaxListedDuplicates(listed)
		db, _ := testenv.ClickHouse(t)
		a0 := document("a", 0, at(t, "2025-03-01T10:00:00+08:00"), "430102")
		a1 := document("a", 1, at(t, "2024-11-01T10:00:00+08:00"), "430102") // out of 2025
		b := document("b", 0, at(t, "2025-04-01T10:00:00+08:00"), "430102")  // delivered again
		c := document("c", 0, at(t, "2025-05-01T10:00:00+08:00"), "430102")  // new
		d0 := document("d", 0, at(t, "2025-06-01T10:00:00+08:00"), "430102")
		d1 := document("d", 1, at(t, "2025-07-01T10:00:00+08:00"), "430102")
		e := document("e", 0, at(t, "2025-08-01T10:00:00+08:00"), "430102") // untouched
		insert(t, db, a0, b, d1, e)
		after := uint64(time.Now().UnixNano())
		insert(t, db, a1, b, c, d0) // d0: a stale revision, loses to d1

		tt, err := db.TouchedSince(context.Background(), after)
		if err != nil {
			t.Fatal(err)
		}
		changed, err := db.ChangedProvinceYears(context.Background(), after)
		if err != nil {
			t.Fatal(err)
		}
		if want := []clickhouse.ProvinceYear{{Province: "43", Year: 2024}, {Province: "43", Year: 2025}}; !slices.Equal(tt.ProvinceYears, want) || !slices.Equal(changed, want) {
			t.Errorf("touched province-years %v, changed %v; want %v", tt.ProvinceYears, changed, want)
		}
		// Both reads of the change: with its own duplicates query, and with
		// the duplicates TouchedSince found.
		read := map[string]func(int) (*clickhouse.EventDelta, error){
			"ReadEventsSince": func(year int) (*clickhouse.EventDelta, error) {
				return db.ReadEventsSince(context.Background(), "43", year, after)
			},
			"ReadTouched": func(year int) (*clickhouse.EventDelta, error) {
				return db.ReadTouched(context.Background(), tt, "43", year)
			},
		}
		check := func(year int, wantTouched, wantEvents []string) {
			t.Helper()
			for name, f := range read {
				checkDelta(t, fmt.Sprintf("%s, %d listed", name, listed), f, year, wantTouched, wantEvents)
			}
		}
		check(2025, []string{"a", "b", "c", "d"}, []string{"b", "c", "d"})
		check(2024, []string{"a"}, []string{"a"})
		restore()
	}
}

// checkDelta reads the change of year with f and compares its touched
// ids and events with the wanted ones.
func checkDelta(t *testing.T, name string, f func(int) (*clickhouse.EventDelta, error), year int, wantTouched, wantEvents []string) {
	t.Helper()
	d, err := f(year)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Events.Release()
	var touched, events []string
	for id := range d.Touched {
		touched = append(touched, id)
	}
	for _, rec := range d.Events.Records {
		ids := rec.Column(columnar.ColEventID).(*array.String)
		for i := 0; i < ids.Len(); i++ {
			events = append(events, ids.Value(i))
		}
	}
	sort.Strings(touched)
	sort.Strings(events)
	if !slices.Equal(touched, wantTouched) || !slices.Equal(events, wantEvents) {
		t.Errorf("%s %d: touched %v, events %v; want %v, %v", name, year, touched, events, wantTouched, wantEvents)
	}
}

// TestReadEventsSinceMatchesReadEvents: the change read with every kind
// in one query holds, column by column, what ReadEvents reads of the same
// events — the kind of each row, its own payload, and the zero values of
// the other kinds' payloads even where a row stores something there.
func TestReadEventsSinceMatchesReadEvents(t *testing.T) {
	db, _ := testenv.ClickHouse(t)
	insert(t, db, fullEvents(t)...)
	// A meeting row with an inspection's and a document's payload set, as
	// no ingest writes it: both reads must leave them zero.
	if err := db.Exec(context.Background(), `INSERT INTO events (event_id, kind, occurred_at, province_code, county_code,
 bearing_unit, target_level, issuer_code, category, approved, pages, veto_items, duration_minutes, ingest_seq)
 SELECT 'M-9', 'meeting', toDateTime('2025-03-05 10:00:00', 'Asia/Shanghai'), '43', '430121', '430121', 'county', 'HN-A',
 'special', 1, 7, ['安全生产'], 45, 1`); err != nil {
		t.Fatal(err)
	}
	full, err := db.ReadEvents(context.Background(), "43", 2025)
	if err != nil {
		t.Fatal(err)
	}
	defer full.Release()
	d, err := db.ReadEventsSince(context.Background(), "43", 2025, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Events.Release()
	want, got := rowTexts(full), rowTexts(d.Events)
	if len(want) != 7 {
		t.Fatalf("ReadEvents read %d events, want 7", len(want))
	}
	// Both reads share the masking: check the stored meeting against its
	// zeros, not only one read against the other.
	for name, read := range map[string]map[string]string{"ReadEvents": want, "ReadEventsSince": got} {
		for _, field := range []string{"category= ", "approved=false ", "pages=0 ", "veto_items=[] ", "duration_minutes=45 "} {
			if !strings.Contains(read["M-9"]+" ", " "+field) {
				t.Errorf("%s: meeting M-9 lacks %q (other kinds' payloads zero, its own kept): %s", name, field, read["M-9"])
			}
		}
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("event %s:\n since %s\n full  %s", id, got[id], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("ReadEventsSince read %d events, want %d", len(got), len(want))
	}
}

// rowTexts is every row of ev as text, column by column, by event id.
func rowTexts(ev *columnar.Events) map[string]string {
	out := map[string]string{}
	for _, rec := range ev.Records {
		ids := rec.Column(columnar.ColEventID).(*array.String)
		for i := 0; i < ids.Len(); i++ {
			var row []string
			for c := 0; c < int(rec.NumCols()); c++ {
				row = append(row, rec.ColumnName(c)+"="+rec.Column(c).ValueStr(i))
			}
			out[ids.Value(i)] = strings.Join(row, " ")
		}
	}
	return out
}
