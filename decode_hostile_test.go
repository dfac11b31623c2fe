package burdenwatch

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// hostile is one message of the hostile corpus and the reason it must get
// (code "" means it must be accepted).
type hostile struct {
	class string
	name  string
	raw   []byte
	code  string
	field string
}

// placeholder stands for a value in a marshalled message, replaced by raw
// bytes that encoding/json would never write.
const placeholder = "\u0001PLACEHOLDER\u0001"

var placeholderJSON = `"\u0001PLACEHOLDER\u0001"`

// stringField is a string field of a kind, how the decoder treats it, and
// how to set it in a message map.
type stringField struct {
	path string
	role string // code, id, digits, text, enum, time
	max  int    // length limit of a code (bytes) or text (characters)
}

func stringFields(kind string) []stringField {
	fs := []stringField{
		{"event_id", "id", 64}, {"kind", "enum", 0}, {"occurred_at", "time", 0}, {"county_code", "digits", 64},
		{"unit_code", "digits", 64}, {"target_level", "enum", 0}, {"issuer.code", "code", MaxCodeBytes},
		{"issuer.name", "text", MaxNameChars}, {"issuer.level", "enum", 0}, {"issuer.kind", "enum", 0},
		{"source", "text", MaxNameChars},
	}
	switch kind {
	case "inspection":
		fs = append(fs, stringField{"payload.category", "enum", 0}, stringField{"payload.plan_code", "code", MaxCodeBytes},
			stringField{"payload.inspection_code", "code", MaxCodeBytes}, stringField{"payload.mode", "enum", 0},
			stringField{"payload.end_at", "time", 0}, stringField{"payload.deployment_doc_id", "id", 64},
			stringField{"payload.topic", "text", MaxTitleChars})
	case "meeting":
		fs = append(fs, stringField{"payload.title", "text", MaxTitleChars}, stringField{"payload.format", "enum", 0},
			stringField{"payload.scale", "enum", 0})
	case "document":
		fs = append(fs, stringField{"payload.doc_number", "text", MaxDocNoChars}, stringField{"payload.doc_type", "enum", 0},
			stringField{"payload.veto_items[0]", "text", MaxVetoChars})
	case "data_report":
		fs = append(fs, stringField{"payload.form_id", "code", MaxCodeBytes}, stringField{"payload.title", "text", MaxTitleChars},
			stringField{"payload.frequency", "enum", 0})
	}
	return fs
}

func integerFields(kind string) []string {
	switch kind {
	case "inspection":
		return []string{"revision", "payload.team_size", "payload.accompanying", "payload.materials_requested",
			"payload.sampled_units", "payload.total_units"}
	case "meeting":
		return []string{"revision", "payload.duration_minutes", "payload.attendees"}
	case "document":
		return []string{"revision", "payload.pages", "payload.pledges"}
	}
	return []string{"revision", "payload.fields", "payload.duplicate_fields", "payload.estimated_minutes"}
}

// setPath sets the value at a path like "issuer.code" or "payload.veto_items[0]".
func setPath(m map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		m = m[p].(map[string]any)
	}
	last := parts[len(parts)-1]
	if i := strings.IndexByte(last, '['); i >= 0 {
		m[last[:i]].([]any)[0] = v
		return
	}
	m[last] = v
}

// withRaw returns the message of kind with the value at path replaced by
// the raw JSON text value.
func withRaw(t testing.TB, kind, path, value string) []byte {
	m := envelope(kind, payloadOf(kind))
	m["revision"] = 1
	setPath(m, path, placeholder)
	b := marshal(t, m)
	if bytes.Count(b, []byte(placeholderJSON)) != 1 {
		t.Fatalf("placeholder not found once in %s", b)
	}
	return bytes.Replace(b, []byte(placeholderJSON), []byte(value), 1)
}

// withString is withRaw for a string whose content (between the quotes)
// is written raw.
func withString(t testing.TB, kind, path, content string) []byte {
	return withRaw(t, kind, path, `"`+content+`"`)
}

var kindNames = []string{"inspection", "meeting", "document", "data_report"}

