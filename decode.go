package burdenwatch

import (
	"fmt"
	"hash/crc32"
	"strconv"
	"time"

	"github.com/valyala/fastjson"
)

// Reason codes of a ValidationError: stable, for grouping dead letters.
const (
	ReasonNotJSON        = "not_json"
	ReasonMissingField   = "missing_field"
	ReasonWrongType      = "wrong_type"
	ReasonBadValue       = "bad_value"
	ReasonBadCode        = "bad_code"
	ReasonUnitOutside    = "unit_outside_county"
	ReasonNotObserved    = "not_observation_point"
	ReasonBadTimestamp   = "bad_timestamp"
	ReasonFutureTime     = "future_timestamp"
	ReasonUnknownKind    = "unknown_kind"
	ReasonDuplicateField = "duplicate_field"
	ReasonInvalidUTF8    = "invalid_utf8"        // bytes that are not UTF-8, or an escaped lone surrogate
	ReasonControlChar    = "control_character"   // U+0000–U+001F, U+007F–U+009F, raw or escaped
	ReasonInvisibleChar  = "invisible_character" // a space or format character in a code, a bidi control in text
	ReasonTooLong        = "too_long"            // a string or list over its limit (docs/decoding.md)
	ReasonTooDeep        = "too_deep"            // objects and arrays nested deeper than MaxNesting
	ReasonTimeRange      = "timestamp_out_of_range"
)

// The instants a DateTime column holds: seconds since 1970 in a UInt32,
// which ends on 2106-02-07; events are held to the years 1970–2105.
var (
	MinTimestamp = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxTimestamp = time.Date(2105, 12, 31, 23, 59, 59, 0, time.UTC)
)

// ValidationError explains why a message is not a valid event. Its message
// names the field and the value, so a person can fix the upstream system.
type ValidationError struct {
	Code  string // one of the Reason* constants
	Field string // JSON path, e.g. "payload.pages"; empty for the whole message
	Value string // the offending value, invisible characters escaped, long ones shortened in the middle; or "(missing)"
	Msg   string // what is wrong
}

func (e *ValidationError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return fmt.Sprintf("field %s = %s: %s", e.Field, e.Value, e.Msg)
}

// MaxFuture is how far in the future an event's occurred_at may lie.
const MaxFuture = 24 * time.Hour

// Decoder parses and validates event messages (SPEC §2). A Decoder is not
// safe for concurrent use: give each goroutine its own.
type Decoder struct {
	// Point finds the observation point of a county code.
	Point func(county string) (ObservationPoint, bool)
	// Now is the clock for the "not more than a day in the future" check.
	Now func() time.Time
	// Location is the calendar time zone, Asia/Shanghai.
	Location *time.Location

	parser  fastjson.Parser
	scanner scanner
	checker checker
	pass    onePass
}

// NewDecoder returns a Decoder that accepts events of the given observation
// points, with calendar logic in loc.
func NewDecoder(points map[string]ObservationPoint, loc *time.Location) *Decoder {
	return &Decoder{
		Point:    func(c string) (ObservationPoint, bool) { p, ok := points[c]; return p, ok },
		Now:      time.Now,
		Location: loc,
	}
}

// Version is the deduplication version of an event delivery: the revision
// in the high 32 bits and a checksum of the raw message in the low ones, so
// that the highest revision wins and, between two different messages of the
// same revision, the choice does not depend on arrival order.
func Version(revision uint32, raw []byte) uint64 {
	return uint64(revision)<<32 | uint64(crc32.ChecksumIEEE(raw))
}

// Decode parses raw as one event and validates every field. The error, when
// not nil, is a *ValidationError. The event's strings are its own.
//
// Decode is DecodeView followed by a copy of the strings, so the two never
// disagree.
func (d *Decoder) Decode(raw []byte) (Event, error) {
	var ev Event
	err := d.DecodeView(raw, &ev)
	if err == nil { // on error ev is the full decoder's, whose strings are copies
		cloneStrings(&ev)
	}
	return ev, err
}

