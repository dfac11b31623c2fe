package burdenwatch

import (
	"math"
	"strconv"

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
	return truncate(string(x.MarshalTo(nil)), 80)
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

// uint reads an integer in [0, 2^32).
func (r *reader) uint(key string, required bool) uint32 {
	x := r.get(key, required)
	if x == nil {
		return 0
	}
	if x.Type() != fastjson.TypeNumber {
		r.fail(ReasonWrongType, key, "must be an integer")
		return 0
	}
	f, err := x.Float64()
	if err != nil || f != math.Trunc(f) {
		r.fail(ReasonWrongType, key, "must be an integer")
		return 0
	}
	if f < 0 || f > math.MaxUint32 {
		r.fail(ReasonBadValue, key, "must be between 0 and "+strconv.FormatUint(math.MaxUint32, 10))
		return 0
	}
	return uint32(f)
}

// positive reads a required integer > 0.
func (r *reader) positive(key string) uint32 {
	n := r.uint(key, true)
	if r.err == nil && n == 0 {
		r.fail(ReasonBadValue, key, "must be greater than 0")
	}
	return n
}

func (r *reader) strings(key string) []string {
	x := r.get(key, false)
	if x == nil {
		return nil
	}
	arr, err := x.Array()
	if err != nil {
		r.fail(ReasonWrongType, key, "must be an array of strings")
		return nil
	}
	out := make([]string, 0, len(arr))
	for i, a := range arr {
		b, err := a.StringBytes()
		if err != nil || len(b) == 0 {
			r.failValue(ReasonWrongType, key+"["+strconv.Itoa(i)+"]", truncate(string(a.MarshalTo(nil)), 80), "must be a non-empty string")
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