// hostileCorpus builds the corpus: every class of bad input against every
// field it applies to, and the valid edge cases next to them.
func hostileCorpus(t testing.TB) []hostile {
	var c []hostile
	add := func(class, name string, raw []byte, code, field string) {
		c = append(c, hostile{class, name, raw, code, field})
	}
	textBad := []struct{ name, content, code string }{
		{"byte ff", "HN\xffX", ReasonInvalidUTF8}, {"overlong NUL", "HN\xc0\x80X", ReasonInvalidUTF8},
		{"encoded surrogate", "HN\xed\xa0\x80X", ReasonInvalidUTF8}, {"cut sequence", "HN\xe6\x88", ReasonInvalidUTF8},
		{"lone continuation", "\x80HN", ReasonInvalidUTF8}, {"beyond U+10FFFF", "HN\xf4\x90\x80\x80", ReasonInvalidUTF8},
		{"raw NUL", "HN\x00X", ReasonControlChar}, {"raw 01", "\x01HN", ReasonControlChar},
		{"raw tab", "HN\tX", ReasonControlChar}, {"raw newline", "HN\nX", ReasonControlChar},
		{"raw DEL", "HN\x7f", ReasonControlChar}, {"raw C1 NEL", "HN\u0085X", ReasonControlChar},
		{"escaped NUL", `HN\u0000X`, ReasonControlChar}, {"escaped 1F", `HN\u001fX`, ReasonControlChar},
		{"escaped newline", `HN\nX`, ReasonControlChar}, {"escaped tab", `\tHN`, ReasonControlChar},
		{"escaped DEL", `HN\u007F`, ReasonControlChar}, {"escaped C1", `HN\u009bX`, ReasonControlChar},
		{"lone high surrogate", `HN\ud800X`, ReasonInvalidUTF8}, {"lone low surrogate", `HN\uDFFFX`, ReasonInvalidUTF8},
		{"high surrogate at end", `HN\ud83d`, ReasonInvalidUTF8}, {"high then letter", `\ud83d\u0041`, ReasonInvalidUTF8},
		{"invalid escape", `HN\qX`, ReasonNotJSON}, {"short unicode escape", `HN\u12`, ReasonNotJSON},
	}
	invisible := []rune{0x00ad, 0x200b, 0x200c, 0x200d, 0x200e, 0x2060, 0xfeff, 0x00a0, 0x3000, 0x202e, 0xe000, 0x0301, 0x061c, 0xfff9}
	for _, kind := range kindNames {
		for _, f := range stringFields(kind) {
			for _, b := range textBad {
				add("text:"+b.code, kind+" "+f.path+" "+b.name, withString(t, kind, f.path, b.content), b.code, f.path)
			}
			c = append(c, roleCases(t, kind, f, invisible)...)
		}
		c = append(c, integerCases(t, kind)...)
		c = append(c, duplicateCases(t, kind)...)
	}
	c = append(c, timestampCases(t)...)
	c = append(c, structureCases(t)...)
	return c
}

