package burdenwatch

import (
	"math"
	"time"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// The one-pass decoder.
//
// Decoding a valid message takes one pass over its bytes (onePass.parse):
// the pass checks what fastjson and the strict scanner check (JSON grammar,
// UTF-8, control characters raw or escaped, lone surrogates, the number
// grammar, the nesting depth, duplicate keys), hands each member of the
// envelope, the issuer and the payload to its slot by key, and leaves every
// string in place in the message (or, when it holds an escape, unescaped
// into a buffer). onePass.event then reads the slots with the rules of
// reader.go and builds the event.
//
// The pass accepts only what the full decoder (decodeFull: fastjson, the
// scanner, the checker and reader) accepts, with the same event. On any
// problem, and on a few rare valid forms (a key written with an escape, an
// object with more than maxScannedKeys unknown keys, a timestamp written
// in a form Go's parser takes but parseTimestamp does not), it gives up and
// the full decoder decides: every refusal and its reason is the full
// decoder's, word for word.

// Types of a slot's value.
const (
	vAbsent byte = iota
	vNull
	vString
	vUint   // an integer literal in [0, 2^32)
	vNumber // any other number
	vTrue
	vFalse
	vObject
	vArray
)

// slot is the value of one known member, as the pass found it. It holds
// no pointer, so that filling it costs no write barrier.
type slot struct {
	t        byte
	inBuf    bool   // vString: the content is onePass.buf[from:to] (unescaped), else the message's
	n        uint32 // vUint
	from, to int32  // vString: where the content is
	runes    int32  // vString: its characters, when it has no escape and no byte 0xE2 (which starts the bidi controls); else -1
}

// absent is the slot of a member the message does not have.
var absent slot

// The objects whose members the pass hands to slots, and the array it
// collects.
const (
	objOther = iota
	objTop
	objIssuer
	objPayload
	arrVeto // payload.veto_items
)

// Slots of the envelope.
const (
	tEventID = iota
	tRevision
	tKind
	tOccurredAt
	tCountyCode
	tUnitCode
	tTargetLevel
	tIssuer
	tSource
	tPayload
	nTop
)

// Slots of the issuer.
const (
	iCode = iota
	iName
	iLevel
	iKind
	nIssuer
)

// Slots of the payload, the members of every kind together (the kind may
// come after the payload in the message).
const (
	pCategory = iota
	pPlanCode
	pInspectionCode
	pApproved
	pMode
	pOnSite
	pEndAt
	pTeamSize
	pAccompanying
	pPrincipalAccompanied
	pMaterialsRequested
	pComprehensiveMaterial
	pSampledUnits
	pTotalUnits
	pDeploymentDocID
	pTopic
	pAccountabilityDemanded
	pTitle
	pDurationMinutes
	pAttendees
	pFormat
	pScale
	pCascadeRequired
	pDocNumber
	pDocType
	pPages
	pRequiresSupportingDocs
	pRequiresUpwardReport
	pVetoItems
	pPledges
	pFormID
	pFields
	pDuplicateFields
	pEstimatedMinutes
	pFrequency
	pViaPlatform
	pApprovedSurvey
	nPayload
)

func topSlot(k string) (int, int) {
	switch k {
	case "event_id":
		return tEventID, objOther
	case "revision":
		return tRevision, objOther
	case "kind":
		return tKind, objOther
	case "occurred_at":
		return tOccurredAt, objOther
	case "county_code":
		return tCountyCode, objOther
	case "unit_code":
		return tUnitCode, objOther
	case "target_level":
		return tTargetLevel, objOther
	case "issuer":
		return tIssuer, objIssuer
	case "source":
		return tSource, objOther
	case "payload":
		return tPayload, objPayload
	}
	return -1, objOther
}

func issuerSlot(k string) int {
	switch k {
	case "code":
		return iCode
	case "name":
		return iName
	case "level":
		return iLevel
	case "kind":
		return iKind
	}
	return -1
}

func payloadSlot(k string) int {
	switch k {
	case "category":
		return pCategory
	case "plan_code":
		return pPlanCode
	case "inspection_code":
		return pInspectionCode
	case "approved":
		return pApproved
	case "mode":
		return pMode
	case "on_site":
		return pOnSite
	case "end_at":
		return pEndAt
	case "team_size":
		return pTeamSize
	case "accompanying":
		return pAccompanying
	case "principal_accompanied":
		return pPrincipalAccompanied
	case "materials_requested":
		return pMaterialsRequested
	case "comprehensive_material":
		return pComprehensiveMaterial
	case "sampled_units":
		return pSampledUnits
	case "total_units":
		return pTotalUnits
	case "deployment_doc_id":
		return pDeploymentDocID
	case "topic":
		return pTopic
	case "accountability_demanded":
		return pAccountabilityDemanded
	case "title":
		return pTitle
	case "duration_minutes":
		return pDurationMinutes
	case "attendees":
		return pAttendees
	case "format":
		return pFormat
	case "scale":
		return pScale
	case "cascade_required":
		return pCascadeRequired
	case "doc_number":
		return pDocNumber
	case "doc_type":
		return pDocType
	case "pages":
		return pPages
	case "requires_supporting_docs":
		return pRequiresSupportingDocs
	case "requires_upward_report":
		return pRequiresUpwardReport
	case "veto_items":
		return pVetoItems
	case "pledges":
		return pPledges
	case "form_id":
		return pFormID
	case "fields":
		return pFields
	case "duplicate_fields":
		return pDuplicateFields
	case "estimated_minutes":
		return pEstimatedMinutes
	case "frequency":
		return pFrequency
	case "via_platform":
		return pViaPlatform
	case "approved_survey":
		return pApprovedSurvey
	}
	return -1
}

// onePass is the state of the one-pass decoder, kept by a Decoder so that
// its buffers are reused from message to message.
type onePass struct {
	raw  []byte
	buf  []byte   // strings of raw that hold escapes, unescaped
	keys []span   // unknown keys of the open objects, for the duplicate check
	veto []slot   // the strings of payload.veto_items
	out  []string // DecodeView's VetoItems
	// vetoOther: payload.veto_items holds a value that is not a string.
	vetoOther bool

	topSeen, issuerSeen, payloadSeen uint64 // bit i: slot i was found
	top                              [nTop]slot
	issuer                           [nIssuer]slot
	payload                          [nPayload]slot
	scratch                          slot // the value of an unknown member or an array element
}

// parse makes the pass over raw. It returns false on any problem, and on
// the valid forms it leaves to the full decoder.
func (p *onePass) parse(raw []byte) bool {
	p.raw, p.buf, p.keys, p.veto, p.vetoOther = raw, p.buf[:0], p.keys[:0], p.veto[:0], false
	p.topSeen, p.issuerSeen, p.payloadSeen = 0, 0, 0
	if len(raw) > math.MaxInt32 { // slots keep 32-bit offsets
		return false
	}
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return false
	}
	i, ok := p.object(i, 1, objTop)
	if !ok {
		return false
	}
	return skipSpace(raw, i) == len(raw)
}

