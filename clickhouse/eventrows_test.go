package clickhouse_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/internal/testenv"
)

// fullEvents are events of every kind with every field set, veto lists of
// none, one and several items, and text outside ASCII.
func fullEvents(t *testing.T) []bw.Event {
	occurred, end := at(t, "2025-03-01T09:30:00+08:00"), at(t, "2025-03-02T17:00:00+08:00")
	issuer := bw.Issuer{Code: "HN-ZFB", Name: "省政府办公厅", Level: "province", Kind: "government"}
	base := func(id string, kind bw.Kind) bw.Event {
		return bw.Event{ID: id, Revision: 2, Kind: kind, OccurredAt: occurred, CountyCode: "430121",
			UnitCode: "430121100", TargetLevel: bw.LevelTownship, Issuer: issuer, Source: "oa"}
	}
	insp := base("I-1", bw.KindInspection)
	insp.Inspection = bw.Inspection{Category: "督查", PlanCode: "HN-2025-001", InspectionCode: "DC43-2025-0001",
		Approved: true, Mode: "unannounced", OnSite: true, EndAt: end, TeamSize: 5, Accompanying: 3,
		PrincipalAccompanied: true, MaterialsRequested: 7, ComprehensiveMaterial: true, SampledUnits: 4,
		TotalUnits: 9, DeploymentDocID: "D-1", Topic: "安全生产", AccountabilityDemanded: true}
	meet := base("M-1", bw.KindMeeting)
	meet.Meeting = bw.Meeting{Title: "全省视频会议", DurationMinutes: 95, Attendees: 120, Format: "video", Scale: "province", CascadeRequired: true}
	doc0 := base("D-0", bw.KindDocument)
	doc0.Document = bw.Document{DocNumber: "湘政办发〔2025〕1号", DocType: "notice", Pages: 12, RequiresSupportingDocs: true, RequiresUpwardReport: true, Pledges: 2}
	doc1 := base("D-1", bw.KindDocument)
	doc1.Document = bw.Document{DocType: "plan", Pages: 3, VetoItems: []string{"安全生产"}}
	doc3 := base("D-3", bw.KindDocument)
	doc3.Document = bw.Document{DocType: "plan", Pages: 1, VetoItems: []string{"a", "", "环境'保护\\"}}
	form := base("F-1", bw.KindDataReport)
	form.DataReport = bw.DataReport{FormID: "HN-F-9", Title: "表格", Fields: 40, DuplicateFields: 12, EstimatedMinutes: 30,
		Frequency: "monthly", ViaPlatform: true, ApprovedSurvey: true}
	return []bw.Event{insp, meet, doc0, doc1, doc3, form}
}

// TestEventRowsRoundTrip inserts events with every column set, in two
// Native blocks over HTTP, and reads every column back as text: each value
// is what the rows' own Go columns hold (the values clickhouse-go was
// given before the Native buffers).
func TestEventRowsRoundTrip(t *testing.T) {
	db, _ := testenv.ClickHouse(t)
	evs := fullEvents(t)
	a, b := clickhouse.NewEventRows(2), &clickhouse.EventRows{}
	for i := range evs {
		r := a
		if i%2 == 1 {
			r = b
		}
		r.Append(&evs[i], uint64(i+1)<<32|7, clickhouse.Delivery{Topic: "burden.events", Partition: int32(i), Offset: int64(1000 + i)})
	}
	const seq = 424242
	if err := db.InsertEvents(context.Background(), []*clickhouse.EventRows{a, b}, seq); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]string{}
	for _, r := range []*clickhouse.EventRows{a, b} {
		var buf bytes.Buffer
		if err := r.WriteJSONEachRow(&buf, seq); err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(&buf)
		dec.UseNumber()
		for dec.More() {
			var row map[string]any
			if err := dec.Decode(&row); err != nil {
				t.Fatal(err)
			}
			want[row["event_id"].(string)] = texts(row)
		}
	}
	names := a.ColumnNames()
	exprs := make([]string, len(names))
	for i, n := range names {
		exprs[i] = "toString(`" + n + "`)"
		if n == "veto_items" {
			exprs[i] = "arrayStringConcat(veto_items, '|')"
		}
	}
	rows, err := db.Conn().Query(context.Background(), "SELECT "+strings.Join(exprs, ", ")+" FROM events ORDER BY event_id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	// And what the events say, spelled out for the columns most easily
	// mixed up.
	spelled := map[[2]string]string{
		{"I-1", "team_size"}: "5", {"I-1", "accompanying"}: "3", {"I-1", "materials_requested"}: "7",
		{"I-1", "sampled_units"}: "4", {"I-1", "total_units"}: "9", {"I-1", "end_at"}: "2025-03-02 17:00:00",
		{"I-1", "occurred_at"}: "2025-03-01 09:30:00", {"I-1", "kind"}: "inspection", {"I-1", "topic"}: "安全生产",
		{"I-1", "inspection_code"}: "DC43-2025-0001", {"I-1", "kafka_partition"}: "0", {"I-1", "kafka_offset"}: "1000",
		{"M-1", "duration_minutes"}: "95", {"M-1", "attendees"}: "120", {"M-1", "title"}: "全省视频会议",
		{"M-1", "cascade_required"}: "1", {"M-1", "approved"}: "0", {"M-1", "version"}: fmt.Sprint(uint64(2)<<32 | 7),
		{"D-0", "pages"}: "12", {"D-0", "pledges"}: "2", {"D-0", "veto_items"}: "", {"D-0", "doc_number"}: "湘政办发〔2025〕1号",
		{"D-1", "veto_items"}: "安全生产", {"D-3", "veto_items"}: "a||环境'保护\\", {"D-3", "pages"}: "1",
		{"F-1", "fields"}: "40", {"F-1", "duplicate_fields"}: "12", {"F-1", "estimated_minutes"}: "30",
		{"F-1", "kind"}: "data_report", {"F-1", "ingest_seq"}: "424242", {"F-1", "target_level"}: "township",
		{"F-1", "issuer_level"}: "province", {"F-1", "issuer_kind"}: "government", {"F-1", "province_code"}: "43",
	}
	got := 0
	for rows.Next() {
		vals := make([]string, len(names))
		dest := make([]any, len(names))
		for i := range vals {
			dest[i] = &vals[i]
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		got++
		w := want[vals[0]]
		for i, n := range names {
			if n != "ingested_at" && vals[i] != w[n] {
				t.Errorf("%s.%s = %q, want %q", vals[0], n, vals[i], w[n])
			}
			if v, ok := spelled[[2]string{vals[0], n}]; ok && vals[i] != v {
				t.Errorf("%s.%s = %q, the event says %q", vals[0], n, vals[i], v)
			}
		}
	}
	if got != len(evs) {
		t.Errorf("read %d events back, want %d", got, len(evs))
	}
}

// texts renders a JSONEachRow row as ClickHouse's toString would.
func texts(row map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range row {
		switch x := v.(type) {
		case []any:
			parts := make([]string, len(x))
			for i, p := range x {
				parts[i] = fmt.Sprint(p)
			}
			out[k] = strings.Join(parts, "|")
		case string:
			if x == "1970-01-01 08:00:00" { // the epoch in Asia/Shanghai: DateTime 0
				x = "0000-00-00 00:00:00"
			}
			out[k] = x
		default:
			out[k] = fmt.Sprint(x)
		}
	}
	return out
}
