package burdenwatch

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// checkAgree decodes raw with the full decoder, Decode, DecodeView and the
// one pass alone, all on d, and fails unless they agree: the same error
// (code, field, value, message) or the same event, and the one pass
// accepting only what the full decoder accepts. It returns the result.
func checkAgree(t testing.TB, d *Decoder, raw []byte) (Event, error) {
	t.Helper()
	want, wantErr := d.decodeFull(raw)

	var view Event
	viewErr := d.DecodeView(raw, &view)
	if !reflect.DeepEqual(viewErr, wantErr) || !reflect.DeepEqual(view, want) {
		t.Fatalf("DecodeView(%.300q) =\n %+v, %v\nfull decoder:\n %+v, %v", raw, view, viewErr, want, wantErr)
	}

	own := bytes.Clone(raw)
	ev, err := d.Decode(own)
	for i := range own {
		own[i] = '#' // Decode's strings are its own: they must not change
	}
	var other Event
	_ = d.DecodeView([]byte(validMessages[0]), &other) // reuses the decoder's buffers
	if !reflect.DeepEqual(err, wantErr) || !reflect.DeepEqual(ev, want) {
		t.Fatalf("Decode(%.300q) =\n %+v, %v\nfull decoder:\n %+v, %v", raw, ev, err, want, wantErr)
	}

	var pass Event
	if d.pass.parse(raw) && d.pass.event(d, &pass) {
		if wantErr != nil {
			t.Fatalf("one pass accepted %.300q, which the full decoder refuses: %v", raw, wantErr)
		}
		if !reflect.DeepEqual(pass, want) {
			t.Fatalf("one pass of %.300q =\n %+v\nfull decoder:\n %+v", raw, pass, want)
		}
	}
	return ev, err
}

// onePassAccepts reports whether the one pass decodes raw by itself.
func onePassAccepts(d *Decoder, raw []byte) bool {
	var ev Event
	return d.pass.parse(raw) && d.pass.event(d, &ev)
}

// validMessages are messages of every kind the one pass must decode by
// itself, in forms real producers write.
var validMessages = func() []string {
	var msgs []string
	for _, kind := range kindNames {
		b, err := json.Marshal(envelope(kind, payloadOf(kind)))
		if err != nil {
			panic(err)
		}
		msgs = append(msgs, string(b))
	}
	return append(msgs,
		// White space, key order, escapes in values (Python's ensure_ascii, Go's \u003c), nulls for
		// optional fields, extensions of every JSON type.
		" {\n\t\"payload\": {\"title\": \"\\u5168\\u7701 \\u003cA\\u0026B\\u003e \\\"\\/\\\\ \\ud83d\\ude92\", \"duration_minutes\": 90, \"attendees\": 12,"+
			" \"format\": \"video\", \"scale\": \"large\", \"cascade_required\": false, \"pages\": \"not read for a meeting\"},\r\n"+
			" \"kind\": \"meeting\", \"event_id\": \"ev-2\", \"revision\": null, \"occurred_at\": \"2025-05-31T15:30:00.5Z\","+
			" \"county_code\": \"430121\", \"unit_code\": null, \"target_level\": \"county\","+
			" \"issuer\": {\"code\": \"HN-YJT\", \"name\": \"\\u7701\\u5e94\\u6025\\u7ba1\\u7406\\u5385\", \"level\": \"province\", \"kind\": \"department\", \"x\": [1]},"+
			" \"source\": null, \"x\": {\"a\": [1.5e3, -0.25, 0, -7, true, false, null, \"文\", {}, []], \"b\": {\"a\": 1}}, \"y\": 1E+2 } ",
		`{"event_id":"ev:3.a_b-c","revision":4294967295,"kind":"document","occurred_at":"2025-06-16T11:59:59+00:00",`+
			`"county_code":"430121","unit_code":"430121100200","target_level":"village",`+
			`"issuer":{"code":"湘应急-01","name":"省应急管理厅","level":"central","kind":"party"},"source":"",`+
			`"payload":{"doc_number":"","doc_type":"decision","pages":1,"requires_supporting_docs":false,`+
			`"requires_upward_report":true,"veto_items":[],"pledges":null}}`,
		`{"event_id":"ev-4","kind":"data_report","occurred_at":"2024-01-01T00:00:00+08:00","county_code":"430121",`+
			`"target_level":"county","issuer":{"code":"A","name":"B","level":"city","kind":"coordination_body"},`+
			`"payload":{"form_id":"F-1","title":"表","fields":3,"duplicate_fields":3,"estimated_minutes":1,`+
			`"frequency":"adhoc","via_platform":true,"approved_survey":false}}`,
		`{"event_id":"ev-5","kind":"inspection","occurred_at":"2025-05-31T23:30:00-05:30","county_code":"430121",`+
			`"target_level":"township","issuer":{"code":"A","name":"B","level":"township","kind":"government"},`+
			`"payload":{"category":"routine","plan_code":"","inspection_code":null,"approved":false,"mode":"online",`+
			`"on_site":false,"end_at":"","team_size":0,"accompanying":0,"principal_accompanied":true,`+
			`"materials_requested":0,"comprehensive_material":true,"sampled_units":0,"total_units":0,`+
			`"deployment_doc_id":"","topic":null,"accountability_demanded":true}}`,
	)
}()