// skipSpace returns the index of the first byte at or after raw[i] that is
// not JSON white space.
func skipSpace(raw []byte, i int) int {
	if i < len(raw) && raw[i] > ' ' {
		return i
	}
	for i < len(raw) {
		switch raw[i] {
		case ' ', '\n', '\t', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// object reads the object that starts at raw[i] ('{'), at nesting depth
// depth, handing its members to the slots of obj. It returns the index
// after the object.
func (p *onePass) object(i, depth, obj int) (int, bool) {
	if depth > MaxNesting {
		return 0, false
	}
	raw := p.raw
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return i + 1, true
	}
	keys := len(p.keys)
	ok := false
	for {
		if i >= len(raw) || raw[i] != '"' {
			return 0, false
		}
		from := i + 1
		next := from // most keys are plain ASCII: no call
		for next < len(raw) && plainASCII[raw[next]] {
			next++
		}
		if next < len(raw) && raw[next] == '"' {
			next++
		} else if next, _, _, _, _, ok = p.str(from, true); !ok {
			return 0, false
		}
		k := alias(raw[from : next-1])
		i = skipSpace(raw, next)
		if i >= len(raw) || raw[i] != ':' {
			return 0, false
		}
		i = skipSpace(raw, i+1)
		v, sub := p.member(obj, k)
		if v == nil {
			if !p.newKey(keys, span{int32(from), int32(next - 1)}) {
				return 0, false
			}
			v, sub = &p.scratch, objOther
		}
		if i, ok = p.value(i, depth, v, sub); !ok {
			return 0, false
		}
		i = skipSpace(raw, i)
		if i >= len(raw) {
			return 0, false
		}
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case '}':
			p.keys = p.keys[:keys]
			return i + 1, true
		default:
			return 0, false
		}
	}
}

// member returns the slot of key k of an object obj, and how to read its
// value when it is an object or an array; nil when k is not a member the
// pass hands to a slot.
func (p *onePass) member(obj int, k string) (*slot, int) {
	switch obj {
	case objTop:
		i, sub := topSlot(k)
		if i < 0 {
			return nil, objOther
		}
		return p.claim(&p.topSeen, i, &p.top[i]), sub
	case objIssuer:
		i := issuerSlot(k)
		if i < 0 {
			return nil, objOther
		}
		return p.claim(&p.issuerSeen, i, &p.issuer[i]), objOther
	case objPayload:
		i := payloadSlot(k)
		if i < 0 {
			return nil, objOther
		}
		sub := objOther
		if i == pVetoItems {
			sub = arrVeto
		}
		return p.claim(&p.payloadSeen, i, &p.payload[i]), sub
	}
	return nil, objOther
}

// claim marks slot i of an object found and returns v. A member found
// twice gets duplicate, which value refuses to fill: the pass fails.
func (p *onePass) claim(seen *uint64, i int, v *slot) *slot {
	if *seen&(1<<i) != 0 {
		return &duplicate
	}
	*seen |= 1 << i
	return v
}

// duplicate is the slot handed out for a known member found twice; value
// refuses to fill it.
var duplicate slot

// newKey records the unknown key raw[k.from:k.to] of the object whose
// unknown keys start at p.keys[start], and reports whether the pass can
// go on: not when the key is a duplicate or the object has too many keys
// to compare pairwise (the full decoder uses a map).
func (p *onePass) newKey(start int, k span) bool {
	if len(p.keys)-start >= maxScannedKeys {
		return false
	}
	key := p.raw[k.from:k.to]
	for _, prev := range p.keys[start:] {
		if string(p.raw[prev.from:prev.to]) == string(key) {
			return false
		}
	}
	p.keys = append(p.keys, k)
	return true
}

// value reads the value at raw[i] into v; sub says how to read it when it
// is an object or an array. It returns the index after the value.
func (p *onePass) value(i, depth int, v *slot, sub int) (int, bool) {
	raw := p.raw
	if i >= len(raw) || v == &duplicate {
		return 0, false
	}
	switch c := raw[i]; c {
	case '"':
		next, from, to, inBuf, runes, ok := p.str(i+1, false)
		v.t, v.from, v.to, v.inBuf, v.runes = vString, int32(from), int32(to), inBuf, int32(runes)
		return next, ok
	case '{':
		obj := objOther
		if sub == objIssuer || sub == objPayload {
			obj = sub
		}
		next, ok := p.object(i, depth+1, obj)
		v.t = vObject
		return next, ok
	case '[':
		next, ok := p.array(i, depth+1, sub == arrVeto)
		v.t = vArray
		return next, ok
	case 't':
		v.t = vTrue
		return i + 4, i+4 <= len(raw) && string(raw[i:i+4]) == "true"
	case 'f':
		v.t = vFalse
		return i + 5, i+5 <= len(raw) && string(raw[i:i+5]) == "false"
	case 'n':
		v.t = vNull
		return i + 4, i+4 <= len(raw) && string(raw[i:i+4]) == "null"
	}
	return p.number(i, v)
}

// array reads the array that starts at raw[i] ('['); veto says it is
// payload.veto_items, whose strings it collects.
func (p *onePass) array(i, depth int, veto bool) (int, bool) {
	if depth > MaxNesting {
		return 0, false
	}
	raw := p.raw
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == ']' {
		return i + 1, true
	}
	for {
		var ok bool
		if i, ok = p.value(i, depth, &p.scratch, objOther); !ok {
			return 0, false
		}
		if veto {
			if p.scratch.t == vString {
				p.veto = append(p.veto, p.scratch)
			} else {
				p.vetoOther = true
			}
		}
		i = skipSpace(raw, i)
		if i >= len(raw) {
			return 0, false
		}
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case ']':
			return i + 1, true
		default:
			return 0, false
		}
	}
}

