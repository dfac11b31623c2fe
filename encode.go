package burdenwatch

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// MarshalJSON writes the event in the wire format of SPEC §2 (AppendJSON).
func (e Event) MarshalJSON() ([]byte, error) {
	return e.AppendJSON(make([]byte, 0, 1024)), nil
}

// AppendJSON appends the wire form of the event (SPEC §2) to b: the keys in
// a fixed order, optional envelope fields left out when empty, timestamps in
// RFC 3339 at their own offset, strings escaped as encoding/json escapes
// them. Written by hand, without reflection, so that the simulator and the
// tests share one encoder that is fast enough for millions of events.
func (e *Event) AppendJSON(b []byte) []byte {
	ev := e
	b = append(b, `{"event_id":`...)
	b = appendString(b, ev.ID)
	if ev.Revision != 0 {
		b = append(b, `,"revision":`...)
		b = strconv.AppendUint(b, uint64(ev.Revision), 10)
	}
	b = append(b, `,"kind":`...)
	b = appendString(b, string(ev.Kind))
	b = append(b, `,"occurred_at":"`...)
	b = ev.OccurredAt.AppendFormat(b, time.RFC3339)
	b = append(b, `","county_code":`...)
	b = appendString(b, ev.CountyCode)
	if ev.UnitCode != "" {
		b = append(b, `,"unit_code":`...)
		b = appendString(b, ev.UnitCode)
	}
	b = append(b, `,"target_level":`...)
	b = appendString(b, string(ev.TargetLevel))
	b = append(b, `,"issuer":`...)
	b = appendIssuer(b, &ev.Issuer)
	if ev.Source != "" {
		b = append(b, `,"source":`...)
		b = appendString(b, ev.Source)
	}
	b = append(b, `,"payload":`...)
	switch ev.Kind {
	case KindInspection:
		b = appendInspection(b, &ev.Inspection)
	case KindMeeting:
		b = appendMeeting(b, &ev.Meeting)
	case KindDocument:
		b = appendDocument(b, &ev.Document)
	case KindDataReport:
		b = appendDataReport(b, &ev.DataReport)
	default:
		b = append(b, "{}"...)
	}
	return append(b, '}')
}

// appendIssuer appends the issuer object of the wire format.
func appendIssuer(b []byte, is *Issuer) []byte {
	b = field(b, `{"code":`, is.Code)
	b = field(b, `,"name":`, is.Name)
	b = field(b, `,"level":`, is.Level)
	b = field(b, `,"kind":`, is.Kind)
	return append(b, '}')
}

func appendInspection(b []byte, in *Inspection) []byte {
	b = field(b, `{"category":`, in.Category)
	b = field(b, `,"plan_code":`, in.PlanCode)
	b = field(b, `,"inspection_code":`, in.InspectionCode)
	b = boolField(b, `,"approved":`, in.Approved)
	b = field(b, `,"mode":`, in.Mode)
	b = boolField(b, `,"on_site":`, in.OnSite)
	if !in.EndAt.IsZero() {
		b = append(b, `,"end_at":"`...)
		b = in.EndAt.AppendFormat(b, time.RFC3339)
		b = append(b, '"')
	}
	b = uintField(b, `,"team_size":`, in.TeamSize)
	b = uintField(b, `,"accompanying":`, in.Accompanying)
	b = boolField(b, `,"principal_accompanied":`, in.PrincipalAccompanied)
	b = uintField(b, `,"materials_requested":`, in.MaterialsRequested)
	b = boolField(b, `,"comprehensive_material":`, in.ComprehensiveMaterial)
	b = uintField(b, `,"sampled_units":`, in.SampledUnits)
	b = uintField(b, `,"total_units":`, in.TotalUnits)
	b = field(b, `,"deployment_doc_id":`, in.DeploymentDocID)
	b = field(b, `,"topic":`, in.Topic)
	b = boolField(b, `,"accountability_demanded":`, in.AccountabilityDemanded)
	return append(b, '}')
}

func appendMeeting(b []byte, m *Meeting) []byte {
	b = field(b, `{"title":`, m.Title)
	b = uintField(b, `,"duration_minutes":`, m.DurationMinutes)
	b = uintField(b, `,"attendees":`, m.Attendees)
	b = field(b, `,"format":`, m.Format)
	b = field(b, `,"scale":`, m.Scale)
	b = boolField(b, `,"cascade_required":`, m.CascadeRequired)
	return append(b, '}')
}

func appendDocument(b []byte, d *Document) []byte {
	b = field(b, `{"doc_number":`, d.DocNumber)
	b = field(b, `,"doc_type":`, d.DocType)
	b = uintField(b, `,"pages":`, d.Pages)
	b = boolField(b, `,"requires_supporting_docs":`, d.RequiresSupportingDocs)
	b = boolField(b, `,"requires_upward_report":`, d.RequiresUpwardReport)
	b = append(b, `,"veto_items":[`...)
	for i, v := range d.VetoItems {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, v)
	}
	b = append(b, ']')
	b = uintField(b, `,"pledges":`, d.Pledges)
	return append(b, '}')
}

func appendDataReport(b []byte, r *DataReport) []byte {
	b = field(b, `{"form_id":`, r.FormID)
	b = field(b, `,"title":`, r.Title)
	b = uintField(b, `,"fields":`, r.Fields)
	b = uintField(b, `,"duplicate_fields":`, r.DuplicateFields)
	b = uintField(b, `,"estimated_minutes":`, r.EstimatedMinutes)
	b = field(b, `,"frequency":`, r.Frequency)
	b = boolField(b, `,"via_platform":`, r.ViaPlatform)
	b = boolField(b, `,"approved_survey":`, r.ApprovedSurvey)
	return append(b, '}')
}

func field(b []byte, key, v string) []byte { return appendString(append(b, key...), v) }

func uintField(b []byte, key string, v uint32) []byte {
	return strconv.AppendUint(append(b, key...), uint64(v), 10)
}

func boolField(b []byte, key string, v bool) []byte {
	return strconv.AppendBool(append(b, key...), v)
}

// verbatim marks the bytes that appendString copies as they are in valid
// UTF-8: printable ASCII but " \ < > &, and every byte of a multi-byte
// sequence except 0xE2, which may start U+2028 or U+2029.
var verbatim = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' && c != 0xE2
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string escaped the way encoding/json
// escapes it (HTML characters, control characters, U+2028/U+2029, invalid
// UTF-8 as U+FFFD).
func appendString(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		return appendStringSlow(b, s)
	}
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if verbatim[c] {
			continue
		}
		if c == 0xE2 {
			if i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9) {
				b = append(b, s[start:i]...)
				b = append(b, `\u202`...)
				b = append(b, hexDigits[s[i+2]&0xF])
				i += 2
				start = i + 1
			}
			continue
		}
		b = append(b, s[start:i]...)
		b = appendEscapedByte(b, c)
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendStringSlow is appendString for strings with invalid UTF-8.
func appendStringSlow(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			b = appendEscapedByte(b, c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			switch r {
			case utf8.RuneError:
				b = append(b, `\ufffd`...)
			default:
				b = append(b, `\u202`...)
				b = append(b, hexDigits[r&0xF])
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendEscapedByte(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	case '\b':
		return append(b, '\\', 'b')
	case '\f':
		return append(b, '\\', 'f')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
}