// roleCases are the checks that depend on what a string field is: codes
// refuse invisible characters, text refuses bidi controls, every field has
// a length limit.
func roleCases(t testing.TB, kind string, f stringField, invisible []rune) []hostile {
	var c []hostile
	add := func(class, name string, raw []byte, code, field string) {
		c = append(c, hostile{class, kind + " " + f.path + " " + name, raw, code, field})
	}
	valid := map[string]string{"id": "ev-1", "digits": "430121100", "code": "HN-YJT"}[f.role]
	if f.path == "county_code" {
		valid = "430121"
	}
	switch f.role {
	case "id", "digits", "code":
		for _, r := range invisible {
			for i, at := range []int{0, len(valid) / 2, len(valid)} {
				s := valid[:at] + string(r) + valid[at:]
				add("invisible", "U+"+strconv.FormatInt(int64(r), 16)+" at "+strconv.Itoa(i), withString(t, kind, f.path, s), ReasonInvisibleChar, f.path)
			}
		}
		add("invisible", "ascii space", withString(t, kind, f.path, valid+" "), ReasonBadValue, f.path)
		long, code := strings.Repeat("7", f.max+1), ReasonTooLong
		if f.role == "id" {
			code = ReasonBadValue // an event id's format includes its length
		}
		add("length", "one byte over", withString(t, kind, f.path, long), code, f.path)
		add("length", "a megabyte", withString(t, kind, f.path, strings.Repeat("8", 1<<20)), code, f.path)
		if f.role == "code" {
			add("length", "at the limit", withString(t, kind, f.path, strings.Repeat("Q", f.max)), "", "")
			add("accepted", "CJK code", withString(t, kind, f.path, "湘应急-01"), "", "")
		}
	case "text":
		for _, r := range []rune{0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069} {
			add("bidi", "U+"+strconv.FormatInt(int64(r), 16), withString(t, kind, f.path, "文"+string(r)+"字"), ReasonInvisibleChar, f.path)
		}
		add("length", "CJK at the limit", withString(t, kind, f.path, strings.Repeat("督", f.max)), "", "")
		add("length", "CJK one over", withString(t, kind, f.path, strings.Repeat("督", f.max+1)), ReasonTooLong, f.path)
		add("length", "a megabyte", withString(t, kind, f.path, strings.Repeat("x", 1<<20)), ReasonTooLong, f.path)
		add("accepted", "soft hyphen and emoji", withString(t, kind, f.path, "安全\u00ad生产 👩\u200d🚒"), "", "")
	case "enum":
		add("enum", "soft hyphen", withString(t, kind, f.path, "notice\u00ad"), enumCode(f.path), f.path)
		add("enum", "zero width", withString(t, kind, f.path, "\u200bcounty"), enumCode(f.path), f.path)
		add("enum", "a megabyte", withString(t, kind, f.path, strings.Repeat("z", 1<<20)), enumCode(f.path), f.path)
	case "time":
		add("time", "a megabyte", withString(t, kind, f.path, strings.Repeat("2", 1<<20)), ReasonBadTimestamp, f.path)
		add("time", "zero width", withString(t, kind, f.path, "2025-05-31T23:30:00\u200b+08:00"), ReasonBadTimestamp, f.path)
	}
	return c
}

func enumCode(path string) string {
	if path == "kind" {
		return ReasonUnknownKind
	}
	return ReasonBadValue
}

func integerCases(t testing.TB, kind string) []hostile {
	var c []hostile
	for _, path := range integerFields(kind) {
		for _, lit := range []struct{ text, code string }{
			{"1.5", ReasonWrongType}, {"1.0", ReasonWrongType}, {"1e3", ReasonWrongType}, {"1E+2", ReasonWrongType},
			{"1e-400", ReasonWrongType}, {"1e400", ReasonWrongType}, {"0.0", ReasonWrongType}, {"-0.5", ReasonWrongType},
			{"-1", ReasonBadValue}, {"-0", ReasonBadValue}, {"4294967296", ReasonBadValue},
			{"99999999999999999999999", ReasonBadValue}, {strings.Repeat("9", 5000), ReasonBadValue},
			{"01", ReasonNotJSON}, {"+1", ReasonNotJSON}, {"1.", ReasonNotJSON}, {".5", ReasonNotJSON},
			{"NaN", ReasonNotJSON}, {"nan", ReasonNotJSON}, {"1e", ReasonNotJSON}, {"1-2", ReasonNotJSON},
			{`"3"`, ReasonWrongType}, {"true", ReasonWrongType}, {"[3]", ReasonWrongType}, {"{}", ReasonWrongType},
		} {
			c = append(c, hostile{"integer:" + lit.code, kind + " " + path + " = " + lit.text[:min(len(lit.text), 30)],
				withRaw(t, kind, path, lit.text), lit.code, path})
		}
		c = append(c, hostile{"integer", kind + " " + path + " = 12", withRaw(t, kind, path, "12"), "", ""})
	}
	// These stop fastjson itself: no field to name.
	c = append(c, hostile{"integer:not_json", kind + " Infinity", withRaw(t, kind, "revision", "Infinity"), ReasonNotJSON, ""},
		hostile{"integer:not_json", kind + " lone minus", withRaw(t, kind, "revision", "-"), ReasonNotJSON, ""})
	return c
}