// number reads the JSON number at raw[i].
func (p *onePass) number(i int, v *slot) (int, bool) {
	raw := p.raw
	j := i
	neg := raw[j] == '-'
	if neg {
		j++
	}
	if j >= len(raw) {
		return 0, false
	}
	var n uint64
	digits := 0
	switch c := raw[j]; {
	case c == '0':
		j, digits = j+1, 1
	case c >= '1' && c <= '9':
		for ; j < len(raw) && raw[j] >= '0' && raw[j] <= '9'; j++ {
			if digits < 11 {
				n = n*10 + uint64(raw[j]-'0')
			}
			digits++
		}
	default:
		return 0, false
	}
	integer := !neg && digits <= 10 && n <= math.MaxUint32
	if j < len(raw) && raw[j] == '.' {
		k := skipDigits(raw, j+1)
		if k == j+1 {
			return 0, false
		}
		j, integer = k, false
	}
	if j < len(raw) && (raw[j] == 'e' || raw[j] == 'E') {
		j++
		if j < len(raw) && (raw[j] == '+' || raw[j] == '-') {
			j++
		}
		k := skipDigits(raw, j)
		if k == j {
			return 0, false
		}
		j, integer = k, false
	}
	if integer {
		v.t, v.n = vUint, uint32(n)
	} else {
		v.t = vNumber
	}
	return j, true
}

