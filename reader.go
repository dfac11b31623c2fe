package burdenwatch

import (
	"bytes"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// reader reads typed fields from one JSON object and keeps the first
// validation error, with the field's full path. After an error every read
// returns a zero value, so decoding code reads straight through.
type reader struct {
	v      *fastjson.Value
	prefix string // path of this object, e.g. "payload."
	err    *ValidationError
}

func (r *reader) path(key string) string { return r.prefix + key }

func (r *reader) fail(code, key, msg string) {
	r.failValue(code, key, r.show(key), msg)
}

func (r *reader) failValue(code, key, value, msg string) {
	if r.err == nil {
		r.err = &ValidationError{Code: code, Field: r.path(key), Value: value, Msg: msg}
	}
}

// show renders the value of key as written in the message.
func (r *reader) show(key string) string {
	if r.v == nil {
		return "(missing)"
	}
	x := r.v.Get(key)
	if x == nil {
		return "(missing)"
	}
	return showValue(x)
}

// get returns the value of key, or nil after recording an error when it is
// required and missing (or null).
func (r *reader) get(key string, required bool) *fastjson.Value {
	if r.err != nil || r.v == nil {
		return nil
	}
	x := r.v.Get(key)
	if x == nil || x.Type() == fastjson.TypeNull {
		if required {
			r.failValue(ReasonMissingField, key, "(missing)", "is required")
		}
		return nil
	}
	return x
}

func (r *reader) str(key string, required bool) string {
	x := r.get(key, required)
	if x == nil {
		return ""
	}
	b, err := x.StringBytes()
	if err != nil {
		r.fail(ReasonWrongType, key, "must be a string")
		return ""
	}
	if required && len(b) == 0 {
		r.fail(ReasonMissingField, key, "must not be empty")
		return ""
	}
	return string(b)
}

// code reads a code of at most max bytes, with no space or invisible
// character in it.
func (r *reader) code(key string, required bool, max int) string {
	return r.checked(key, required, max, checkCode)
}

// text reads free text of at most max characters, with no bidirectional
// control in it.
func (r *reader) text(key string, required bool, max int) string {
	return r.checked(key, required, max, checkText)
}

// id reads an event id: 1–64 characters of A-Z a-z 0-9 . _ : -.
func (r *reader) id(key string, required bool) string {
	s := r.code(key, required, 1<<30)
	if r.err == nil && s != "" && !validEventID(s) {
		r.fail(ReasonBadValue, key, "must be an event id: 1–64 characters of A-Z a-z 0-9 . _ : -")
		return ""
	}
	return s
}

func (r *reader) checked(key string, required bool, max int, check func(string, int) (string, string)) string {
	s := r.str(key, required)
	if r.err != nil || s == "" {
		return s
	}
	if code, msg := check(s, max); code != "" {
		r.fail(code, key, msg)
		return ""
	}
	return s
}

// checkCode says why s is not a code of at most max bytes.
func checkCode(s string, max int) (code, msg string) {
	if len(s) > max {
		return ReasonTooLong, "is " + strconv.Itoa(len(s)) + " bytes long; a code has at most " + strconv.Itoa(max)
	}
	return codeProblem(s)
}

// checkText says why s is not a text of at most max characters.
func checkText(s string, max int) (code, msg string) {
	if n := utf8.RuneCountInString(s); n > max {
		return ReasonTooLong, "is " + strconv.Itoa(n) + " characters long; the limit is " + strconv.Itoa(max)
	}
	if msg := bidiProblem(s); msg != "" {
		return ReasonInvisibleChar, msg
	}
	return "", ""
}

func (r *reader) enum(key string, required bool, code string, allowed ...string) string {
	s := r.str(key, required)
	if r.err != nil || s == "" {
		return s
	}
	for _, a := range allowed {
		if s == a {
			return a
		}
	}
	msg := "must be one of"
	for i, a := range allowed {
		if i > 0 {
			msg += ","
		}
		msg += " " + a
	}
	r.fail(code, key, msg)
	return ""
}

func (r *reader) boolean(key string, required bool) bool {
	x := r.get(key, required)
	if x == nil {
		return false
	}
	b, err := x.Bool()
	if err != nil {
		r.fail(ReasonWrongType, key, "must be true or false")
	}
	return b
}

// uint reads an integer in [0, 2^32), written as an integer literal: no
// fraction, no exponent ("1.0", "1e3" and "1e-400" are refused).
func (r *reader) uint(key string, required bool) uint32 {
	x := r.get(key, required)
	if x == nil {
		return 0
	}
	if x.Type() != fastjson.TypeNumber {
		r.fail(ReasonWrongType, key, "must be an integer")
		return 0
	}
	if n, err := x.Uint64(); err == nil && n <= math.MaxUint32 {
		return uint32(n) // digits only: the JSON grammar check refused leading zeros
	}
	lit := x.MarshalTo(nil)
	digits := bytes.TrimPrefix(lit, []byte("-"))
	if len(digits) == 0 || skipDigits(digits, 0) != len(digits) {
		r.fail(ReasonWrongType, key, "must be an integer literal, without fraction or exponent")
		return 0
	}
	r.fail(ReasonBadValue, key, "must be between 0 and "+strconv.FormatUint(math.MaxUint32, 10))
	return 0
}

// positive reads a required integer > 0.
func (r *reader) positive(key string) uint32 {
	n := r.uint(key, true)
	if r.err == nil && n == 0 {
		r.fail(ReasonBadValue, key, "must be greater than 0")
	}
	return n
}

// strings reads an array of at most maxItems texts of 1–maxChars characters.
func (r *reader) strings(key string, maxItems, maxChars int) []string {
	x := r.get(key, false)
	if x == nil {
		return nil
	}
	arr, err := x.Array()
	if err != nil {
		r.fail(ReasonWrongType, key, "must be an array of strings")
		return nil
	}
	if len(arr) > maxItems {
		r.fail(ReasonTooLong, key, "has "+strconv.Itoa(len(arr))+" entries; the limit is "+strconv.Itoa(maxItems))
		return nil
	}
	if len(arr) == 0 {
		return nil // as if missing: the encoder writes both as []
	}
	out := make([]string, 0, len(arr))
	for i, a := range arr {
		at := key + "[" + strconv.Itoa(i) + "]"
		b, err := a.StringBytes()
		if err != nil || len(b) == 0 {
			r.failValue(ReasonWrongType, at, showValue(a), "must be a non-empty string")
			return nil
		}
		if code, msg := checkText(string(b), maxChars); code != "" {
			r.failValue(code, at, showValue(a), msg)
			return nil
		}
		out = append(out, string(b))
	}
	return out
}

// object returns a reader of the required object under key.
func (r *reader) object(key string) reader {
	sub := reader{prefix: r.path(key) + "."}
	x := r.get(key, true)
	if x == nil {
		sub.err = r.err
		return sub
	}
	if x.Type() != fastjson.TypeObject {
		r.fail(ReasonWrongType, key, "must be an object")
		sub.err = r.err
		return sub
	}
	sub.v = x
	return sub
}

// adopt takes over the first error of a sub-object reader.
func (r *reader) adopt(sub *reader) {
	if r.err == nil && sub.err != nil {
		r.err = sub.err
	}
}
