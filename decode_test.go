package burdenwatch

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)

func testDecoder(t testing.TB) *Decoder {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	d := NewDecoder(map[string]ObservationPoint{
		"430121": {ProvinceCode: "43", CountyCode: "430121", CountyName: "长沙县", DesignatedFrom: time.Date(2024, 1, 1, 0, 0, 0, 0, loc)},
	}, loc)
	d.Now = func() time.Time { return testNow }
	return d
}

func envelope(kind string, payload map[string]any) map[string]any {
	return map[string]any{
		"event_id": "ev-1", "revision": 0, "kind": kind, "occurred_at": "2025-05-31T23:30:00+08:00",
		"county_code": "430121", "unit_code": "430121100", "target_level": "township",
		"issuer": map[string]any{"code": "HN-YJT", "name": "省应急管理厅", "level": "province", "kind": "department"},
		"source": "无扰督查系统", "payload": payload,
	}
}

func inspectionPayload() map[string]any {
	return map[string]any{
		"category": "special", "plan_code": "HN-2025-YJT-01", "inspection_code": "HNDC-0001", "approved": true,
		"mode": "covert", "on_site": true, "end_at": "2025-06-01T17:00:00+08:00", "team_size": 4,
		"accompanying": 1, "principal_accompanied": false, "materials_requested": 2,
		"comprehensive_material": false, "sampled_units": 3, "total_units": 12, "deployment_doc_id": "doc-9",
		"topic": "防汛备汛", "accountability_demanded": false,
	}
}

func meetingPayload() map[string]any {
	return map[string]any{"title": "全省安全生产电视电话会议", "duration_minutes": 90, "attendees": 12,
		"format": "video", "scale": "large", "cascade_required": false}
}

func documentPayload() map[string]any {
	return map[string]any{"doc_number": "湘政办发〔2025〕12号", "doc_type": "policy", "pages": 14,
		"requires_supporting_docs": true, "requires_upward_report": false, "veto_items": []any{"安全生产"}, "pledges": 1}
}

func formPayload() map[string]any {
	return map[string]any{"form_id": "F-1", "title": "耕地保护情况统计表", "fields": 40, "duplicate_fields": 10,
		"estimated_minutes": 120, "frequency": "monthly", "via_platform": false, "approved_survey": true}
}

func marshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeValidKinds(t *testing.T) {
	d := testDecoder(t)
	for _, tc := range []struct {
		kind    string
		payload map[string]any
		check   func(t *testing.T, ev Event)
	}{
		{"inspection", inspectionPayload(), func(t *testing.T, ev Event) {
			in := ev.Inspection
			if in.Category != "special" || in.Mode != "covert" || !in.OnSite || in.TeamSize != 4 || in.SampledUnits != 3 ||
				in.TotalUnits != 12 || in.DeploymentDocID != "doc-9" || in.Topic != "防汛备汛" || in.EndAt.IsZero() {
				t.Errorf("inspection decoded wrong: %+v", in)
			}
		}},
		{"meeting", meetingPayload(), func(t *testing.T, ev Event) {
			if m := ev.Meeting; m.DurationMinutes != 90 || m.Attendees != 12 || m.Format != "video" || m.Scale != "large" {
				t.Errorf("meeting decoded wrong: %+v", m)
			}
		}},
		{"document", documentPayload(), func(t *testing.T, ev Event) {
			if doc := ev.Document; doc.Pages != 14 || !doc.RequiresSupportingDocs || len(doc.VetoItems) != 1 || doc.VetoItems[0] != "安全生产" || doc.Pledges != 1 {
				t.Errorf("document decoded wrong: %+v", doc)
			}
		}},
		{"data_report", formPayload(), func(t *testing.T, ev Event) {
			if f := ev.DataReport; f.FormID != "F-1" || f.Fields != 40 || f.DuplicateFields != 10 || f.ViaPlatform || !f.ApprovedSurvey {
				t.Errorf("form decoded wrong: %+v", f)
			}
		}},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			ev, err := d.Decode(marshal(t, envelope(tc.kind, tc.payload)))
			if err != nil {
				t.Fatalf("valid %s rejected: %v", tc.kind, err)
			}
			if ev.Kind != Kind(tc.kind) || ev.CountyCode != "430121" || ev.BearingUnit() != "430121100" ||
				ev.TargetLevel != LevelTownship || ev.Issuer.Name != "省应急管理厅" {
				t.Errorf("envelope decoded wrong: %+v", ev)
			}
			if ev.OccurredAt.Location().String() != "Asia/Shanghai" || ev.OccurredAt.Day() != 31 {
				t.Errorf("occurred_at = %v, want 31st in Asia/Shanghai", ev.OccurredAt)
			}
			tc.check(t, ev)
		})
	}
}