// plainASCII marks the bytes a string holds as they are: printable ASCII
// but '"' and '\\'.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str reads the string whose content starts at raw[i]. It returns the
// index after its closing quote; where its content is: raw[from:to], or
// p.buf[from:to] (inBuf) when it had an escape; and its length in
// characters when it has no escape and no byte 0xE2 (else -1). A key
// (isKey) with an escape fails the pass, since keys are compared as
// written.
func (p *onePass) str(i int, isKey bool) (next, from, to int, inBuf bool, runes int, ok bool) {
	raw := p.raw
	from = i
	extra := 0 // bytes after the first of the multi-byte characters
	e2 := false
	for {
		for i < len(raw) && plainASCII[raw[i]] {
			i++
		}
		if i >= len(raw) {
			return 0, 0, 0, false, 0, false
		}
		switch c := raw[i]; {
		case c == '"':
			runes = i - from - extra
			if e2 {
				runes = -1
			}
			return i + 1, from, i, false, runes, true
		case c == '\\':
			if isKey {
				return 0, 0, 0, false, 0, false
			}
			next, from, to, ok = p.unescape(from, i)
			return next, from, to, true, -1, ok
		case c >= 0x80:
			n := 3
			if c < 0xe1 || c > 0xef || c == 0xed || i+2 >= len(raw) || raw[i+1]&0xc0 != 0x80 || raw[i+2]&0xc0 != 0x80 {
				if n = runeLen(raw, i); n == 0 {
					return 0, 0, 0, false, 0, false
				}
			}
			e2 = e2 || c == 0xe2
			i, extra = i+n, extra+n-1
		default: // a control character or DEL
			return 0, 0, 0, false, 0, false
		}
	}
}