// duplicateCases repeats every key of every object of a message of kind,
// with the same value and with another one, and once spelt with an escape.
func duplicateCases(t testing.TB, kind string) []hostile {
	var c []hostile
	m := envelope(kind, payloadOf(kind))
	objects := map[string]map[string]any{"": m, "issuer": m["issuer"].(map[string]any), "payload": m["payload"].(map[string]any)}
	for prefix, obj := range objects {
		for key, v := range obj {
			path := key
			if prefix != "" {
				path = prefix + "." + key
			}
			raw := marshal(t, envelope(kind, payloadOf(kind)))
			val := string(marshal(t, v))
			needle := []byte(`"` + key + `":` + val)
			if bytes.Count(raw, needle) != 1 {
				continue // the same key and value elsewhere (e.g. title): ambiguous to edit
			}
			for i, extra := range []string{`"` + key + `":` + val, `"` + key + `":null`, `"` + escapeFirst(key) + `":` + val} {
				dup := bytes.Replace(raw, needle, append(append([]byte{}, needle...), ","+extra...), 1)
				c = append(c, hostile{"duplicate", kind + " " + path + " variant " + strconv.Itoa(i), dup, ReasonDuplicateField, path})
			}
		}
	}
	return c
}

// escapeFirst writes the first letter of key as a \u escape.
func escapeFirst(key string) string {
	return `\u00` + strconv.FormatInt(int64(key[0]), 16) + key[1:]
}

func timestampCases(t testing.TB) []hostile {
	var c []hostile
	for _, tc := range []struct {
		path, value, code, field string
	}{
		{"occurred_at", "1969-12-31T23:59:59Z", ReasonTimeRange, "occurred_at"},
		{"occurred_at", "1970-01-01T07:59:59+08:00", ReasonTimeRange, "occurred_at"},
		{"occurred_at", "0001-01-01T00:00:00Z", ReasonTimeRange, "occurred_at"},
		{"occurred_at", "2106-01-01T00:00:00Z", ReasonTimeRange, "occurred_at"},
		{"occurred_at", "9999-12-31T23:59:59+08:00", ReasonTimeRange, "occurred_at"},
		{"occurred_at", "2105-12-31T23:59:59Z", ReasonFutureTime, "occurred_at"},
		{"occurred_at", "1970-01-01T00:00:00Z", ReasonNotObserved, "county_code"},
		{"occurred_at", "2025-05-31T23:30:00.999999+08:00", "", ""},
		{"payload.end_at", "9999-12-31T23:59:59Z", ReasonTimeRange, "payload.end_at"},
		{"payload.end_at", "2106-02-07T06:28:16Z", ReasonTimeRange, "payload.end_at"},
		{"payload.end_at", "1960-01-01T00:00:00Z", ReasonTimeRange, "payload.end_at"},
		{"payload.end_at", "2105-12-31T23:59:59Z", "", ""},
		{"payload.end_at", "2025-05-31T23:29:59+08:00", ReasonBadValue, "payload.end_at"},
		{"payload.end_at", "2025-05-31T15:30:00Z", "", ""},
		{"payload.end_at", "2025-05-31T23:30:00+24:00", ReasonBadTimestamp, "payload.end_at"},
		{"payload.end_at", "2025-02-30T10:00:00+08:00", ReasonBadTimestamp, "payload.end_at"},
	} {
		c = append(c, hostile{"timestamp", tc.path + " " + tc.value, withString(t, "inspection", tc.path, tc.value), tc.code, tc.field})
	}
	return c
}

