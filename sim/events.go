package sim

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/rules"
)

// Kind indexes, in the order of burdenwatch.Kinds.
const (
	kiInspection = iota
	kiMeeting
	kiDocument
	kiDataReport
)

var kindLetters = [4]string{"I", "M", "D", "F"}

// utcShare is the share of events whose occurred_at is written in UTC
// ("Z") instead of +08:00; calendar logic must still use Asia/Shanghai.
const utcShare = 0.1

// Issuer mix of each kind: the share of a county's events from each level.
var (
	docLevelWeight     = [numLevels]float64{0.04, 0.33, 0.35, 0.28, 0.02}
	meetingLevelWeight = [numLevels]float64{0.03, 0.25, 0.40, 0.32, 0.02}
	docNumberRate      = [numLevels]float64{0.5, 0.35, 0.4, 0.6, 0.6} // 文号 per day of year
)

var meetingStarts = []int{510, 540, 570, 600, 870, 900, 930, 960} // minutes after midnight

// weighted picks issuers with fixed weights.
type weighted struct {
	items []*issuer
	cum   []float64
}

// newWeighted weighs issuers by the weight of their level, shared among
// the issuers of the level, party and government offices counting double.
func newWeighted(issuers []*issuer, levelWeight [numLevels]float64) weighted {
	var perLevel [numLevels]float64
	for _, is := range issuers {
		perLevel[is.level] += officeWeight(is)
	}
	var wt weighted
	sum := 0.0
	for _, is := range issuers {
		if x := levelWeight[is.level] * officeWeight(is) / perLevel[is.level]; x > 0 {
			sum += x
			wt.items = append(wt.items, is)
			wt.cum = append(wt.cum, sum)
		}
	}
	return wt
}

func officeWeight(is *issuer) float64 {
	if is.dom == domGeneral && (is.Kind == "party" || is.Kind == "government") {
		return 2
	}
	return 1
}

func (wt *weighted) pick(r *rand.Rand) *issuer {
	if len(wt.items) == 0 {
		return nil
	}
	i, _ := slices.BinarySearch(wt.cum, r.Float64()*wt.cum[len(wt.cum)-1])
	return wt.items[min(i, len(wt.items)-1)]
}

// envelope starts a fresh event of the county.
func (g *gen) envelope(c *county, ki int, at time.Time, is *issuer, lvl burdenwatch.Level, unit string) burdenwatch.Event {
	c.seq[ki]++
	c.emitted[ki]++
	ev := burdenwatch.Event{
		ID:          g.eventID(ki, c),
		Kind:        burdenwatch.Kinds[ki],
		OccurredAt:  at,
		CountyCode:  c.code,
		UnitCode:    unit,
		TargetLevel: lvl,
		Issuer:      is.Issuer.Issuer,
		Source:      g.w.sources[ki],
	}
	if g.r.Float64() < utcShare {
		ev.OccurredAt = at.UTC()
	}
	return ev
}

// eventID is e.g. D-431024-2025-000123.
func (g *gen) eventID(ki int, c *county) string {
	b := append(g.scratch[:0], kindLetters[ki]...)
	b = append(b, '-')
	b = append(b, c.code...)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(g.cfg.Year), 10)
	b = append(b, '-')
	b = appendPadded(b, c.seq[ki], 6)
	g.scratch = b
	return string(b)
}