// DecodeView is Decode without copying: it decodes raw into *ev, with the
// same event and error as Decode (on error, *ev is the event Decode
// returns with it). The strings of ev, and its VetoItems slice, may alias
// raw or the decoder's internal buffers and are valid only until raw is
// modified or the next call on d; callers copy what they keep.
//
// A valid message takes one pass over its bytes and no allocation. A
// message the pass refuses, or leaves to the full decoder (docs/decoding.md
// lists the checks), is decoded again by the full decoder, which words the
// reason.
func (d *Decoder) DecodeView(raw []byte, ev *Event) error {
	if d.pass.parse(raw) && d.pass.event(d, ev) {
		return nil
	}
	var err error
	*ev, err = d.decodeFull(raw)
	return err
}

// decodeFull is the full decoder: fastjson, the strict scanner, the
// checker of duplicate keys and the field readers, each problem worded
// for a person. Its strings are copies.
func (d *Decoder) decodeFull(raw []byte) (Event, error) {
	var ev Event
	v, err := d.parser.ParseBytes(raw)
	if err != nil {
		return ev, notJSON(err)
	}
	if p := d.scanner.scan(raw); p != nil {
		return ev, located(v, raw, p)
	}
	if d.scanner.duplicate || d.scanner.escaped { // name the duplicate, or compare keys unescaped
		if err := d.checker.check(v); err != nil {
			return ev, err
		}
	}
	o := reader{v: v}
	if v.Type() != fastjson.TypeObject {
		return ev, &ValidationError{Code: ReasonWrongType, Msg: "message is not a JSON object"}
	}
	d.envelope(&o, &ev)
	if o.err != nil {
		return ev, o.err
	}
	p := o.object("payload")
	if o.err != nil {
		return ev, o.err
	}
	switch ev.Kind {
	case KindInspection:
		d.inspection(&p, &ev)
	case KindMeeting:
		meeting(&p, &ev.Meeting)
	case KindDocument:
		document(&p, &ev.Document)
	case KindDataReport:
		dataReport(&p, &ev.DataReport)
	}
	if p.err != nil {
		return ev, p.err
	}
	return ev, nil
}

func (d *Decoder) envelope(o *reader, ev *Event) {
	ev.ID = o.id("event_id", true)
	ev.Revision = o.uint("revision", false)
	ev.Kind = Kind(o.enum("kind", true, ReasonUnknownKind, kindValues...))
	ev.OccurredAt = d.timestamp(o, "occurred_at", true)
	if o.err == nil && ev.OccurredAt.After(d.Now().Add(MaxFuture)) {
		o.fail(ReasonFutureTime, "occurred_at", "lies more than 1 day in the future")
	}
	ev.CountyCode = o.code("county_code", true, MaxCodeBytes)
	if o.err == nil && !digits(ev.CountyCode, 6) {
		o.fail(ReasonBadCode, "county_code", "must be a 6-digit GB/T 2260 code")
	}
	ev.UnitCode = o.code("unit_code", false, MaxCodeBytes)
	d.checkUnit(o, ev)
	ev.TargetLevel = Level(o.enum("target_level", true, ReasonBadValue, levelValues...))
	iss := o.object("issuer")
	ev.Issuer.Code = iss.code("code", true, MaxCodeBytes)
	ev.Issuer.Name = iss.text("name", true, MaxNameChars)
	ev.Issuer.Level = iss.enum("level", true, ReasonBadValue, issuerLevelValues...)
	ev.Issuer.Kind = iss.enum("kind", true, ReasonBadValue, issuerKindValues...)
	o.adopt(&iss)
	ev.Source = o.text("source", false, MaxNameChars)
	if o.err == nil {
		d.checkObserved(o, ev)
	}
}

