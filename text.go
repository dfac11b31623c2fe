package burdenwatch

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Length limits of the event's string fields (docs/decoding.md). Codes and
// ids are counted in bytes, free text in characters.
const (
	MaxCodeBytes   = 64  // event_id, deployment_doc_id, issuer.code, plan_code, inspection_code, form_id
	MaxNameChars   = 100 // issuer.name, source
	MaxTitleChars  = 200 // meeting and data report titles, inspection topic
	MaxDocNoChars  = 64  // payload.doc_number
	MaxVetoItems   = 32  // entries of payload.veto_items
	MaxVetoChars   = 50  // one entry of payload.veto_items
	MaxNesting     = 32  // depth of objects and arrays in a message
	maxShownBytes  = 96  // a longer value is shortened in the middle in reasons
	shownHeadBytes = 56
	shownTailBytes = 32
)

// rawProblem is what the byte scan of a message found wrong in a string.
type rawProblem struct {
	code string // Reason* constant
	msg  string
	at   int // offset in the message of the bad byte or escape; -1 for the whole message
}

// invalidUTF8 names the first byte of raw that is not UTF-8.
func invalidUTF8(raw []byte) *rawProblem {
	for i := 0; i < len(raw); {
		r, size := utf8.DecodeRune(raw[i:])
		if r == utf8.RuneError && size <= 1 {
			return &rawProblem{ReasonInvalidUTF8, "contains the byte " + hexByte(raw[i]) + ", which is not valid UTF-8", i}
		}
		i += size
	}
	return nil
}

// plainByte marks the bytes a string of valid UTF-8 may hold without a
// closer look: all but controls, '"', '\\' and 0xC2 (which starts the C1
// controls U+0080–U+009F).
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\' && c != 0x7f && c != 0xc2
	}
	return t
}()

// scanString checks the string of valid UTF-8 whose content starts at
// raw[i]. It returns the index of its closing quote (or of the problem)
// and whether the string holds an escape.
func scanString(raw []byte, i int) (int, bool, *rawProblem) {
	escaped := false
	for i < len(raw) {
		for i < len(raw) && plainByte[raw[i]] {
			i++
		}
		if i == len(raw) {
			break
		}
		switch c := raw[i]; {
		case c == '"':
			return i, escaped, nil
		case c == '\\':
			n, p := scanEscape(raw, i+1)
			if p != nil {
				return i, true, p
			}
			i, escaped = n, true
		case c == 0xc2:
			if i+1 < len(raw) && raw[i+1] < 0xa0 {
				return i, escaped, &rawProblem{ReasonControlChar, "contains control character " + runeName(rune(raw[i+1])), 0}
			}
			i += 2
		default:
			return i, escaped, &rawProblem{ReasonControlChar, "contains control character " + runeName(rune(c)), 0}
		}
	}
	return i, escaped, nil // unterminated: fastjson has refused it already
}

// scanEscape checks the escape after a backslash at raw[i] and returns the
// index after it.
func scanEscape(raw []byte, i int) (int, *rawProblem) {
	if i >= len(raw) {
		return i, &rawProblem{ReasonNotJSON, "ends inside an escape", 0}
	}
	switch raw[i] {
	case '"', '\\', '/':
		return i + 1, nil
	case 'b', 'f', 'n', 'r', 't':
		return i, &rawProblem{ReasonControlChar, "contains the escaped control character \\" + string(raw[i]), 0}
	case 'u':
	default:
		return i, &rawProblem{ReasonNotJSON, "contains the invalid escape " + strconv.Quote("\\"+string(raw[i:i+1])), 0}
	}
	r, ok := hex4(raw, i+1)
	if !ok {
		return i, &rawProblem{ReasonNotJSON, "contains a \\u escape without 4 hex digits", 0}
	}
	i += 5
	switch {
	case r < 0x20 || r >= 0x7f && r <= 0x9f:
		return i, &rawProblem{ReasonControlChar, "contains the escaped control character " + runeName(r), 0}
	case r >= 0xdc00 && r <= 0xdfff:
		return i, &rawProblem{ReasonInvalidUTF8, "contains the escaped lone surrogate " + runeName(r) + ", which is not a character", 0}
	case r >= 0xd800 && r <= 0xdbff:
		lo, ok := rune(0), i+1 < len(raw) && raw[i] == '\\' && raw[i+1] == 'u'
		if ok {
			lo, ok = hex4(raw, i+2)
		}
		if !ok || lo < 0xdc00 || lo > 0xdfff {
			return i, &rawProblem{ReasonInvalidUTF8, "contains the escaped lone surrogate " + runeName(r) + ", which is not a character", 0}
		}
		return i + 6, nil
	}
	return i, nil
}

