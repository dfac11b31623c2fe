package clickhouse_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/array"
	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/columnar"
	"github.com/burdenwatch/burdenwatch/internal/testenv"
)

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v.In(bw.Location())
}

func document(id string, rev uint32, occurred time.Time, county string) bw.Event {
	return bw.Event{ID: id, Revision: rev, Kind: bw.KindDocument, OccurredAt: occurred, CountyCode: county,
		TargetLevel: bw.LevelCounty, Issuer: bw.Issuer{Code: "HN-A", Name: "省甲厅", Level: "province", Kind: "department"},
		Document: bw.Document{DocType: "notice", Pages: 3, VetoItems: []string{"安全生产", "x"}}}
}

func insert(t *testing.T, db *clickhouse.DB, evs ...bw.Event) {
	t.Helper()
	rows := &clickhouse.EventRows{}
	for i := range evs {
		rows.Append(&evs[i], bw.Version(evs[i].Revision, []byte(fmt.Sprintf("%+v", evs[i]))), clickhouse.Delivery{})
	}
	if err := db.InsertEvents(context.Background(), []*clickhouse.EventRows{rows}, uint64(time.Now().UnixNano())); err != nil {
		t.Fatal(err)
	}
}

// readRow is what the test checks of one event read back.
type readRow struct {
	id               string
	month, weekday   uint8
	day              int32
	veto             int
	occurredUnixSecs int64
}

func readAll(t *testing.T, db *clickhouse.DB, province string, year int) map[string]readRow {
	t.Helper()
	ev, err := db.ReadEvents(context.Background(), province, year)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Release()
	out := map[string]readRow{}
	for _, rec := range ev.Records {
		if !rec.Schema().Equal(columnar.Schema) {
			t.Fatalf("schema %v", rec.Schema())
		}
		ids := rec.Column(columnar.ColEventID).(*array.String)
		veto := rec.Column(columnar.ColVetoItems).(*array.List)
		for i := 0; i < int(rec.NumRows()); i++ {
			if _, dup := out[ids.Value(i)]; dup {
				t.Errorf("event %s read twice", ids.Value(i))
			}
			s, e := veto.ValueOffsets(i)
			out[ids.Value(i)] = readRow{id: ids.Value(i),
				month:            rec.Column(columnar.ColMonth).(*array.Uint8).Value(i),
				weekday:          rec.Column(columnar.ColWeekday).(*array.Uint8).Value(i),
				day:              rec.Column(columnar.ColDay).(*array.Int32).Value(i),
				veto:             int(e - s),
				occurredUnixSecs: int64(rec.Column(columnar.ColOccurredAt).(*array.Timestamp).Value(i)),
			}
		}
	}
	return out
}

func TestReadDeduplicatesAcrossPartitions(t *testing.T) {
	db, _ := testenv.ClickHouse(t)
	// a: 23:30 on 31 January in Shanghai stays in January; its revision 1
	// moves it to March (another partition).
	a0 := document("a", 0, at(t, "2025-01-31T23:30:00+08:00"), "430102")
	a1 := document("a", 1, at(t, "2025-03-03T10:00:00+08:00"), "430102")
	// b: written in UTC, lands on 1 February in Shanghai; delivered twice.
	b := document("b", 0, at(t, "2025-01-31T16:30:00Z"), "430102")
	// c: revision 1 moves it from December 2024 into January 2025.
	c0 := document("c", 0, at(t, "2024-12-31T10:00:00+08:00"), "430102")
	c1 := document("c", 1, at(t, "2025-01-02T10:00:00+08:00"), "430102")
	// d: revision 1 moves it out of 2025 into 2024; the newer revision is
	// inserted first.
	d1 := document("d", 1, at(t, "2024-06-01T10:00:00+08:00"), "430102")
	d0 := document("d", 0, at(t, "2025-06-01T10:00:00+08:00"), "430102")
	// e: another province.
	e := document("e", 0, at(t, "2025-01-05T10:00:00+08:00"), "330102")
	insert(t, db, a0, b, c0, d1, e)
	insert(t, db, a1, b, c1, d0)

	got := readAll(t, db, "43", 2025)
	want := map[string]readRow{
		// 2025-03-03 is a Monday, day 20150 since 1970-01-01.
		"a": {id: "a", month: 3, weekday: 1, day: 20150, veto: 2, occurredUnixSecs: a1.OccurredAt.Unix()},
		// 2025-02-01 is a Saturday, day 20120.
		"b": {id: "b", month: 2, weekday: 6, day: 20120, veto: 2, occurredUnixSecs: b.OccurredAt.Unix()},
		// 2025-01-02 is a Thursday, day 20090.
		"c": {id: "c", month: 1, weekday: 4, day: 20090, veto: 2, occurredUnixSecs: c1.OccurredAt.Unix()},
	}
	if len(got) != len(want) {
		t.Errorf("read %d events, want %d: %v", len(got), len(want), got)
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("event %s: got %+v, want %+v", id, got[id], w)
		}
	}
	if got := readAll(t, db, "43", 2024); len(got) != 1 || got["d"].month != 6 {
		t.Errorf("2024: got %v, want only d in June", got)
	}
}

func TestReadBatches(t *testing.T) {
	db, _ := testenv.ClickHouse(t)
	n := columnar.BatchRows + 10
	rows := &clickhouse.EventRows{}
	for i := 0; i < n; i++ {
		ev := document(fmt.Sprintf("ev-%06d", i), 0, at(t, "2025-04-01T08:00:00+08:00"), "430102")
		rows.Append(&ev, 1, clickhouse.Delivery{})
	}
	if err := db.InsertEvents(context.Background(), []*clickhouse.EventRows{rows}, 1); err != nil {
		t.Fatal(err)
	}
	ev, err := db.ReadEvents(context.Background(), "43", 2025)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Release()
	if ev.Len() != n || len(ev.Records) < 2 {
		t.Errorf("read %d events in %d batches, want %d in at least 2", ev.Len(), len(ev.Records), n)
	}
	for i, rec := range ev.Records {
		if rec.NumRows() > columnar.BatchRows {
			t.Errorf("batch %d: %d rows, want at most %d", i, rec.NumRows(), columnar.BatchRows)
		}
	}
}