func (d *Decoder) checkUnit(o *reader, ev *Event) {
	if o.err != nil || ev.UnitCode == "" {
		return
	}
	if !digits(ev.UnitCode, 9) && !digits(ev.UnitCode, 12) {
		o.fail(ReasonBadCode, "unit_code", "must be a 9- or 12-digit statistical division code")
		return
	}
	if ev.UnitCode[:6] != ev.CountyCode {
		o.fail(ReasonUnitOutside, "unit_code", "does not start with county_code "+ev.CountyCode)
	}
}

func (d *Decoder) checkObserved(o *reader, ev *Event) {
	p, ok := d.Point(ev.CountyCode)
	if !ok {
		o.failValue(ReasonNotObserved, "county_code", strconv.Quote(ev.CountyCode), "is not an observation point")
		return
	}
	if !p.DesignatedFrom.IsZero() && ev.OccurredAt.Before(p.DesignatedFrom) {
		o.failValue(ReasonNotObserved, "county_code", strconv.Quote(ev.CountyCode),
			"was not yet an observation point on "+ev.OccurredAt.Format("2006-01-02")+
				" (designated from "+p.DesignatedFrom.Format("2006-01-02")+")")
	}
}

// timestamp reads an RFC 3339 timestamp with offset and converts it to the
// decoder's calendar time zone.
func (d *Decoder) timestamp(o *reader, key string, required bool) time.Time {
	s := o.str(key, required)
	if o.err != nil || s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		o.fail(ReasonBadTimestamp, key, "is not an RFC 3339 timestamp with offset")
		return time.Time{}
	}
	if _, off := t.Zone(); off <= -24*3600 || off >= 24*3600 {
		o.fail(ReasonBadTimestamp, key, "has an offset beyond ±23:59")
		return time.Time{}
	}
	if t.Before(MinTimestamp) || t.After(MaxTimestamp) {
		o.fail(ReasonTimeRange, key, "lies outside 1970-01-01T00:00:00Z–2105-12-31T23:59:59Z, the range of a DateTime column")
		return time.Time{}
	}
	return t.Truncate(time.Second).In(d.Location) // a DateTime column holds seconds
}

func (d *Decoder) inspection(p *reader, ev *Event) {
	in := &ev.Inspection
	in.Category = p.enum("category", true, ReasonBadValue, categoryValues...)
	in.PlanCode = p.code("plan_code", false, MaxCodeBytes)
	in.InspectionCode = p.code("inspection_code", false, MaxCodeBytes)
	in.Approved = p.boolean("approved", true)
	in.Mode = p.enum("mode", true, ReasonBadValue, modeValues...)
	in.OnSite = p.boolean("on_site", true)
	in.EndAt = d.timestamp(p, "end_at", false)
	if p.err == nil && !in.EndAt.IsZero() && in.EndAt.Before(ev.OccurredAt) {
		p.fail(ReasonBadValue, "end_at", "is before occurred_at")
	}
	in.TeamSize = p.uint("team_size", true)
	in.Accompanying = p.uint("accompanying", true)
	in.PrincipalAccompanied = p.boolean("principal_accompanied", true)
	in.MaterialsRequested = p.uint("materials_requested", true)
	in.ComprehensiveMaterial = p.boolean("comprehensive_material", true)
	in.SampledUnits = p.uint("sampled_units", true)
	in.TotalUnits = p.uint("total_units", true)
	if p.err == nil && in.SampledUnits > in.TotalUnits {
		p.fail(ReasonBadValue, "sampled_units", "exceeds total_units "+strconv.Itoa(int(in.TotalUnits)))
	}
	in.DeploymentDocID = p.id("deployment_doc_id", false)
	in.Topic = p.text("topic", false, MaxTitleChars)
	in.AccountabilityDemanded = p.boolean("accountability_demanded", true)
}

func meeting(p *reader, m *Meeting) {
	m.Title = p.text("title", false, MaxTitleChars)
	m.DurationMinutes = p.positive("duration_minutes")
	m.Attendees = p.positive("attendees")
	m.Format = p.enum("format", true, ReasonBadValue, formatValues...)
	m.Scale = p.enum("scale", true, ReasonBadValue, scaleValues...)
	m.CascadeRequired = p.boolean("cascade_required", true)
}