func structureCases(t testing.TB) []hostile {
	valid := marshal(t, envelope("meeting", payloadOf("meeting")))
	body := valid[1 : len(valid)-1]
	nest := func(n int) []byte {
		return []byte(`{` + string(body) + `,"extension":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`)
	}
	c := []hostile{
		{"nesting", "32 levels", nest(MaxNesting - 1), "", ""},
		{"nesting", "33 levels", nest(MaxNesting), ReasonTooDeep, ""},
		{"nesting", "400 levels", nest(400), ReasonTooDeep, ""},
		{"nesting", "100000 levels", nest(100000), ReasonTooDeep, ""},
		{"nesting", "100000 unclosed", []byte(strings.Repeat(`{"a":`, 100000)), ReasonTooDeep, ""},
		{"not_json", "empty", nil, ReasonNotJSON, ""},
		{"not_json", "cut", valid[:len(valid)/2], ReasonNotJSON, ""},
		{"not_json", "trailing garbage", append(append([]byte{}, valid...), "}x"...), ReasonNotJSON, ""},
		{"not_json", "byte order mark", append([]byte("\xef\xbb\xbf"), valid...), ReasonNotJSON, ""},
		{"not_json", "single quotes", bytes.ReplaceAll(valid, []byte(`"`), []byte(`'`)), ReasonNotJSON, ""},
		{"not_json", "comment", append([]byte("// event\n"), valid...), ReasonNotJSON, ""},
		{"not_json", "invalid UTF-8 outside strings", append(append([]byte{}, valid...), 0xff), ReasonNotJSON, ""},
		{"not_json", "NUL after object", append(append([]byte{}, valid...), 0), ReasonNotJSON, ""},
		{"wrong_type", "array", append(append([]byte("["), valid...), ']'), ReasonWrongType, ""},
		{"wrong_type", "string", []byte(`"event"`), ReasonWrongType, ""},
		{"unknown", "extension with bad byte", []byte(`{` + string(body) + `,"x":"` + "\xff" + `"}`), ReasonInvalidUTF8, "x"},
		{"unknown", "extension with NUL", []byte(`{` + string(body) + `,"x":["ok","a\u0000"]}`), ReasonControlChar, "x[1]"},
		{"unknown", "key with bad byte", []byte(`{` + string(body) + `,"k` + "\xff" + `":1}`), ReasonInvalidUTF8, `k\xff`},
		{"unknown", "key with NUL", []byte(`{` + string(body) + `,"k\u0000":1}`), ReasonControlChar, `k\u0000`},
		{"unknown", "duplicate extension", []byte(`{` + string(body) + `,"x":{"a":1,"a":2}}`), ReasonDuplicateField, "x.a"},
		{"unknown", "extension NaN", []byte(`{` + string(body) + `,"x":NaN}`), ReasonNotJSON, "x"},
		{"unknown", "valid extension", []byte(`{` + string(body) + `,"x":{"a":[1.5e3,-0.25,"文"]}}`), "", ""},
	}
	vetoMany := `[` + strings.Repeat(`"安全生产",`, MaxVetoItems) + `"环保"]`
	c = append(c,
		hostile{"list", "veto items over the limit", withRaw(t, "document", "payload.veto_items", vetoMany), ReasonTooLong, "payload.veto_items"},
		hostile{"list", "veto item NUL", withRaw(t, "document", "payload.veto_items", `["a","b\u0000"]`), ReasonControlChar, "payload.veto_items[1]"},
		hostile{"list", "veto item empty", withRaw(t, "document", "payload.veto_items", `["a",""]`), ReasonWrongType, "payload.veto_items[1]"})
	return c
}

func TestHostileCorpus(t *testing.T) {
	d := testDecoder(t)
	corpus := hostileCorpus(t)
	if len(corpus) < 1000 {
		t.Fatalf("corpus has %d messages, want at least 1000", len(corpus))
	}
	classes := map[string]int{}
	for _, h := range corpus {
		classes[h.class]++
		_, err := d.Decode(h.raw)
		if h.code == "" {
			if err != nil {
				t.Errorf("%s: valid message refused: %v", h.name, err)
			}
			continue
		}
		ve, ok := err.(*ValidationError)
		if !ok {
			t.Errorf("%s: err = %v (%T), want %s at %q", h.name, err, err, h.code, h.field)
			continue
		}
		if ve.Code != h.code || ve.Field != h.field {
			t.Errorf("%s: got %s at %q (%v), want %s at %q", h.name, ve.Code, ve.Field, shortErr(ve), h.code, h.field)
		}
		checkReason(t, h.name, ve)
	}
	t.Logf("%d messages in %d classes: %v", len(corpus), len(classes), classes)
}