// unescape continues str at the backslash raw[i] of the string whose
// content starts at raw[from], copying the content unescaped to p.buf.
// It returns the index after the closing quote and where the content is
// in p.buf.
func (p *onePass) unescape(from, i int) (next, bufFrom, bufTo int, ok bool) {
	raw := p.raw
	start := len(p.buf)
	p.buf = append(p.buf, raw[from:i]...)
	for {
		// raw[i] is a backslash.
		if i+1 >= len(raw) {
			return 0, 0, 0, false
		}
		switch raw[i+1] {
		case '"', '\\', '/':
			p.buf = append(p.buf, raw[i+1])
			i += 2
		case 'u':
			r, ok := hex4(raw, i+2)
			if !ok {
				return 0, 0, 0, false
			}
			i += 6
			switch {
			case r < 0x20 || r >= 0x7f && r <= 0x9f, r >= 0xdc00 && r <= 0xdfff:
				return 0, 0, 0, false
			case r >= 0xd800 && r <= 0xdbff:
				if i+1 >= len(raw) || raw[i] != '\\' || raw[i+1] != 'u' {
					return 0, 0, 0, false
				}
				lo, ok := hex4(raw, i+2)
				if !ok || lo < 0xdc00 || lo > 0xdfff {
					return 0, 0, 0, false
				}
				r = utf16.DecodeRune(r, lo)
				i += 6
			}
			p.buf = utf8.AppendRune(p.buf, r)
		default:
			return 0, 0, 0, false
		}
		seg := i
	plain:
		for {
			for i < len(raw) && plainASCII[raw[i]] {
				i++
			}
			if i >= len(raw) {
				return 0, 0, 0, false
			}
			switch c := raw[i]; {
			case c == '"':
				p.buf = append(p.buf, raw[seg:i]...)
				return i + 1, start, len(p.buf), true
			case c == '\\':
				p.buf = append(p.buf, raw[seg:i]...)
				break plain
			case c >= 0x80:
				n := runeLen(raw, i)
				if n == 0 {
					return 0, 0, 0, false
				}
				i += n
			default:
				return 0, 0, 0, false
			}
		}
	}
}

// runeLen returns the length of the UTF-8 sequence at raw[i] (a byte ≥
// 0x80), or 0 when it is not valid UTF-8 or encodes a C1 control
// (U+0080–U+009F).
func runeLen(raw []byte, i int) int {
	c := raw[i]
	if (c >= 0xe1 && c <= 0xec || c == 0xee || c == 0xef) && i+2 < len(raw) &&
		raw[i+1]&0xc0 == 0x80 && raw[i+2]&0xc0 == 0x80 {
		return 3 // most of the BMP, CJK included, without a closer look
	}
	r, n := utf8.DecodeRune(raw[i:])
	if r == utf8.RuneError && n <= 1 || r >= 0x80 && r <= 0x9f {
		return 0
	}
	return n
}

// text returns the content of the string slot v.
func (p *onePass) text(v *slot) string {
	if v.inBuf {
		return alias(p.buf[v.from:v.to])
	}
	return alias(p.raw[v.from:v.to])
}