func document(p *reader, d *Document) {
	d.DocNumber = p.text("doc_number", false, MaxDocNoChars)
	d.DocType = p.enum("doc_type", true, ReasonBadValue, docTypeValues...)
	d.Pages = p.positive("pages")
	d.RequiresSupportingDocs = p.boolean("requires_supporting_docs", true)
	d.RequiresUpwardReport = p.boolean("requires_upward_report", true)
	d.VetoItems = p.strings("veto_items", MaxVetoItems, MaxVetoChars)
	d.Pledges = p.uint("pledges", false)
}

func dataReport(p *reader, r *DataReport) {
	r.FormID = p.code("form_id", true, MaxCodeBytes)
	r.Title = p.text("title", false, MaxTitleChars)
	r.Fields = p.positive("fields")
	r.DuplicateFields = p.uint("duplicate_fields", true)
	if p.err == nil && r.DuplicateFields > r.Fields {
		p.fail(ReasonBadValue, "duplicate_fields", "exceeds fields "+strconv.Itoa(int(r.Fields)))
	}
	r.EstimatedMinutes = p.positive("estimated_minutes")
	r.Frequency = p.enum("frequency", true, ReasonBadValue, frequencyValues...)
	r.ViaPlatform = p.boolean("via_platform", true)
	r.ApprovedSurvey = p.boolean("approved_survey", true)
}

// The values of the enum fields, in the order the reasons list them.
var (
	kindValues        = []string{"inspection", "meeting", "document", "data_report"}
	levelValues       = []string{"county", "township", "village"}
	issuerLevelValues = []string{"central", "province", "city", "county", "township"}
	issuerKindValues  = []string{"party", "government", "department", "coordination_body"}
	categoryValues    = []string{"comprehensive", "special", "appraisal", "research", "routine"}
	modeValues        = []string{"covert", "overt", "written", "online"}
	formatValues      = []string{"in_person", "video"}
	scaleValues       = []string{"large", "medium", "small"}
	docTypeValues     = []string{"policy", "normative", "notice", "briefing", "plan", "decision"}
	frequencyValues   = []string{"once", "daily", "weekly", "monthly", "quarterly", "adhoc"}
)

// cloneStrings gives ev its own copy of every string (and of VetoItems),
// in one allocation for the strings.
func cloneStrings(ev *Event) {
	fields := [...]*string{&ev.ID, (*string)(&ev.Kind), &ev.CountyCode, &ev.UnitCode, (*string)(&ev.TargetLevel),
		&ev.Issuer.Code, &ev.Issuer.Name, &ev.Issuer.Level, &ev.Issuer.Kind, &ev.Source,
		&ev.Inspection.Category, &ev.Inspection.PlanCode, &ev.Inspection.InspectionCode, &ev.Inspection.Mode,
		&ev.Inspection.DeploymentDocID, &ev.Inspection.Topic,
		&ev.Meeting.Title, &ev.Meeting.Format, &ev.Meeting.Scale,
		&ev.Document.DocNumber, &ev.Document.DocType,
		&ev.DataReport.FormID, &ev.DataReport.Title, &ev.DataReport.Frequency}
	n := 0
	for _, f := range fields {
		n += len(*f)
	}
	veto := ev.Document.VetoItems
	for _, s := range veto {
		n += len(s)
	}
	buf := make([]byte, 0, n)
	for _, f := range fields {
		buf = append(buf, *f...)
	}
	for _, s := range veto {
		buf = append(buf, s...)
	}
	all := alias(buf)
	at := 0
	take := func(s string) string {
		if s == "" {
			return ""
		}
		at += len(s)
		return all[at-len(s) : at]
	}
	for _, f := range fields {
		*f = take(*f)
	}
	if veto != nil {
		items := make([]string, len(veto))
		for i, s := range veto {
			items[i] = take(s)
		}
		ev.Document.VetoItems = items
	}
}

func validEventID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < n; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
