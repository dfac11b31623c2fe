package export

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// insertLive writes alerts (one revised: its month moves from March to
// April in a newer version) and scans (one delivered twice) for 43 and 33.
func (fx *fixture) insertLive(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	b, err := fx.db.Conn().PrepareBatch(ctx, "INSERT INTO alerts (alert_id, level, province_code, county_code, year,"+
		" scope, value, `limit`, projected, month, first_seen, version)")
	if err != nil {
		t.Fatal(err)
	}
	seen := time.Date(2025, 3, 5, 8, 0, 0, 0, fx.loc)
	for _, a := range []struct {
		id, level, county, scope, month string
		value, limit                    float64
		version                         uint64
	}{
		{"430102/2025/documents.quota/notice", "notice", "430102", "documents.quota", "2025-03", 5, 6, 1},
		{"430102/2025/documents.quota/breach", "breach", "430102", "documents.quota", "2025-03", 7, 6, 1},
		{"430102/2025/documents.quota/breach", "breach", "430102", "documents.quota", "2025-04", 8, 6, 2},
		{"330106/2025/meetings.quota/notice", "notice", "330106", "meetings.quota", "2025-03", 10, 12, 1},
	} {
		if err := b.Append(a.id, a.level, a.county[:2], a.county, uint16(2025), a.scope, a.value, a.limit,
			a.value*4, monthDate(a.month), seen, a.version); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // the same scan registered twice
		b, err := fx.db.Conn().PrepareBatch(ctx, "INSERT INTO scans (scan_id, scanned_at, inspection_code, unit_code,"+
			" county_code, province_code, issuer_code, plan_code, verdict, reasons, accompanying, accompanying_names,"+
			" accompanying_roles, recorded_at)")
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []struct {
			id, code, county, verdict string
			at                        time.Time
			names, roles              []string
		}{
			{"s1", "HN-2025-0001", "430102", "accept", time.Date(2025, 3, 31, 23, 30, 0, 0, fx.loc), []string{"张三"}, []string{"乡长"}},
			{"s2", "HN-2025-0404", "430102", "may_refuse", time.Date(2025, 4, 1, 0, 30, 0, 0, fx.loc), []string{"李四", "王五"}, []string{"村支书", "会计"}},
			{"s3", "ZJ-2025-0001", "330106", "accept", time.Date(2025, 4, 2, 9, 0, 0, 0, fx.loc), nil, nil},
		} {
			reasons := []string{}
			if s.verdict == "may_refuse" {
				reasons = []string{"code_unknown"}
			}
			if err := b.Append(s.id, s.at, s.code, "", s.county, s.county[:2], "ISS43", "P1", s.verdict, reasons,
				uint32(len(s.names)), s.names, s.roles, s.at); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Send(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestExportAlertsAndScans(t *testing.T) {
	fx := newFixture(t)
	fx.insertLive(t)
	dir := filepath.Join(t.TempDir(), "live")
	fx.export(t, dir, Options{Province: "43"})

	alerts := map[string]alertRecord{}
	for _, rows := range readTable(t, dir, "alerts", func(r *alertRecord) string { return r.Month }) {
		for _, r := range rows {
			alerts[r.AlertID+"@"+r.Month] = r
		}
	}
	if len(alerts) != 2 || alerts["430102/2025/documents.quota/notice@2025-03"].Value != 5 ||
		alerts["430102/2025/documents.quota/breach@2025-04"].Value != 8 ||
		alerts["430102/2025/documents.quota/breach@2025-04"].Projected != 32 {
		t.Errorf("alerts of 43: %+v, want the notice in March and the revised breach in April", alerts)
	}
	scans := map[string]scanRecord{}
	for _, rows := range readTable(t, dir, "scans", func(r *scanRecord) string { return r.Month }) {
		for _, r := range rows {
			if _, dup := scans[r.ScanID]; dup {
				t.Errorf("scan %s exported twice", r.ScanID)
			}
			scans[r.ScanID] = r
		}
	}
	s1, s2 := scans["s1"], scans["s2"]
	if len(scans) != 2 || s1.Month != "2025-03" || s2.Month != "2025-04" || s2.Verdict != "may_refuse" ||
		!slices.Equal(s2.Reasons, []string{"code_unknown"}) || !slices.Equal(s2.Names, []string{"李四", "王五"}) ||
		!slices.Equal(s2.Roles, []string{"村支书", "会计"}) || s2.Accompanying != 2 {
		t.Errorf("scans of 43: %+v, want s1 in March (Shanghai) and s2 in April with its names", scans)
	}
}

func TestExportRedactScans(t *testing.T) {
	fx := newFixture(t)
	fx.insertLive(t)
	dir := filepath.Join(t.TempDir(), "open")
	fx.export(t, dir, Options{Redact: true})
	files, _ := filepath.Glob(filepath.Join(dir, "table=scans", "*", "*.parquet"))
	if len(files) != 2 {
		t.Fatalf("scans files %v, want one per month (March, April)", files)
	}
	for _, path := range files {
		f := openParquet(t, path)
		for _, c := range []string{"accompanying_names", "accompanying_roles"} {
			if _, ok := f.Schema().Lookup(c); ok {
				t.Errorf("%s still has column %s", path, c)
			}
		}
		if _, ok := f.Schema().Lookup("accompanying"); !ok {
			t.Errorf("%s lost the accompanying count", path)
		}
		raw, _ := os.ReadFile(path)
		for _, text := range []string{"张三", "李四", "王五", "乡长", "村支书"} {
			if bytes.Contains(raw, []byte(text)) {
				t.Errorf("%s contains redacted text %q", path, text)
			}
		}
	}
	dict, err := os.ReadFile(filepath.Join(dir, dictionaryMD))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"`scans.accompanying_names`", "`scans.accompanying_roles`"} {
		if !bytes.Contains(dict, []byte(c)) {
			t.Errorf("dictionary does not list %s as left out", c)
		}
	}
}

// eventFacts are the fields compared row by row between ClickHouse and the
// exported events.
type eventFacts struct {
	revision                        uint32
	kind, county, month             string
	occurred                        int64
	pages, team, duration, vetoItem uint64
}

func TestExportRowsMatchByEventID(t *testing.T) {
	fx := newFixture(t)
	dir := filepath.Join(t.TempDir(), "rows")
	fx.export(t, dir, Options{})
	rows, err := fx.db.Conn().Query(context.Background(), `SELECT event_id, revision, toString(kind), county_code,
formatDateTime(occurred_at, '%Y-%m'), toInt64(toUnixTimestamp(occurred_at)), toUInt64(pages), toUInt64(team_size),
toUInt64(duration_minutes), toUInt64(length(veto_items)) FROM events FINAL`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]eventFacts{}
	for rows.Next() {
		var id string
		var f eventFacts
		if err := rows.Scan(&id, &f.revision, &f.kind, &f.county, &f.month, &f.occurred, &f.pages, &f.team,
			&f.duration, &f.vetoItem); err != nil {
			t.Fatal(err)
		}
		want[id] = f
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	u := func(p *int64) uint64 {
		if p == nil {
			return 0
		}
		return uint64(*p)
	}
	got := 0
	for _, recs := range readTable(t, dir, "events", func(r *eventRecord) string { return r.Month }) {
		for _, r := range recs {
			got++
			g := eventFacts{revision: uint32(r.Revision), kind: r.Kind, county: r.CountyCode, month: r.Month,
				occurred: r.OccurredAt.Unix(), pages: u(r.Pages), team: u(r.TeamSize), duration: u(r.Duration),
				vetoItem: u(r.VetoItemCount)}
			if w, ok := want[r.EventID]; !ok || w != g {
				t.Errorf("event %s: exported %+v, ClickHouse %+v (present %v)", r.EventID, g, w, ok)
			}
		}
	}
	if got != len(want) || got == 0 {
		t.Errorf("exported %d events, ClickHouse has %d", got, len(want))
	}
}