func TestDecodeUTCOffsetUsesShanghaiCalendar(t *testing.T) {
	m := envelope("meeting", meetingPayload())
	m["occurred_at"] = "2025-01-31T16:30:00Z"
	ev, err := testDecoder(t).Decode(marshal(t, m))
	if err != nil {
		t.Fatal(err)
	}
	if ev.OccurredAt.Month() != time.February || ev.OccurredAt.Day() != 1 {
		t.Errorf("2025-01-31T16:30Z should be 1 February in Shanghai, got %v", ev.OccurredAt)
	}
}

func TestDecodeOptionalDefaults(t *testing.T) {
	m := envelope("document", documentPayload())
	delete(m, "revision")
	delete(m, "unit_code")
	delete(m, "source")
	p := m["payload"].(map[string]any)
	delete(p, "veto_items")
	delete(p, "pledges")
	m["target_level"] = "county"
	ev, err := testDecoder(t).Decode(marshal(t, m))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Revision != 0 || ev.UnitCode != "" || ev.BearingUnit() != "430121" || ev.Document.VetoItems != nil || ev.Document.Pledges != 0 {
		t.Errorf("optional fields not defaulted: %+v", ev)
	}
}

// mutation changes a valid inspection message into an invalid one.
type mutation struct {
	name   string
	kind   string
	mutate func(m, p map[string]any)
	code   string
	field  string
}

