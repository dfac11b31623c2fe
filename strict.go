package burdenwatch

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// checker walks a parsed message for a key that appears twice in an
// object, comparing keys unescaped, and names it. The scanner calls on it
// when it saw a duplicate, a key with an escape or a very large object.
type checker struct {
	path []pathElem
	keys [][]byte
	vals []*fastjson.Value
	err  *ValidationError
}

// pathElem is one step of a field path: an object key or an array index.
type pathElem struct {
	key   []byte
	index int
}

// check returns the first structural problem of v, or nil.
func (c *checker) check(v *fastjson.Value) *ValidationError {
	c.path, c.keys, c.vals, c.err = c.path[:0], c.keys[:0], c.vals[:0], nil
	c.walk(v)
	return c.err
}

func (c *checker) walk(v *fastjson.Value) {
	switch v.Type() {
	case fastjson.TypeObject:
		c.object(v.GetObject())
	case fastjson.TypeArray:
		for i, x := range v.GetArray() {
			c.path = append(c.path, pathElem{index: i})
			c.walk(x)
			c.path = c.path[:len(c.path)-1]
			if c.err != nil {
				return
			}
		}
	}
}

func (c *checker) object(o *fastjson.Object) {
	if o.Len() > maxScannedKeys {
		c.largeObject(o)
		return
	}
	start := len(c.keys)
	o.Visit(func(k []byte, x *fastjson.Value) {
		if c.err == nil {
			c.path = append(c.path, pathElem{key: k, index: -1})
			c.member(start, k, x)
			c.path = c.path[:len(c.path)-1]
		}
	})
	c.keys, c.vals = c.keys[:start], c.vals[:start]
}

// maxScannedKeys is the size up to which an object's keys are compared
// pairwise; larger objects (never an event's) use a map.
const maxScannedKeys = 24

// largeObject is object for many keys.
func (c *checker) largeObject(o *fastjson.Object) {
	seen := make(map[string]*fastjson.Value, o.Len())
	o.Visit(func(k []byte, x *fastjson.Value) {
		if c.err != nil {
			return
		}
		c.path = append(c.path, pathElem{key: k, index: -1})
		if first, dup := seen[string(k)]; dup {
			c.fail(ReasonDuplicateField, showValue(x), "appears more than once in the object (first value "+showValue(first)+")")
		} else {
			seen[string(k)] = x
			c.walk(x)
		}
		c.path = c.path[:len(c.path)-1]
	})
}

// member checks one key and value of the object whose keys start at
// c.keys[start].
func (c *checker) member(start int, k []byte, x *fastjson.Value) {
	for j, prev := range c.keys[start:] {
		if string(prev) == string(k) {
			c.fail(ReasonDuplicateField, showValue(x),
				"appears more than once in the object (first value "+showValue(c.vals[start+j])+")")
			return
		}
	}
	c.keys, c.vals = append(c.keys, k), append(c.vals, x)
	c.walk(x)
}

func (c *checker) fail(code, value, msg string) {
	if c.err == nil {
		c.err = &ValidationError{Code: code, Field: pathString(c.path), Value: value, Msg: msg}
	}
}

