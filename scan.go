package burdenwatch

import (
	"strconv"
	"unicode/utf8"
)

// scanner checks the raw bytes of a message that fastjson parsed, in one
// pass: every string (keys included) valid UTF-8 with valid escapes, no
// control character raw or escaped, no lone surrogate; every number a JSON
// number (fastjson also takes "NaN", "+1", "01" and "1-2"); the nesting
// depth; and no key twice in an object, comparing keys as written. A key
// written with an escape leaves the duplicate check to the checker, which
// compares keys unescaped.
type scanner struct {
	keys      []span // keys of the open objects, as written: offsets, so that keeping them costs no write barrier
	frames    []int  // per open object or array: where its keys start in keys, -1 for an array
	duplicate bool   // a key appeared twice
	escaped   bool   // a key was written with an escape, or an object has many keys
}

// scan returns the first problem of raw, or nil. Afterwards s.duplicate
// and s.escaped say whether the checker must look at the keys.
func (s *scanner) scan(raw []byte) *rawProblem {
	s.keys, s.frames, s.duplicate, s.escaped = s.keys[:0], s.frames[:0], false, false
	if !utf8.Valid(raw) {
		return invalidUTF8(raw)
	}
	wantKey := false
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; c {
		case ' ', '\t', '\n', '\r', ':':
		case '{', '[':
			if len(s.frames) >= MaxNesting {
				return &rawProblem{ReasonTooDeep, "nests objects and arrays deeper than " + strconv.Itoa(MaxNesting) + " levels", -1}
			}
			start := -1
			if c == '{' {
				start, wantKey = len(s.keys), true
			}
			s.frames = append(s.frames, start)
		case '}', ']':
			if n := len(s.frames); n > 0 {
				if start := s.frames[n-1]; start >= 0 {
					s.keys = s.keys[:start]
				}
				s.frames = s.frames[:n-1]
			}
			wantKey = false
		case ',':
			wantKey = len(s.frames) > 0 && s.frames[len(s.frames)-1] >= 0
		case '"':
			end, escaped, p := scanString(raw, i+1)
			if p != nil {
				p.at = end
				return p
			}
			if wantKey {
				s.key(raw, span{int32(i + 1), int32(end)}, escaped)
				wantKey = false
			}
			i = end
		case 't', 'f', 'n':
			n := literal(raw[i:])
			if n == 0 {
				return &rawProblem{ReasonNotJSON, "has a value that is not a JSON number or literal", i}
			}
			i += n - 1
		default:
			j := i
			for j < len(raw) && numberByte[raw[j]] {
				j++
			}
			if j == i || !jsonNumber(raw[i:j]) {
				return &rawProblem{ReasonNotJSON, "has a value that is not a JSON number or literal", i}
			}
			i = j - 1
		}
	}
	return nil
}

// span is the offsets of a key's text in the message.
type span struct{ from, to int32 }

// key records the key raw[k.from:k.to] of the innermost object.
func (s *scanner) key(raw []byte, k span, escaped bool) {
	if escaped {
		s.escaped = true
	}
	start := s.frames[len(s.frames)-1]
	if len(s.keys)-start >= maxScannedKeys {
		s.escaped = true // too many to compare pairwise: the checker uses a map
		return
	}
	key := raw[k.from:k.to]
	for _, prev := range s.keys[start:] {
		if prev.to-prev.from == k.to-k.from && string(raw[prev.from:prev.to]) == string(key) {
			s.duplicate = true
		}
	}
	s.keys = append(s.keys, k)
}

// numberByte marks the bytes fastjson takes into a number.
var numberByte = func() (t [256]bool) {
	for _, c := range []byte("0123456789+-.eEinfaINFA") {
		t[c] = true
	}
	return t
}()

// literal returns the length of the true, false or null that b starts
// with, or 0.
func literal(b []byte) int {
	for _, l := range [...]string{"true", "false", "null"} {
		if len(b) >= len(l) && string(b[:len(l)]) == l {
			return len(l)
		}
	}
	return 0
}