func invalidCases() []mutation {
	set := func(k string, v any) func(m, p map[string]any) { return func(m, _ map[string]any) { m[k] = v } }
	del := func(k string) func(m, p map[string]any) { return func(m, _ map[string]any) { delete(m, k) } }
	pset := func(k string, v any) func(m, p map[string]any) { return func(_, p map[string]any) { p[k] = v } }
	pdel := func(k string) func(m, p map[string]any) { return func(_, p map[string]any) { delete(p, k) } }
	iset := func(k string, v any) func(m, p map[string]any) {
		return func(m, _ map[string]any) { m["issuer"].(map[string]any)[k] = v }
	}
	return []mutation{
		{"event_id missing", "inspection", del("event_id"), ReasonMissingField, "event_id"},
		{"event_id empty", "inspection", set("event_id", ""), ReasonMissingField, "event_id"},
		{"event_id bad char", "inspection", set("event_id", "ev 1"), ReasonBadValue, "event_id"},
		{"event_id too long", "inspection", set("event_id", strings.Repeat("a", 65)), ReasonBadValue, "event_id"},
		{"event_id number", "inspection", set("event_id", 12), ReasonWrongType, "event_id"},
		{"revision negative", "inspection", set("revision", -1), ReasonBadValue, "revision"},
		{"revision fraction", "inspection", set("revision", 1.5), ReasonWrongType, "revision"},
		{"revision string", "inspection", set("revision", "2"), ReasonWrongType, "revision"},
		{"kind missing", "inspection", del("kind"), ReasonMissingField, "kind"},
		{"kind unknown", "inspection", set("kind", "visit"), ReasonUnknownKind, "kind"},
		{"occurred_at missing", "inspection", del("occurred_at"), ReasonMissingField, "occurred_at"},
		{"occurred_at no offset", "inspection", set("occurred_at", "2025-05-31T23:30:00"), ReasonBadTimestamp, "occurred_at"},
		{"occurred_at garbage", "inspection", set("occurred_at", "yesterday"), ReasonBadTimestamp, "occurred_at"},
		{"occurred_at future", "inspection", set("occurred_at", "2025-06-16T20:00:01Z"), ReasonFutureTime, "occurred_at"},
		{"county_code missing", "inspection", del("county_code"), ReasonMissingField, "county_code"},
		{"county_code 5 digits", "inspection", set("county_code", "43012"), ReasonBadCode, "county_code"},
		{"county_code letters", "inspection", set("county_code", "43012a"), ReasonBadCode, "county_code"},
		{"county not observed", "inspection", func(m, _ map[string]any) { m["county_code"] = "430122"; delete(m, "unit_code") }, ReasonNotObserved, "county_code"},
		{"before designation", "inspection", set("occurred_at", "2023-12-31T10:00:00+08:00"), ReasonNotObserved, "county_code"},
		{"unit_code 8 digits", "inspection", set("unit_code", "43012110"), ReasonBadCode, "unit_code"},
		{"unit_code outside county", "inspection", set("unit_code", "430122100"), ReasonUnitOutside, "unit_code"},
		{"target_level bad", "inspection", set("target_level", "city"), ReasonBadValue, "target_level"},
		{"issuer missing", "inspection", del("issuer"), ReasonMissingField, "issuer"},
		{"issuer not object", "inspection", set("issuer", "省应急管理厅"), ReasonWrongType, "issuer"},
		{"issuer.code missing", "inspection", func(m, _ map[string]any) { delete(m["issuer"].(map[string]any), "code") }, ReasonMissingField, "issuer.code"},
		{"issuer.name empty", "inspection", iset("name", ""), ReasonMissingField, "issuer.name"},
		{"issuer.level bad", "inspection", iset("level", "national"), ReasonBadValue, "issuer.level"},
		{"issuer.kind bad", "inspection", iset("kind", "company"), ReasonBadValue, "issuer.kind"},
		{"source not string", "inspection", set("source", 3), ReasonWrongType, "source"},
		{"payload missing", "inspection", del("payload"), ReasonMissingField, "payload"},
		{"payload array", "inspection", set("payload", []any{}), ReasonWrongType, "payload"},
		{"category bad", "inspection", pset("category", "annual"), ReasonBadValue, "payload.category"},
		{"approved string", "inspection", pset("approved", "true"), ReasonWrongType, "payload.approved"},
		{"approved missing", "inspection", pdel("approved"), ReasonMissingField, "payload.approved"},
		{"mode bad", "inspection", pset("mode", "secret"), ReasonBadValue, "payload.mode"},
		{"on_site missing", "inspection", pdel("on_site"), ReasonMissingField, "payload.on_site"},
		{"end_at bad", "inspection", pset("end_at", "2025-06-01 17:00"), ReasonBadTimestamp, "payload.end_at"},
		{"end_at before start", "inspection", pset("end_at", "2025-05-30T17:00:00+08:00"), ReasonBadValue, "payload.end_at"},
		{"team_size negative", "inspection", pset("team_size", -2), ReasonBadValue, "payload.team_size"},
		{"accompanying missing", "inspection", pdel("accompanying"), ReasonMissingField, "payload.accompanying"},
		{"principal_accompanied number", "inspection", pset("principal_accompanied", 1), ReasonWrongType, "payload.principal_accompanied"},
		{"materials_requested fraction", "inspection", pset("materials_requested", 0.5), ReasonWrongType, "payload.materials_requested"},
		{"comprehensive_material missing", "inspection", pdel("comprehensive_material"), ReasonMissingField, "payload.comprehensive_material"},
		{"sampled above total", "inspection", pset("sampled_units", 13), ReasonBadValue, "payload.sampled_units"},
		{"total_units missing", "inspection", pdel("total_units"), ReasonMissingField, "payload.total_units"},
		{"deployment_doc_id bad", "inspection", pset("deployment_doc_id", "doc 9"), ReasonBadValue, "payload.deployment_doc_id"},
		{"plan_code number", "inspection", pset("plan_code", 7), ReasonWrongType, "payload.plan_code"},
		{"accountability missing", "inspection", pdel("accountability_demanded"), ReasonMissingField, "payload.accountability_demanded"},
		{"duration zero", "meeting", pset("duration_minutes", 0), ReasonBadValue, "payload.duration_minutes"},
		{"attendees missing", "meeting", pdel("attendees"), ReasonMissingField, "payload.attendees"},
		{"format bad", "meeting", pset("format", "phone"), ReasonBadValue, "payload.format"},
		{"scale bad", "meeting", pset("scale", "huge"), ReasonBadValue, "payload.scale"},
		{"cascade_required missing", "meeting", pdel("cascade_required"), ReasonMissingField, "payload.cascade_required"},
		{"doc_type bad", "document", pset("doc_type", "memo"), ReasonBadValue, "payload.doc_type"},
		{"pages zero", "document", pset("pages", 0), ReasonBadValue, "payload.pages"},
		{"pages string", "document", pset("pages", "14"), ReasonWrongType, "payload.pages"},
		{"requires_upward_report missing", "document", pdel("requires_upward_report"), ReasonMissingField, "payload.requires_upward_report"},
		{"veto_items not array", "document", pset("veto_items", "安全生产"), ReasonWrongType, "payload.veto_items"},
		{"veto_items number item", "document", pset("veto_items", []any{"安全生产", 3}), ReasonWrongType, "payload.veto_items[1]"},
		{"pledges negative", "document", pset("pledges", -1), ReasonBadValue, "payload.pledges"},
		{"form_id missing", "data_report", pdel("form_id"), ReasonMissingField, "payload.form_id"},
		{"fields zero", "data_report", pset("fields", 0), ReasonBadValue, "payload.fields"},
		{"duplicate above fields", "data_report", pset("duplicate_fields", 41), ReasonBadValue, "payload.duplicate_fields"},
		{"estimated_minutes missing", "data_report", pdel("estimated_minutes"), ReasonMissingField, "payload.estimated_minutes"},
		{"frequency bad", "data_report", pset("frequency", "hourly"), ReasonBadValue, "payload.frequency"},
		{"via_platform string", "data_report", pset("via_platform", "no"), ReasonWrongType, "payload.via_platform"},
		{"approved_survey missing", "data_report", pdel("approved_survey"), ReasonMissingField, "payload.approved_survey"},
	}
}