func appendPadded(b []byte, n, width int) []byte {
	s := strconv.Itoa(n)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// unitFor chooses where a burden of the issuer lands: upper levels mostly
// on the county, the county's own bodies on its townships and villages.
func (g *gen) unitFor(c *county, is *issuer, countyShare float64) (burdenwatch.Level, string) {
	x := g.r.Float64()
	switch {
	case is.level < levelCounty && x < countyShare:
		return burdenwatch.LevelCounty, ""
	case is.level < levelCounty:
		return c.randomUnit(g.r, pick(x < countyShare+(1-countyShare)*0.8, burdenwatch.LevelTownship, burdenwatch.LevelVillage))
	}
	return c.randomUnit(g.r, pick(x < 0.75, burdenwatch.LevelTownship, burdenwatch.LevelVillage))
}

// minuteAt returns the time minute minutes after midnight of day d.
func (g *gen) minuteAt(d, minute int) time.Time {
	return g.w.days[d].date.Add(time.Duration(minute) * time.Minute)
}

func (g *gen) document(c *county, d int) (burdenwatch.Event, *issuer) {
	is := c.docIssuers.pick(g.r)
	lvl, unit := g.unitFor(c, is, 0.85)
	ev := g.envelope(c, kiDocument, g.minuteAt(d, 480+g.r.IntN(600)), is, lvl, unit)
	t := docTypes[g.docType()]
	doc := &ev.Document
	doc.DocType = t.name
	doc.Pages = uint32(t.pagesMin + g.r.IntN(t.pagesMax-t.pagesMin+1))
	doc.DocNumber = g.docNumber(is, t.name, d)
	if (is.Kind == "party" || is.Kind == "government") && len(g.w.veto) > 0 && g.r.Float64() < 0.004 {
		doc.VetoItems = []string{g.w.veto[g.r.IntN(len(g.w.veto))]} // a listed item: compliant
		doc.Pledges = 1
	}
	g.mutate(&ev, c, kiDocument)
	ref := docRef{id: ev.ID, at: ev.OccurredAt}
	c.recent.add(ref)
	c.ring(is.idx).add(ref)
	return ev, is
}

func (c *county) ring(issuer int) *docRing {
	r := c.rings[issuer]
	if r == nil {
		r = &docRing{}
		c.rings[issuer] = r
	}
	return r
}

// findRing returns the recent documents of an issuer, nil when none.
func (c *county) findRing(issuer int) *docRing { return c.rings[issuer] }

func (g *gen) docType() int {
	x := g.r.Float64()
	for i, t := range docTypes {
		if x < t.weight {
			return i
		}
		x -= t.weight
	}
	return 0
}

// docNumber writes a 文号 such as 湘政办发〔2025〕12号, numbered through
// the year, or 湘应急简报〔2025〕第12期 for a briefing.
func (g *gen) docNumber(is *issuer, docType string, d int) string {
	n := 1 + int(float64(d)*docNumberRate[is.level]) + g.r.IntN(4)
	b := append(g.scratch[:0], is.docPrefix...)
	switch {
	case docType == "briefing":
		b = append(b, "简报"...)
	case docType == "notice" && is.docSuffix == "发" && g.r.IntN(5) < 2:
		b = append(b, "函"...)
	default:
		b = append(b, is.docSuffix...)
	}
	b = append(b, "〔"...)
	b = strconv.AppendInt(b, int64(g.cfg.Year), 10)
	b = append(b, "〕"...)
	if docType == "briefing" {
		b = append(b, "第"...)
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, "期"...)
	} else {
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, "号"...)
	}
	g.scratch = b
	return string(b)
}

// Meeting mix by issuer level.
var (
	videoShare = [numLevels]float64{0.95, 0.85, 0.55, 0.3, 0.2}
	largeShare = [numLevels]float64{1, 0.3, 0.15, 0.05, 0}
	smallShare = [numLevels]float64{0, 0.2, 0.4, 0.65, 0.9}
)

func (g *gen) meeting(c *county, d int) (burdenwatch.Event, *issuer) {
	is := c.meetIssuers.pick(g.r)
	lvl, unit := g.unitFor(c, is, 0.9)
	ev := g.envelope(c, kiMeeting, g.minuteAt(d, meetingStarts[g.r.IntN(len(meetingStarts))]), is, lvl, unit)
	m := &ev.Meeting
	x := g.r.Float64()
	m.Scale = pick(x < largeShare[is.level], "large", pick(x < 1-smallShare[is.level], "medium", "small"))
	m.Format = pick(g.r.Float64() < videoShare[is.level], "video", "in_person")
	switch m.Scale {
	case "large":
		m.DurationMinutes, m.Attendees = uint32(90+15*g.r.IntN(5)), uint32(5+g.r.IntN(16))
	case "medium":
		m.DurationMinutes, m.Attendees = uint32(60+15*g.r.IntN(5)), uint32(3+g.r.IntN(8))
	default:
		m.DurationMinutes, m.Attendees = uint32(30+15*g.r.IntN(5)), uint32(1+g.r.IntN(6))
	}
	if lvl.Grassroots() {
		m.Attendees = uint32(1 + g.r.IntN(4))
	}
	m.Title = g.meetingTitle(is, m)
	g.mutate(&ev, c, kiMeeting)
	if int(g.w.days[d].weekday) == g.w.noMeetingWeekday {
		g.stats.Violations[rules.MeetingNoMeetingDay]++
	}
	return ev, is
}