// alias returns b as a string without copying it.
func alias(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// slots reads typed values from the slots of p with the rules of reader,
// and remembers whether any was refused (the full decoder then says why).
type slots struct {
	p   *onePass
	bad bool
}

func (r *slots) str(v *slot, required bool) string {
	switch v.t {
	case vAbsent, vNull:
		r.bad = r.bad || required
		return ""
	case vString:
		r.bad = r.bad || required && v.from == v.to
		return r.p.text(v)
	}
	r.bad = true
	return ""
}

func (r *slots) code(v *slot, required bool, max int) string {
	s := r.str(v, required)
	if s != "" {
		if code, _ := checkCode(s, max); code != "" {
			r.bad = true
		}
	}
	return s
}

func (r *slots) text(v *slot, required bool, max int) string {
	s := r.str(v, required)
	if s != "" && (v.runes < 0 || int(v.runes) > max) { // else checkText passes
		if code, _ := checkText(s, max); code != "" {
			r.bad = true
		}
	}
	return s
}

// id is reader.id: an event id passes checkCode whenever it is valid.
func (r *slots) id(v *slot, required bool) string {
	s := r.str(v, required)
	if s != "" && !validEventID(s) {
		r.bad = true
	}
	return s
}

// enum returns the allowed value s is, which does not alias the message.
func (r *slots) enum(v *slot, required bool, allowed []string) string {
	s := r.str(v, required)
	if s == "" {
		return ""
	}
	for _, a := range allowed {
		if s == a {
			return a
		}
	}
	r.bad = true
	return ""
}

func (r *slots) boolean(v *slot, required bool) bool {
	switch v.t {
	case vAbsent, vNull:
		r.bad = r.bad || required
		return false
	case vTrue:
		return true
	case vFalse:
		return false
	}
	r.bad = true
	return false
}

func (r *slots) uint(v *slot, required bool) uint32 {
	switch v.t {
	case vAbsent, vNull:
		r.bad = r.bad || required
		return 0
	case vUint:
		return v.n
	}
	r.bad = true
	return 0
}

func (r *slots) positive(v *slot) uint32 {
	n := r.uint(v, true)
	r.bad = r.bad || n == 0
	return n
}

// timestamp is Decoder.timestamp for the forms parseTimestamp reads.
func (r *slots) timestamp(v *slot, required bool, loc *time.Location) time.Time {
	s := r.str(v, required)
	if s == "" {
		return time.Time{}
	}
	sec, frac, ok := parseTimestamp(s)
	if !ok || sec < minUnix || sec > maxUnix || sec == maxUnix && frac {
		r.bad = true
		return time.Time{}
	}
	return time.Unix(sec, 0).In(loc) // truncated to the second
}

var (
	minUnix = MinTimestamp.Unix()
	maxUnix = MaxTimestamp.Unix()
)

func (p *onePass) topAt(i int) *slot {
	if p.topSeen&(1<<i) == 0 {
		return &absent
	}
	return &p.top[i]
}

func (p *onePass) issuerAt(i int) *slot {
	if p.issuerSeen&(1<<i) == 0 {
		return &absent
	}
	return &p.issuer[i]
}

func (p *onePass) payloadAt(i int) *slot {
	if p.payloadSeen&(1<<i) == 0 {
		return &absent
	}
	return &p.payload[i]
}

// event builds the event of the message parse accepted, as Decoder.envelope
// and the payload readers do, and reports whether every field is valid.
// The strings of ev alias the message and p.buf, VetoItems p.out.
func (p *onePass) event(d *Decoder, ev *Event) bool {
	r := slots{p: p}
	*ev = Event{}
	ev.ID = r.id(p.topAt(tEventID), true)
	ev.Revision = r.uint(p.topAt(tRevision), false)
	ev.Kind = Kind(r.enum(p.topAt(tKind), true, kindValues))
	ev.OccurredAt = r.timestamp(p.topAt(tOccurredAt), true, d.Location)
	ev.CountyCode = r.code(p.topAt(tCountyCode), true, MaxCodeBytes)
	r.bad = r.bad || !digits(ev.CountyCode, 6)
	ev.UnitCode = r.code(p.topAt(tUnitCode), false, MaxCodeBytes)
	if u := ev.UnitCode; u != "" && (!digits(u, 9) && !digits(u, 12) || u[:6] != ev.CountyCode) {
		r.bad = true
	}
	ev.TargetLevel = Level(r.enum(p.topAt(tTargetLevel), true, levelValues))
	if p.topAt(tIssuer).t != vObject || p.topAt(tPayload).t != vObject {
		return false
	}
	ev.Issuer.Code = r.code(p.issuerAt(iCode), true, MaxCodeBytes)
	ev.Issuer.Name = r.text(p.issuerAt(iName), true, MaxNameChars)
	ev.Issuer.Level = r.enum(p.issuerAt(iLevel), true, issuerLevelValues)
	ev.Issuer.Kind = r.enum(p.issuerAt(iKind), true, issuerKindValues)
	ev.Source = r.text(p.topAt(tSource), false, MaxNameChars)
	if r.bad {
		return false
	}
	switch ev.Kind {
	case KindInspection:
		in := &ev.Inspection
		in.Category = r.enum(p.payloadAt(pCategory), true, categoryValues)
		in.PlanCode = r.code(p.payloadAt(pPlanCode), false, MaxCodeBytes)
		in.InspectionCode = r.code(p.payloadAt(pInspectionCode), false, MaxCodeBytes)
		in.Approved = r.boolean(p.payloadAt(pApproved), true)
		in.Mode = r.enum(p.payloadAt(pMode), true, modeValues)
		in.OnSite = r.boolean(p.payloadAt(pOnSite), true)
		in.EndAt = r.timestamp(p.payloadAt(pEndAt), false, d.Location)
		r.bad = r.bad || !in.EndAt.IsZero() && in.EndAt.Before(ev.OccurredAt)
		in.TeamSize = r.uint(p.payloadAt(pTeamSize), true)
		in.Accompanying = r.uint(p.payloadAt(pAccompanying), true)
		in.PrincipalAccompanied = r.boolean(p.payloadAt(pPrincipalAccompanied), true)
		in.MaterialsRequested = r.uint(p.payloadAt(pMaterialsRequested), true)
		in.ComprehensiveMaterial = r.boolean(p.payloadAt(pComprehensiveMaterial), true)
		in.SampledUnits = r.uint(p.payloadAt(pSampledUnits), true)
		in.TotalUnits = r.uint(p.payloadAt(pTotalUnits), true)
		r.bad = r.bad || in.SampledUnits > in.TotalUnits
		in.DeploymentDocID = r.id(p.payloadAt(pDeploymentDocID), false)
		in.Topic = r.text(p.payloadAt(pTopic), false, MaxTitleChars)
		in.AccountabilityDemanded = r.boolean(p.payloadAt(pAccountabilityDemanded), true)
	case KindMeeting:
		m := &ev.Meeting
		m.Title = r.text(p.payloadAt(pTitle), false, MaxTitleChars)
		m.DurationMinutes = r.positive(p.payloadAt(pDurationMinutes))
		m.Attendees = r.positive(p.payloadAt(pAttendees))
		m.Format = r.enum(p.payloadAt(pFormat), true, formatValues)
		m.Scale = r.enum(p.payloadAt(pScale), true, scaleValues)
		m.CascadeRequired = r.boolean(p.payloadAt(pCascadeRequired), true)
	case KindDocument:
		doc := &ev.Document
		doc.DocNumber = r.text(p.payloadAt(pDocNumber), false, MaxDocNoChars)
		doc.DocType = r.enum(p.payloadAt(pDocType), true, docTypeValues)
		doc.Pages = r.positive(p.payloadAt(pPages))
		doc.RequiresSupportingDocs = r.boolean(p.payloadAt(pRequiresSupportingDocs), true)
		doc.RequiresUpwardReport = r.boolean(p.payloadAt(pRequiresUpwardReport), true)
		doc.VetoItems = p.vetoItems(&r)
		doc.Pledges = r.uint(p.payloadAt(pPledges), false)
	case KindDataReport:
		f := &ev.DataReport
		f.FormID = r.code(p.payloadAt(pFormID), true, MaxCodeBytes)
		f.Title = r.text(p.payloadAt(pTitle), false, MaxTitleChars)
		f.Fields = r.positive(p.payloadAt(pFields))
		f.DuplicateFields = r.uint(p.payloadAt(pDuplicateFields), true)
		r.bad = r.bad || f.DuplicateFields > f.Fields
		f.EstimatedMinutes = r.positive(p.payloadAt(pEstimatedMinutes))
		f.Frequency = r.enum(p.payloadAt(pFrequency), true, frequencyValues)
		f.ViaPlatform = r.boolean(p.payloadAt(pViaPlatform), true)
		f.ApprovedSurvey = r.boolean(p.payloadAt(pApprovedSurvey), true)
	}
	if r.bad || ev.OccurredAt.After(d.Now().Add(MaxFuture)) {
		return false
	}
	pt, ok := d.Point(ev.CountyCode)
	return ok && (pt.DesignatedFrom.IsZero() || !ev.OccurredAt.Before(pt.DesignatedFrom))
}

// vetoItems is reader.strings for payload.veto_items.
func (p *onePass) vetoItems(r *slots) []string {
	v := p.payloadAt(pVetoItems)
	switch v.t {
	case vAbsent, vNull:
		return nil
	case vArray:
	default:
		r.bad = true
		return nil
	}
	if p.vetoOther || len(p.veto) > MaxVetoItems {
		r.bad = true
		return nil
	}
	if len(p.veto) == 0 {
		return nil
	}
	p.out = p.out[:0]
	for i := range p.veto {
		s := p.text(&p.veto[i])
		if code, _ := checkText(s, MaxVetoChars); s == "" || code != "" {
			r.bad = true
			return nil
		}
		p.out = append(p.out, s)
	}
	return p.out[:len(p.out):len(p.out)]
}

// parseTimestamp reads the usual form of an RFC 3339 timestamp,
// 2006-01-02T15:04:05[.fraction](Z|±hh:mm), as seconds since 1970 and
// whether the fraction is not zero. Whatever it reads, time.Parse with
// time.RFC3339 reads as the same instant; it refuses the rest (which
// time.Parse may still read).
func parseTimestamp(s string) (sec int64, frac, ok bool) {
	if len(s) < len("2006-01-02T15:04:05Z") ||
		s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return 0, false, false
	}
	year, month, day := decimal(s[0:4]), decimal(s[5:7]), decimal(s[8:10])
	hour, min, second := decimal(s[11:13]), decimal(s[14:16]), decimal(s[17:19])
	if year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) ||
		hour < 0 || hour > 23 || min < 0 || min > 59 || second < 0 || second > 59 {
		return 0, false, false
	}
	rest := s[19:]
	if len(rest) >= 2 && rest[0] == '.' && rest[1] >= '0' && rest[1] <= '9' {
		n := 1
		for ; n < len(rest) && rest[n] >= '0' && rest[n] <= '9'; n++ {
			if n <= 9 && rest[n] != '0' { // time.Parse keeps 9 digits
				frac = true
			}
		}
		rest = rest[n:]
	}
	offset := 0
	if rest != "Z" {
		if len(rest) != len("+08:00") || rest[0] != '+' && rest[0] != '-' || rest[3] != ':' {
			return 0, false, false
		}
		hh, mm := decimal(rest[1:3]), decimal(rest[4:6])
		if hh < 0 || hh > 23 || mm < 0 || mm > 59 {
			return 0, false, false
		}
		offset = (hh*60 + mm) * 60
		if rest[0] == '-' {
			offset = -offset
		}
	}
	days := daysSinceEpoch(year, month, day)
	return days*86400 + int64(hour*3600+min*60+second-offset), frac, true
}

// decimal returns the value of the digits s, or -1.
func decimal(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func daysInMonth(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysSinceEpoch is the number of days from 1970-01-01 to the given date
// of the proleptic Gregorian calendar (year ≥ 0).
func daysSinceEpoch(year, month, day int) int64 {
	y := int64(year)
	if month <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400                     // [0, 399]
	mp := int64((month + 9) % 12)          // March = 0
	doy := (153*mp+2)/5 + int64(day) - 1   // [0, 365]
	doe := yoe*365 + yoe/4 - yoe/100 + doy // [0, 146096]
	return era*146097 + doe - 719468
}