func payloadOf(kind string) map[string]any {
	switch kind {
	case "meeting":
		return meetingPayload()
	case "document":
		return documentPayload()
	case "data_report":
		return formPayload()
	}
	return inspectionPayload()
}

func TestDecodeInvalid(t *testing.T) {
	d := testDecoder(t)
	for _, tc := range invalidCases() {
		t.Run(tc.name, func(t *testing.T) {
			p := payloadOf(tc.kind)
			m := envelope(tc.kind, p)
			tc.mutate(m, p)
			_, err := d.Decode(marshal(t, m))
			ve, ok := err.(*ValidationError)
			if !ok {
				t.Fatalf("err = %v (%T), want *ValidationError", err, err)
			}
			if ve.Code != tc.code || ve.Field != tc.field {
				t.Errorf("got code %q field %q (%v), want code %q field %q", ve.Code, ve.Field, ve, tc.code, tc.field)
			}
			if !strings.Contains(ve.Error(), tc.field) || ve.Value == "" {
				t.Errorf("message %q does not name field and value", ve.Error())
			}
		})
	}
}

func TestDecodeNotJSON(t *testing.T) {
	d := testDecoder(t)
	for _, raw := range []string{"", "{", "not json", `{"event_id":"a",}`, "[1,2]", `"text"`} {
		_, err := d.Decode([]byte(raw))
		ve, ok := err.(*ValidationError)
		if !ok || (ve.Code != ReasonNotJSON && ve.Code != ReasonWrongType) {
			t.Errorf("Decode(%q) = %v, want not_json or wrong_type", raw, err)
		}
	}
}

func TestErrorNamesValue(t *testing.T) {
	m := envelope("document", documentPayload())
	m["payload"].(map[string]any)["pages"] = -3
	_, err := testDecoder(t).Decode(marshal(t, m))
	if err == nil || err.Error() != "field payload.pages = -3: must be between 0 and 4294967295" {
		t.Errorf("err = %v", err)
	}
}

// TestMarshalRoundTrip decodes a message of every kind, encodes the event
// again and compares the result with the input message, field by field.
func TestMarshalRoundTrip(t *testing.T) {
	d := testDecoder(t)
	for _, kind := range []string{"inspection", "meeting", "document", "data_report"} {
		in := envelope(kind, payloadOf(kind))
		in["revision"] = 2 // the encoder leaves out a zero revision
		raw := marshal(t, in)
		ev, err := d.Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		out, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		var want, got map[string]any
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%s: output is not JSON: %v\n%s", kind, err, out)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: encoding the decoded event differs from the input:\n got %s\nwant %s", kind, out, raw)
		}
	}
}

func TestVersionOrdersByRevisionFirst(t *testing.T) {
	if Version(1, []byte("zzzz")) <= Version(0, []byte("aaaa")) {
		t.Error("a higher revision must have a higher version whatever the bytes")
	}
	// The low 32 bits are the CRC-32 (IEEE) of the message: crc32("x") = 0x8cdc1683.
	if got, want := Version(2, []byte("x")), uint64(2)<<32|0x8cdc1683; got != want {
		t.Errorf("Version(2, x) = %#x, want %#x", got, want)
	}
	if Version(2, []byte("x")) == Version(2, []byte("y")) {
		t.Error("two different messages of one revision must get different versions")
	}
}

func FuzzDecode(f *testing.F) {
	for _, kind := range []string{"inspection", "meeting", "document", "data_report"} {
		f.Add(marshal(f, envelope(kind, payloadOf(kind))))
	}
	f.Add([]byte(`{"event_id":"x","kind":"meeting","payload":{}}`))
	f.Add([]byte("\xff\x00{"))
	for _, m := range validMessages { // escapes, white space, nulls, extensions
		f.Add([]byte(m))
	}
	d := testDecoder(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, err := checkAgree(t, d, raw) // Decode, DecodeView, the one pass and the full decoder agree
		if err != nil {
			checkRefusal(t, err)
			return
		}
		checkAccepted(t, d, ev)
	})
}