func hex4(raw []byte, i int) (rune, bool) {
	if i+4 > len(raw) {
		return 0, false
	}
	var r rune
	for _, c := range raw[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// codeProblem is why s cannot be a code or an id: only letters, digits,
// punctuation and symbols, so that two codes that look the same are the
// same. An ASCII space is a bad value; other spaces, invisible format
// characters (U+00AD, U+200B…), marks and private or unassigned code
// points are invisible characters.
func codeProblem(s string) (code, msg string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > 0x20 && c < 0x7f {
			continue
		}
		if c == ' ' {
			return ReasonBadValue, "contains a space at byte " + strconv.Itoa(i) + "; a code may not contain spaces"
		}
		r, _ := utf8.DecodeRuneInString(s[i:])
		if r < utf8.RuneSelf || r == utf8.RuneError ||
			!unicode.In(r, unicode.L, unicode.N, unicode.P, unicode.S) {
			return ReasonInvisibleChar, "contains " + runeName(r) + " at byte " + strconv.Itoa(i) +
				"; a code may not contain spaces or invisible characters"
		}
		i += utf8.RuneLen(r) - 1
	}
	return "", ""
}

// bidiProblem refuses the bidirectional controls that reorder how text is
// shown (U+202A–U+202E, U+2066–U+2069) in free text.
func bidiProblem(s string) string {
	if strings.IndexByte(s, 0xe2) < 0 { // all of them start with 0xE2
		return ""
	}
	for i, r := range s {
		if r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
			return "contains the bidirectional control " + runeName(r) + " at byte " + strconv.Itoa(i)
		}
	}
	return ""
}

// runeName writes a code point as U+XXXX, with its name for the usual
// invisible ones.
func runeName(r rune) string {
	s := "U+" + strings.ToUpper(strconv.FormatInt(int64(r), 16))
	for len(s) < 6 {
		s = "U+0" + s[2:]
	}
	if n, ok := invisibleNames[r]; ok {
		s += " (" + n + ")"
	}
	return s
}

var invisibleNames = map[rune]string{
	0x00: "NUL", 0x09: "TAB", 0x0a: "LINE FEED", 0x0d: "CARRIAGE RETURN", 0x20: "SPACE",
	0xa0: "NO-BREAK SPACE", 0xad: "SOFT HYPHEN", 0x200b: "ZERO WIDTH SPACE",
	0x200c: "ZERO WIDTH NON-JOINER", 0x200d: "ZERO WIDTH JOINER", 0x200e: "LEFT-TO-RIGHT MARK",
	0x200f: "RIGHT-TO-LEFT MARK", 0x2060: "WORD JOINER", 0x3000: "IDEOGRAPHIC SPACE",
	0xfeff: "ZERO WIDTH NO-BREAK SPACE", 0x202e: "RIGHT-TO-LEFT OVERRIDE",
}

func hexByte(c byte) string {
	const digits = "0123456789ABCDEF"
	return "0x" + string([]byte{digits[c>>4], digits[c&0xf]})
}

// quoteValue renders a string value for a reason: quoted, every invisible
// or invalid byte escaped (strconv.Quote: "notice\u00ad", "\xff"), and a
// long value shortened in the middle.
func quoteValue(s string) string {
	head, tail, omitted := shorten(s)
	if omitted == 0 {
		return strconv.Quote(s)
	}
	q := strconv.Quote(head)
	return q[:len(q)-1] + "…(" + strconv.Itoa(omitted) + " bytes)…" + strconv.Quote(tail)[1:]
}

// showRaw renders a JSON value as written (a number, an object…) for a
// reason, escaped like quoteValue but without quotes.
func showRaw(s string) string {
	head, tail, omitted := shorten(s)
	if omitted == 0 {
		return escapeInvisible(s)
	}
	return escapeInvisible(head) + "…(" + strconv.Itoa(omitted) + " bytes)…" + escapeInvisible(tail)
}

func escapeInvisible(s string) string {
	if isPrintableASCII(s) {
		return s
	}
	q := strconv.Quote(s)
	return strings.ReplaceAll(q[1:len(q)-1], `\"`, `"`)
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// shorten splits a long s into a head and a tail cut at character
// boundaries, and says how many bytes lie between them. Long is by the
// width s is shown at, escapes included: a name of 70 control bytes is
// 280 characters once escaped (FuzzDecode found a reason of 601 bytes).
func shorten(s string) (head, tail string, omitted int) {
	if !shownWider(s, maxShownBytes) {
		return s, "", 0
	}
	h, width := 0, 0
	for h < len(s) {
		r, n := utf8.DecodeRuneInString(s[h:])
		if width += runeWidth(r, n); width > shownHeadBytes {
			break
		}
		h += n
	}
	t, width := len(s), 0
	for t > h {
		r, n := utf8.DecodeLastRuneInString(s[:t])
		if width += runeWidth(r, n); width > shownTailBytes {
			break
		}
		t -= n
	}
	return s[:h], s[t:], t - h
}

// shownWider reports whether s may take more than max characters in a
// reason. It stops at the first max characters: a value of a megabyte is
// not walked to its end.
func shownWider(s string, max int) bool {
	w := 0
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if w += runeWidth(r, n); w > max {
			return true
		}
		i += n
	}
	return false
}

// runeWidth is at most how many characters strconv.Quote shows the rune r
// (n bytes of the input) as: itself, or an escape (\x1e, \u00ad,
// \U000e0001; an invalid byte \xff).
func runeWidth(r rune, n int) int {
	switch {
	case r == utf8.RuneError && n == 1:
		return 4
	case r == '"' || r == '\\':
		return 2
	case r < utf8.RuneSelf && r >= 0x20 && r != 0x7f:
		return 1
	case r < utf8.RuneSelf:
		return 4
	case strconv.IsPrint(r):
		return n
	case r < 0x10000:
		return 6
	}
	return 10
}