func TestDecodeViewAgreesWithDecode(t *testing.T) {
	d := testDecoder(t)
	for _, raw := range validMessages {
		if _, err := checkAgree(t, d, []byte(raw)); err != nil {
			t.Errorf("valid message refused: %v\n%s", err, raw)
		}
		if !onePassAccepts(d, []byte(raw)) {
			t.Errorf("the one pass leaves a valid message to the full decoder:\n%s", raw)
		}
	}
	for _, tc := range invalidCases() {
		p := payloadOf(tc.kind)
		m := envelope(tc.kind, p)
		tc.mutate(m, p)
		if _, err := checkAgree(t, d, marshal(t, m)); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	for _, raw := range []string{"", "{", "not json", `{"event_id":"a",}`, "[1,2]", `"text"`, "{}", " {} ", "null"} {
		checkAgree(t, d, []byte(raw))
	}
}

// TestDecodeViewHostileCorpus runs the hostile corpus through every path:
// each message as is, and cut after every structural byte of a sample.
func TestDecodeViewHostileCorpus(t *testing.T) {
	d := testDecoder(t)
	passed, valid := 0, 0
	for _, h := range hostileCorpus(t) {
		_, err := checkAgree(t, d, h.raw)
		if err == nil {
			valid++
			if onePassAccepts(d, h.raw) {
				passed++
			}
		}
	}
	t.Logf("the one pass decoded %d of the %d valid messages by itself", passed, valid)
	raw := []byte(validMessages[4])
	for i := range raw {
		checkAgree(t, d, raw[:i])
		mutated := bytes.Clone(raw)
		for _, c := range []byte{'"', '\\', ',', ':', '{', '}', '[', ']', '0', '-', ' ', 0, 0x80, 0xff} {
			mutated[i] = c
			checkAgree(t, d, mutated)
		}
	}
}

// TestDecodeViewReuse decodes many messages with one decoder and checks
// that what Decode returned earlier did not change, and that a view is
// what Decode returns until the next call.
func TestDecodeViewReuse(t *testing.T) {
	d := testDecoder(t)
	fresh := testDecoder(t)
	var msgs [][]byte
	for _, raw := range validMessages {
		msgs = append(msgs, []byte(raw))
	}
	for _, tc := range invalidCases()[:10] {
		p := payloadOf(tc.kind)
		m := envelope(tc.kind, p)
		tc.mutate(m, p)
		msgs = append(msgs, marshal(t, m))
	}
	var kept []Event
	for round := 0; round < 3; round++ {
		for _, raw := range msgs {
			ev, _ := d.Decode(raw)
			kept = append(kept, ev)
			var view Event
			err := d.DecodeView(raw, &view)
			want, wantErr := fresh.Decode(raw)
			if !reflect.DeepEqual(view, want) || !reflect.DeepEqual(err, wantErr) {
				t.Fatalf("view of %s =\n %+v, %v\nwant %+v, %v", raw, view, err, want, wantErr)
			}
		}
	}
	for i, ev := range kept {
		want, _ := fresh.Decode(msgs[i%len(msgs)])
		if !reflect.DeepEqual(ev, want) {
			t.Fatalf("event %d changed after later calls:\n got %+v\nwant %+v", i, ev, want)
		}
	}
}

// TestDecodeViewAllocations holds DecodeView to no allocation on valid
// messages and Decode to one per event (two with veto items).
func TestDecodeViewAllocations(t *testing.T) {
	d := testDecoder(t)
	for i, raw := range validMessages {
		raw := []byte(raw)
		var ev Event
		if n := testing.AllocsPerRun(100, func() { _ = d.DecodeView(raw, &ev) }); n != 0 {
			t.Errorf("DecodeView of message %d: %v allocations", i, n)
		}
		if n := testing.AllocsPerRun(100, func() { _, _ = d.Decode(raw) }); n > 2 {
			t.Errorf("Decode of message %d: %v allocations", i, n)
		}
	}
}

// TestCloneStringsCoversEveryField sets every string of an event to text
// in a buffer, clones it and overwrites the buffer: a string field that
// cloneStrings forgot would change.
func TestCloneStringsCoversEveryField(t *testing.T) {
	buf := []byte("0123456789")
	text := alias(buf)
	var ev Event
	var set func(v reflect.Value)
	set = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.String:
			v.SetString(text)
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() && v.Type().Field(i).Type != reflect.TypeOf(time.Time{}) {
					set(v.Field(i))
				}
			}
		case reflect.Slice:
			if v.Type().Elem().Kind() != reflect.String {
				t.Fatalf("cloneStrings does not know slices of %v", v.Type().Elem())
			}
			v.Set(reflect.ValueOf([]string{text, text}))
		case reflect.Bool, reflect.Uint32:
		default:
			t.Fatalf("cloneStrings does not know fields of kind %v", v.Kind())
		}
	}
	set(reflect.ValueOf(&ev).Elem())
	cloneStrings(&ev)
	copy(buf, "##########")
	if s := strings.ReplaceAll(strings.ReplaceAll(reflectStrings(reflect.ValueOf(ev)), "0123456789", ""), ",", ""); s != "" {
		t.Errorf("strings that alias the buffer after cloneStrings: %q", s)
	}
}