// pathString writes a field path as the reasons name it: payload.veto_items[1].
func pathString(path []pathElem) string {
	var b strings.Builder
	for i, e := range path {
		if e.index >= 0 {
			b.WriteString("[" + strconv.Itoa(e.index) + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(showRaw(string(e.key)))
	}
	return shortenShown(b.String(), maxShownPath)
}

// maxShownPath bounds a field path in reasons: each name is shortened
// already, but a message may nest MaxNesting deep.
const maxShownPath = 2 * maxShownBytes

// shortenShown cuts the middle out of s, text already escaped for a
// reason, when it is longer than max bytes, at character boundaries.
func shortenShown(s string, max int) string {
	if len(s) <= max {
		return s
	}
	h, t := max*2/3, len(s)-max/3
	for h > 0 && !utf8.RuneStart(s[h]) {
		h--
	}
	for t < len(s) && !utf8.RuneStart(s[t]) {
		t++
	}
	return s[:h] + "…(" + strconv.Itoa(t-h) + " bytes)…" + s[t:]
}

// showValue renders a value for a reason: a string quoted with invisible
// characters escaped, anything else as written; shortened in the middle.
func showValue(x *fastjson.Value) string {
	if x.Type() == fastjson.TypeString {
		return quoteValue(string(x.GetStringBytes()))
	}
	return showRaw(string(x.MarshalTo(nil)))
}

// jsonNumber reports whether b follows the JSON number grammar (RFC 8259 §6).
func jsonNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = skipDigits(b, i)
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		if j := skipDigits(b, i+1); j > i+1 {
			i = j
		} else {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return false
		}
		i = j
	}
	return i == len(b)
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// notJSON turns a fastjson parse error into a reason that says why in its
// first words: the innermost cause (fastjson nests one "cannot parse …"
// per level) and where, shortened.
func notJSON(err error) *ValidationError {
	msg := err.Error()
	if strings.Contains(msg, "too big depth") {
		return &ValidationError{Code: ReasonTooDeep, Msg: "message nests objects and arrays deeper than " +
			strconv.Itoa(MaxNesting) + " levels"}
	}
	msg = strings.TrimPrefix(msg, "cannot parse JSON: ")
	near := ""
	if i := strings.LastIndex(msg, "; unparsed tail: "); i >= 0 {
		near = msg[i+len("; unparsed tail: "):]
		msg = msg[:i]
	}
	for {
		i := strings.Index(msg, ": ")
		if i < 0 || !strings.HasPrefix(msg, "cannot parse ") {
			break
		}
		msg = msg[i+2:]
	}
	out := "message is not valid JSON: " + showRaw(msg)
	if near != "" {
		out += " near " + showRaw(near)
	}
	return &ValidationError{Code: ReasonNotJSON, Msg: out}
}

// located turns a problem the byte scan found at raw[p.at] into a reason
// naming the field it lies in, with the field's value as parsed.
func located(v *fastjson.Value, raw []byte, p *rawProblem) *ValidationError {
	if p.at < 0 {
		return &ValidationError{Code: p.code, Msg: "message " + p.msg}
	}
	path, text, isKey := pathAt(raw, p.at)
	if isKey {
		return &ValidationError{Code: p.code, Field: pathString(path), Value: showRaw(string(text)), Msg: "the field name " + p.msg}
	}
	value := `"` + showRaw(string(text)) + `"` // as written, when the parsed value cannot be found
	if x := valueAt(v, path); x != nil && x.Type() == fastjson.TypeString {
		value = showValue(x)
	}
	return &ValidationError{Code: p.code, Field: pathString(path), Value: value, Msg: p.msg}
}

// pathAt returns the path of the string that holds raw[at] in the JSON
// text raw (which fastjson parsed), the string as written and whether it
// is a key. Keys in the path are as written, escapes included.
func pathAt(raw []byte, at int) (path []pathElem, text []byte, isKey bool) {
	type frame struct {
		object, wantKey bool
	}
	var frames []frame
	for i := 0; i < len(raw) && i <= at; i++ {
		top := len(frames) - 1
		switch raw[i] {
		case '{':
			frames = append(frames, frame{object: true, wantKey: true})
			path = append(path, pathElem{index: -1})
		case '[':
			frames = append(frames, frame{})
			path = append(path, pathElem{index: 0})
		case '}', ']':
			frames, path = frames[:top], path[:top]
		case ',':
			if frames[top].object {
				frames[top].wantKey = true
			} else {
				path[top].index++
			}
		case ':':
			frames[top].wantKey = false
		case '"':
			end := stringEnd(raw, i+1)
			if top >= 0 && frames[top].wantKey {
				path[top].key = raw[i+1 : end]
				if at < end {
					return path[:top+1], raw[i+1 : end], true
				}
			} else if at < end {
				return trimEmpty(path), raw[i+1 : end], false
			}
			i = end
		}
	}
	return trimEmpty(path), nil, false
}

// trimEmpty drops the root object's step, which has no key yet when the
// path ends there.
func trimEmpty(path []pathElem) []pathElem {
	if n := len(path); n > 0 && path[n-1].index < 0 && path[n-1].key == nil {
		return path[:n-1]
	}
	return path
}

// stringEnd returns the index of the quote closing the string whose
// content starts at raw[i].
func stringEnd(raw []byte, i int) int {
	for i < len(raw) && raw[i] != '"' {
		if raw[i] == '\\' {
			i++
		}
		i++
	}
	return i
}

// valueAt follows path (keys as written) from v.
func valueAt(v *fastjson.Value, path []pathElem) *fastjson.Value {
	for _, e := range path {
		if v == nil {
			return nil
		}
		if e.index >= 0 {
			v = v.Get(strconv.Itoa(e.index))
		} else {
			v = v.Get(string(e.key))
		}
	}
	return v
}