func shortErr(ve *ValidationError) string {
	s := ve.Error()
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// checkReason holds a reason to the promise of docs/decoding.md: valid
// UTF-8, nothing invisible, short, naming the field, the cause at its end.
func checkReason(t *testing.T, name string, ve *ValidationError) {
	t.Helper()
	s := ve.Error()
	if !utf8.ValidString(s) {
		t.Errorf("%s: reason is not valid UTF-8: %q", name, s)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			t.Errorf("%s: reason shows %U unescaped: %q", name, r, s)
			break
		}
	}
	if len(s) > 400 {
		t.Errorf("%s: reason is %d bytes long: %.200s…", name, len(s), s)
	}
	if ve.Field != "" && !strings.HasPrefix(s, "field "+ve.Field+" = ") {
		t.Errorf("%s: reason %q does not start with the field", name, s)
	}
	if !strings.HasSuffix(s, ve.Msg) || ve.Msg == "" {
		t.Errorf("%s: reason %q does not end with its cause %q", name, s, ve.Msg)
	}
}

func TestReasonShowsInvisibleCharacters(t *testing.T) {
	d := testDecoder(t)
	for _, tc := range []struct {
		raw  []byte
		want string
	}{
		{withString(t, "document", "payload.doc_type", "notice\u00ad"),
			`field payload.doc_type = "notice\u00ad": must be one of policy, normative, notice, briefing, plan, decision`},
		{withString(t, "document", "issuer.code", "HN\u200bYJT"),
			`field issuer.code = "HN\u200bYJT": contains U+200B (ZERO WIDTH SPACE) at byte 2; a code may not contain spaces or invisible characters`},
		{withString(t, "meeting", "payload.title", "会\xff议"),
			`field payload.title = "会\xff议": contains the byte 0xFF, which is not valid UTF-8`},
		{withString(t, "meeting", "payload.title", `会\u0000议`),
			`field payload.title = "会\x00议": contains the escaped control character U+0000 (NUL)`},
		{withString(t, "meeting", "payload.title", `会\ud800议`),
			`field payload.title = "会\\ud800议": contains the escaped lone surrogate U+D800, which is not a character`},
		{withRaw(t, "meeting", "payload.attendees", "1e-400"),
			`field payload.attendees = 1e-400: must be an integer literal, without fraction or exponent`},
	} {
		_, err := d.Decode(tc.raw)
		if err == nil || err.Error() != tc.want {
			t.Errorf("reason\n got %v\nwant %s", err, tc.want)
		}
	}
}

func TestLongValueShortenedInTheMiddle(t *testing.T) {
	title := strings.Repeat("会", 300) + "\u202e" + strings.Repeat("议", 300)
	_, err := testDecoder(t).Decode(withString(t, "meeting", "payload.title", title))
	ve, ok := err.(*ValidationError)
	if !ok || ve.Code != ReasonTooLong {
		t.Fatalf("err = %v", err)
	}
	want := `field payload.title = "` + strings.Repeat("会", 18) + `…(1719 bytes)…` + strings.Repeat("议", 10) +
		`": is 601 characters long; the limit is 200`
	if ve.Error() != want {
		t.Errorf("reason\n got %s\nwant %s", ve.Error(), want)
	}
	_, err = testDecoder(t).Decode([]byte(strings.Repeat("[", 500) + strings.Repeat("]", 500)))
	if err == nil || !strings.Contains(err.Error(), "deeper than 32 levels") {
		t.Errorf("deep nesting: %v", err)
	}
}

func TestManyKeys(t *testing.T) {
	body := string(marshal(t, envelope("meeting", payloadOf("meeting"))))
	var b strings.Builder
	for i := 0; i < 50000; i++ {
		b.WriteString(`,"k` + strconv.Itoa(i) + `":1`)
	}
	d := testDecoder(t)
	if _, err := d.Decode([]byte(body[:len(body)-1] + b.String() + "}")); err != nil {
		t.Errorf("50,000 distinct keys: %v", err)
	}
	_, err := d.Decode([]byte(body[:len(body)-1] + b.String() + `,"k49999":2}`))
	if ve, ok := err.(*ValidationError); !ok || ve.Code != ReasonDuplicateField || ve.Field != "k49999" {
		t.Errorf("duplicate among 50,000 keys: %v", err)
	}
}