func (g *gen) meetingTitle(is *issuer, m *burdenwatch.Meeting) string {
	t := domainTexts[is.dom]
	topic := t.topics[g.r.IntN(len(t.topics))]
	kinds := meetingKinds[m.Scale]
	kind := kinds[g.r.IntN(len(kinds))]
	if m.Format == "video" && m.Scale != "small" && g.r.IntN(2) == 0 {
		kind = "电视电话会议"
	}
	if kind == "电视电话会议" && m.Format != "video" {
		kind = "工作会议"
	}
	return is.scope + topic + kind
}

func (g *gen) dataReport(c *county, d int) (burdenwatch.Event, *issuer) {
	f := c.pickForm(g.r)
	if f == nil {
		return burdenwatch.Event{}, nil
	}
	lvl, unit := g.unitFor(c, f.issuer, 0.7)
	ev := g.envelope(c, kiDataReport, g.minuteAt(d, 480+g.r.IntN(600)), f.issuer, lvl, unit)
	r := &ev.DataReport
	r.FormID, r.Title, r.Frequency, r.Fields = f.id, f.title, f.frequency, f.fields
	r.EstimatedMinutes = max(5, f.minutes*uint32(80+g.r.IntN(41))/100)
	r.ViaPlatform = g.r.Float64() >= g.cfg.ViolationShare // off-platform forms: an indicator, no rule
	r.ApprovedSurvey = true
	g.mutate(&ev, c, kiDataReport)
	f.emitted++
	return ev, f.issuer
}

func (g *gen) inspection(c *county, in *inspection) (burdenwatch.Event, *issuer) {
	ev := g.envelope(c, kiInspection, in.at, in.issuer, in.level, in.unit)
	p := &ev.Inspection
	p.Category, p.PlanCode, p.InspectionCode = in.plan.Category, in.plan.PlanCode, in.code
	p.Approved, p.Mode, p.OnSite, p.Topic = true, in.mode, in.onSite, in.plan.topic
	g.inspectionDetails(c, in, p)
	if ref, ok := c.findRing(in.issuer.idx).newestIn(in.at.AddDate(-1, 0, 0), in.at.Add(-32*24*time.Hour)); ok && g.r.IntN(10) < 6 {
		p.DeploymentDocID = ref.id // deployed more than a month before (HN 五, SD 14)
	}
	if !in.locked {
		g.mutate(&ev, c, kiInspection)
		g.invalidCode(&ev, in)
	}
	return ev, in.issuer
}

// inspectionDetails fills team, accompanying staff, materials and sampling.
func (g *gen) inspectionDetails(c *county, in *inspection, p *burdenwatch.Inspection) {
	switch {
	case !in.onSite:
		p.TeamSize, p.MaterialsRequested = uint32(1+g.r.IntN(2)), uint32(g.r.IntN(4))
		if in.mode == "written" {
			p.EndAt = in.at.Add(time.Duration(7+g.r.IntN(8)) * 24 * time.Hour)
		}
		return
	case in.plan.Category == "comprehensive":
		p.TeamSize = uint32(5 + g.r.IntN(5))
	default:
		p.TeamSize = uint32(2 + g.r.IntN(4))
	}
	p.EndAt = in.at.Add(time.Duration(120+g.r.IntN(181)) * time.Minute)
	if in.mode == "overt" {
		p.Accompanying = uint32(g.r.IntN(3))
	}
	p.MaterialsRequested = uint32(g.r.IntN(3))
	p.TotalUnits = uint32(3 + g.r.IntN(28))
	if !in.level.Grassroots() && len(c.townships) >= 3 {
		p.TotalUnits = uint32(len(c.townships))
	}
	p.SampledUnits = uint32(1 + g.r.IntN(int(p.TotalUnits/3))) // SD 10: at most a third
}