// reflectStrings joins every string in v with commas.
func reflectStrings(v reflect.Value) string {
	switch v.Kind() {
	case reflect.String:
		return v.String() + ","
	case reflect.Struct:
		var b strings.Builder
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				b.WriteString(reflectStrings(v.Field(i)))
			}
		}
		return b.String()
	case reflect.Slice:
		var b strings.Builder
		for i := 0; i < v.Len(); i++ {
			b.WriteString(reflectStrings(v.Index(i)))
		}
		return b.String()
	}
	return ""
}

func TestParseTimestamp(t *testing.T) {
	for _, s := range []string{
		"2025-05-31T23:30:00+08:00", "2025-05-31T15:30:00Z", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59-00:01",
		"2105-12-31T23:59:59Z", "2105-12-31T23:59:59.000000000Z", "2105-12-31T23:59:59.0000000001Z",
		"2105-12-31T23:59:59.1Z", "2024-02-29T12:00:00+14:00", "2000-02-29T00:00:00-23:59", "1900-02-28T00:00:00Z",
		"0000-03-01T00:00:00Z", "0000-02-29T00:00:00Z", "9999-12-31T23:59:59+23:59", "2025-12-31T23:59:59.999999999+05:45",
	} {
		checkTimestamp(t, s)
	}
	for _, s := range []string{
		"2025-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2025-04-31T00:00:00Z", "2025-13-01T00:00:00Z",
		"2025-00-01T00:00:00Z", "2025-01-00T00:00:00Z", "2025-01-01T24:00:00Z", "2025-01-01T00:60:00Z",
		"2025-01-01T00:00:60Z", "2025-01-01T00:00:00+24:00", "2025-01-01T00:00:00+08:60", "2025-01-01t00:00:00Z",
		"2025-01-01T00:00:00z", "2025-01-01T00:00:00", "2025-01-01T00:00:00.Z", "2025-01-01T00:00:00,5Z",
		"2025-01-01T00:00:00+0800", "2025-01-01T00:00:00+08:00 ", "+025-01-01T00:00:00Z", "2025-1-01T00:00:00Z",
	} {
		if _, _, ok := parseTimestamp(s); ok {
			t.Errorf("parseTimestamp(%q) accepted", s)
		}
		checkTimestamp(t, s)
	}
}

// checkTimestamp holds parseTimestamp to time.Parse: whatever it reads,
// time.Parse reads as the same instant.
func checkTimestamp(t *testing.T, s string) {
	t.Helper()
	sec, frac, ok := parseTimestamp(s)
	if !ok {
		return
	}
	want, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("parseTimestamp(%q) accepted what time.Parse refuses: %v", s, err)
	}
	if sec != want.Unix() || frac != (want.Nanosecond() != 0) {
		t.Fatalf("parseTimestamp(%q) = %d, %v; time.Parse: %d, %d ns", s, sec, frac, want.Unix(), want.Nanosecond())
	}
}

func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{"2025-05-31T23:30:00+08:00", "2105-12-31T23:59:59.5Z", "2000-02-29T00:00:00-23:59", "0000-01-01T00:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkTimestamp(t, s)
	})
}
