package sim

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/burdenwatch/burdenwatch"
)

// malformedReasons are the rejections the simulator provokes, each named
// by the reason code the decoder gives; the first ones come in this order
// so that a run with a few malformed messages has every reason.
var malformedReasons = []string{
	burdenwatch.ReasonNotJSON, burdenwatch.ReasonMissingField, burdenwatch.ReasonWrongType,
	burdenwatch.ReasonUnknownKind, burdenwatch.ReasonBadCode, burdenwatch.ReasonUnitOutside,
	burdenwatch.ReasonNotObserved, burdenwatch.ReasonBadTimestamp, burdenwatch.ReasonFutureTime,
	burdenwatch.ReasonBadValue,
}

// malformed returns an invalid message made from ev (under another
// event_id), its Kafka key and the reason the decoder will give.
func (g *gen) malformed(ev *burdenwatch.Event, c *county) (key, val []byte, reason string) {
	reason = malformedReasons[g.r.IntN(len(malformedReasons))]
	if g.malSeq < len(malformedReasons) {
		reason = malformedReasons[g.malSeq]
	}
	g.malSeq++
	t := *ev
	t.ID, t.Revision = ev.ID+"-X", 0
	m := mutation{b: t.AppendJSON(nil), ev: &t, variant: g.r.IntN(3)}
	key = c.key
	switch reason {
	case burdenwatch.ReasonNotJSON:
		m.notJSON(g.r.IntN(len(m.b) / 2))
	case burdenwatch.ReasonMissingField:
		m.missingField()
	case burdenwatch.ReasonWrongType:
		m.wrongType()
	case burdenwatch.ReasonUnknownKind:
		m.replace(`"kind":"`+string(t.Kind)+`"`, `"kind":"`+[]string{"visit", "督查", "inspection_report"}[m.variant]+`"`)
	case burdenwatch.ReasonBadCode:
		m.badCode()
	case burdenwatch.ReasonUnitOutside:
		m.unitOutside(g.otherCounty(c, true))
	case burdenwatch.ReasonNotObserved:
		other := g.otherCounty(c, false)
		m.notObserved(other)
		key = []byte(other)
	case burdenwatch.ReasonBadTimestamp:
		m.badTimestamp()
	case burdenwatch.ReasonFutureTime:
		m.futureTimestamp()
	case burdenwatch.ReasonBadValue:
		m.badEventID()
	}
	return key, m.b, reason
}

// otherCounty returns a county code other than c's: another observation
// county (observed) or a county of the province that is not observed.
func (g *gen) otherCounty(c *county, observed bool) string {
	if observed {
		for _, o := range g.w.counties {
			if o != c {
				return o.code
			}
		}
	} else if len(g.w.others) > 0 {
		return g.w.others[g.r.IntN(len(g.w.others))]
	}
	for n := 99; n > 0; n-- { // a made-up county of the province
		code := g.cfg.Province + "99" + strconv.Itoa(n)
		if len(code) == 6 && code != c.code && !g.observed(code) {
			return code
		}
	}
	return g.cfg.Province + "9999"
}

func (g *gen) observed(code string) bool {
	for _, c := range g.w.counties {
		if c.code == code {
			return true
		}
	}
	return false
}

// mutation edits the wire bytes of a valid event into an invalid message.
type mutation struct {
	b       []byte
	ev      *burdenwatch.Event
	variant int
}

func (m *mutation) replace(old, new string) {
	m.b = bytes.Replace(m.b, []byte(old), []byte(new), 1)
}

func (m *mutation) occurredAt() string { return m.ev.OccurredAt.Format(time.RFC3339) }

func (m *mutation) notJSON(cut int) {
	if m.variant == 0 {
		m.b = append(m.b, "\n}"...) // a stray tail after the object
		return
	}
	m.b = m.b[:len(m.b)/4+cut] // cut off in transit
}

func (m *mutation) missingField() {
	switch m.variant {
	case 0:
		m.replace(`"occurred_at":"`+m.occurredAt()+`",`, "")
	case 1:
		name, _ := json.Marshal(m.ev.Issuer.Name) // escaped as AppendJSON escapes it
		m.replace(`,"name":`+string(name), "")
	default:
		m.replace(`"event_id":"`+m.ev.ID+`"`, `"event_id":""`)
	}
}

func (m *mutation) wrongType() {
	switch m.variant {
	case 0:
		m.replace(`"event_id":"`+m.ev.ID+`"`, `"event_id":"`+m.ev.ID+`","revision":"1"`)
	case 1:
		m.b = append(append([]byte{'['}, m.b...), ']')
	default:
		m.replace(`,"payload":`, `,"payload":"见附件","payload_original":`)
	}
}

func (m *mutation) badCode() {
	code := m.ev.CountyCode
	switch {
	case m.variant == 0 && m.ev.UnitCode != "":
		u := m.ev.UnitCode
		m.replace(`"unit_code":"`+u+`"`, `"unit_code":"`+u[:len(u)-1]+`"`)
	case m.variant == 1:
		m.replace(`"county_code":"`+code+`"`, `"county_code":"`+code[:5]+`X"`)
	default:
		m.replace(`"county_code":"`+code+`"`, `"county_code":"`+code[:5]+`"`)
	}
}

func (m *mutation) unitOutside(other string) {
	if u := m.ev.UnitCode; u != "" {
		m.replace(`"unit_code":"`+u+`"`, `"unit_code":"`+other+u[6:]+`"`)
		return
	}
	code := m.ev.CountyCode
	m.replace(`"county_code":"`+code+`"`, `"county_code":"`+code+`","unit_code":"`+other+`100"`)
}

func (m *mutation) notObserved(other string) {
	if u := m.ev.UnitCode; u != "" {
		m.replace(`,"unit_code":"`+u+`"`, "")
	}
	m.replace(`"county_code":"`+m.ev.CountyCode+`"`, `"county_code":"`+other+`"`)
}

func (m *mutation) badTimestamp() {
	ts := m.occurredAt()
	bad := []string{
		ts[:10] + " " + ts[11:19], // no T, no offset
		ts[:19],                   // no offset
		strings.ReplaceAll(ts[:10], "-", "/") + " " + ts[11:16], // a spreadsheet's format
	}[m.variant]
	m.replace(`"occurred_at":"`+ts+`"`, `"occurred_at":"`+bad+`"`)
}

func (m *mutation) futureTimestamp() {
	ts := m.occurredAt()
	year := "2099"
	if ts[4:10] == "-02-29" {
		year = "2096"
	}
	m.replace(`"occurred_at":"`+ts+`"`, `"occurred_at":"`+year+ts[4:]+`"`)
}

func (m *mutation) badEventID() {
	id := m.ev.ID
	bad := []string{"事件" + id, strings.ReplaceAll(id, "-", " "), id + strings.Repeat("0", 64)}[m.variant]
	m.replace(`"event_id":"`+id+`"`, `"event_id":"`+bad+`"`)
}
