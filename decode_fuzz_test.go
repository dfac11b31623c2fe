package burdenwatch

import (
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// fuzzPaths are the fields FuzzDecodeFields replaces, per kind: every
// string and integer field, and the objects that hold them.
func fuzzPaths(kind string) []string {
	var ps []string
	for _, f := range stringFields(kind) {
		ps = append(ps, f.path)
	}
	return append(append(ps, integerFields(kind)...), "issuer", "payload", "approved", "payload.veto_items")
}

// relatedFields are the other fields a change of one field may be refused
// at, through a check between two fields.
var relatedFields = map[string][]string{
	"county_code":           {"unit_code"},
	"occurred_at":           {"payload.end_at", "county_code"},
	"payload.total_units":   {"payload.sampled_units"},
	"payload.fields":        {"payload.duplicate_fields"},
	"payload.veto_items[0]": {"payload.veto_items"},
}

// FuzzDecodeFields mutates valid events field by field: the fuzzer picks a
// kind, a field and the new value (a string's content, or raw JSON).
func FuzzDecodeFields(f *testing.F) {
	for k, kind := range kindNames {
		for i := range fuzzPaths(kind) {
			f.Add(uint8(k), uint8(i), []byte("HN\u00adYJT"), true)
			f.Add(uint8(k), uint8(i), []byte(`1e-400`), false)
		}
	}
	f.Add(uint8(0), uint8(0), []byte(`ev\ud800`), true)
	f.Add(uint8(1), uint8(3), []byte("\xff"), true)
	d := testDecoder(f)
	f.Fuzz(func(t *testing.T, k, i uint8, value []byte, asString bool) {
		kind := kindNames[int(k)%len(kindNames)]
		paths := fuzzPaths(kind)
		path := paths[int(i)%len(paths)]
		if path == "approved" {
			path = map[string]string{"inspection": "payload.approved", "meeting": "payload.cascade_required",
				"document": "payload.requires_upward_report", "data_report": "payload.via_platform"}[kind]
		}
		var raw []byte
		if asString {
			raw = withString(t, kind, path, string(value))
		} else {
			raw = withRaw(t, kind, path, string(value))
		}
		ev, err := checkAgree(t, d, raw) // Decode, DecodeView, the one pass and the full decoder agree
		if err != nil {
			ve := checkRefusal(t, err)
			if !strings.ContainsAny(string(value), "\"\\{}[],:") && ve.Field != "" && ve.Field != path &&
				!contains(relatedFields[path], ve.Field) && !strings.HasPrefix(ve.Field, path+"[") {
				t.Fatalf("changed %s, refused at %s: %v", path, ve.Field, ve)
			}
			return
		}
		checkAccepted(t, d, ev)
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkRefusal holds a refusal to the reason contract.
func checkRefusal(t *testing.T, err error) *ValidationError {
	t.Helper()
	ve, ok := err.(*ValidationError)
	if !ok || ve.Code == "" || ve.Msg == "" {
		t.Fatalf("error without code or message: %v", err)
	}
	s := ve.Error()
	if !utf8.ValidString(s) || len(s) > 600 {
		t.Fatalf("reason not valid UTF-8 or %d bytes long: %q", len(s), s)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			t.Fatalf("reason shows %U unescaped: %q", r, s)
		}
	}
	return ve
}

// checkAccepted holds an accepted event to the strict rules and encodes it
// again: decoding the encoding must give the same event.
func checkAccepted(t *testing.T, d *Decoder, ev Event) {
	t.Helper()
	if !validEventID(ev.ID) || !digits(ev.CountyCode, 6) || ev.OccurredAt.IsZero() {
		t.Fatalf("accepted an invalid envelope: %+v", ev)
	}
	if ev.UnitCode != "" && ev.UnitCode[:6] != ev.CountyCode {
		t.Fatalf("accepted unit %s outside county %s", ev.UnitCode, ev.CountyCode)
	}
	if ev.Kind == KindDataReport && ev.DataReport.DuplicateFields > ev.DataReport.Fields {
		t.Fatalf("accepted duplicate_fields > fields")
	}
	if ev.OccurredAt.Before(MinTimestamp) || ev.OccurredAt.After(MaxTimestamp) || ev.Inspection.EndAt.After(MaxTimestamp) ||
		!ev.Inspection.EndAt.IsZero() && ev.Inspection.EndAt.Before(ev.OccurredAt) {
		t.Fatalf("accepted timestamps %v – %v", ev.OccurredAt, ev.Inspection.EndAt)
	}
	codes := []string{ev.Issuer.Code, ev.Inspection.PlanCode, ev.Inspection.InspectionCode, ev.DataReport.FormID,
		ev.Inspection.DeploymentDocID, ev.UnitCode}
	for _, c := range codes {
		if code, _ := checkCode(c, MaxCodeBytes); code != "" {
			t.Fatalf("accepted code %q", c)
		}
	}
	texts := append([]string{ev.Issuer.Name, ev.Source, ev.Meeting.Title, ev.DataReport.Title, ev.Inspection.Topic,
		ev.Document.DocNumber}, ev.Document.VetoItems...)
	for _, s := range append(texts, codes...) {
		if !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) || utf8.RuneCountInString(s) > MaxTitleChars {
			t.Fatalf("accepted text %q", s)
		}
	}
	again, err := d.Decode(ev.AppendJSON(nil))
	if err != nil {
		t.Fatalf("re-decoding the encoded event: %v", err)
	}
	if !reflect.DeepEqual(again, ev) {
		t.Fatalf("round trip differs:\n got %+v\nwant %+v", again, ev)
	}
}
