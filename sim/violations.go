package sim

import (
	"math"
	"strconv"
	"time"

	"github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/rules"
)

// eventRules are the event-scoped rules that a single event can be made to
// break, by kind (kindIndex).
var eventRules = [4][]string{
	{rules.InspectionUnplanned, rules.InspectionUncoded, rules.InspectionUnapproved, rules.InspectionTooSoon, rules.InspectionPrincipalAccompanied, rules.InspectionSampling, rules.InspectionAccountability, rules.InspectionComprehensiveMaterial},
	{rules.MeetingCascade},
	{rules.DocumentLength, rules.DocumentUpwardReport, rules.DocumentCascade, rules.VetoUnlisted, rules.VetoByProvinceDept},
	{rules.FormDuplicate, rules.FormUnapprovedSurvey},
}

// structuralCount is how many scopes of each aggregate rule are made to
// break: about ViolationShare of the counties, at least one.
func (w *world) structuralCount() int {
	return max(1, int(math.Ceil(w.cfg.ViolationShare*float64(len(w.counties)))))
}

// injectStructural plants breaches of the aggregate and scheduling rules
// in the planned inspections, forms and daily counts, and records them.
func (w *world) injectStructural(planners []*planner, v map[string]int) {
	k := w.structuralCount()
	injections := []struct {
		rule string
		fn   func(*planner) bool
	}{
		{rules.InspectionCrowding, (*planner).injectCrowding},
		{rules.InspectionNoMeetingMonth, (*planner).injectNoMeetingMonth},
		{rules.InspectionExemptCounty, (*planner).injectExempt},
		{rules.InspectionComprehensiveCap, (*planner).injectComprehensiveCap},
		{rules.InspectionAppraisalCap, (*planner).injectAppraisalCap},
		{rules.InspectionVisitCap, (*planner).injectVisitCap},
		{rules.InspectionCovertShare, (*planner).injectCovertShare},
		{"", (*planner).injectFormMultiple}, // counted from what is emitted, at the end
		{"", (*planner).injectInspectionYoY},
		{"", (*planner).injectDocumentQuota},
		{"", (*planner).injectDocumentYoY},
		{"", (*planner).injectMeetingQuota},
	}
	for i, inj := range injections {
		done := 0
		for j := 0; j < len(planners) && done < k; j++ {
			if inj.fn(planners[(3*i+j)%len(planners)]) {
				done++
				if inj.rule != "" {
					v[inj.rule]++
				}
			}
		}
	}
	w.ensureNoMeetingDay()
}

// planFor returns a plan item of an issuer of the county (other than not),
// of one of the categories, that may still visit unit; the visit is
// recorded.
func (p *planner) planFor(not *issuer, unit string, day int, cats ...string) *planItem {
	start := p.r.IntN(len(p.c.issuers) + 1)
	for i := range p.c.issuers {
		is := p.c.issuers[(start+i)%len(p.c.issuers)]
		if is == not {
			continue
		}
		for _, pl := range is.plan {
			for _, cat := range cats {
				if pl.Category == cat && pl.valid(day) && p.visit(pl, unit) {
					return pl
				}
			}
		}
	}
	return nil
}

// injectCrowding adds an on-site inspection by a second issuer at the end
// of another issuer's campaign: one crowding result at it.
func (p *planner) injectCrowding() bool {
	var blocks []int
	for b, is := range p.owner {
		if is != nil && !p.lastAt[b].IsZero() && p.blockOK(b, true) {
			blocks = append(blocks, b)
		}
	}
	if len(blocks) == 0 {
		return false
	}
	b := blocks[p.r.IntN(len(blocks))]
	last := p.lastAt[b]
	dayStart := time.Date(last.Year(), last.Month(), last.Day(), 16, p.r.IntN(60), 0, 0, cst)
	pl := p.planFor(p.owner[b], "", p.dayOf(dayStart), "special", "research", "routine")
	if pl == nil {
		return false
	}
	p.add(&inspection{day: p.dayOf(dayStart), at: dayStart, issuer: pl.issuer, plan: pl, onSite: true, mode: "overt",
		level: burdenwatch.LevelCounty, code: p.codeFor(pl), locked: true})
	return true
}

// hasDeskDay reports whether a desk inspection of pl can lie on a day of
// its code validity.
func (p *planner) hasDeskDay(pl *planItem) bool {
	for d := pl.validFrom; d <= pl.validTo && d < len(p.deskCum); d++ {
		if p.deskWeight(d) > 0 {
			return true
		}
	}
	return false
}

// dayOf returns the index of the day of t.
func (p *planner) dayOf(t time.Time) int { return t.In(cst).YearDay() - 1 }

// injectNoMeetingMonth adds an on-site inspection in a no-meeting month,
// in a block kept free of other on-site inspections.
func (p *planner) injectNoMeetingMonth() bool {
	for b := range p.owner {
		if p.owner[b] != nil || p.usable[b] || !p.blockOK(b, false) {
			continue
		}
		d := b * blockDays
		for d < b*blockDays+windowDays-1 && (isWeekend(p.w.days[d].weekday) || !p.w.noMeetingMonth[p.w.days[d].month]) {
			d++
		}
		if !p.w.noMeetingMonth[p.w.days[d].month] {
			continue
		}
		pl := p.planFor(nil, "", d, "special", "research", "routine")
		if pl == nil {
			return false
		}
		at := p.w.days[d].date.Add(10 * time.Hour)
		p.owner[b] = pl.issuer
		p.add(&inspection{day: d, at: at, issuer: pl.issuer, plan: pl, onSite: true, mode: "covert",
			level: burdenwatch.LevelCounty, code: p.codeFor(pl), locked: true})
		return true
	}
	return false
}

// injectExempt adds a written comprehensive inspection of an exempt county.
func (p *planner) injectExempt() bool {
	if !p.c.exempt {
		return false
	}
	for _, is := range p.c.issuers {
		for _, pl := range is.plan {
			if pl.Category == "comprehensive" && p.hasDeskDay(pl) && p.visit(pl, "") {
				return p.deskOn(pl, "written", burdenwatch.LevelCounty, "", true) != nil
			}
		}
	}
	return false
}

// countBy counts the county's inspections by issuer and category.
func (p *planner) countBy(is *issuer, category string) int {
	n := 0
	for _, in := range p.c.insp {
		if in.issuer == is && in.plan.Category == category {
			n++
		}
	}
	return n
}

// injectComprehensiveCap gives one issuer a second comprehensive
// inspection of the county (SD-7 allows one a year).
func (p *planner) injectComprehensiveCap() bool {
	return !p.c.exempt && p.injectCap("comprehensive", 2, "written")
}

// injectAppraisalCap gives one issuer a third appraisal of the county.
func (p *planner) injectAppraisalCap() bool { return p.injectCap("appraisal", 3, "online") }

// injectCap brings one issuer's inspections of category on the county to
// want, with desk inspections on units its plan items may still visit.
func (p *planner) injectCap(category string, want int, mode string) bool {
	for _, is := range p.c.issuers {
		var items []*planItem
		for _, pl := range is.plan {
			if pl.Category == category {
				items = append(items, pl)
			}
		}
		if len(items) == 0 {
			continue
		}
		for n := p.countBy(is, category); n < want; n++ {
			pl := items[n%len(items)]
			if p.desk(pl, mode, burdenwatch.LevelTownship, true) == nil {
				return false // the first ones stay: compliant, the cap not crossed
			}
		}
		return true
	}
	return false
}

// injectVisitCap sends one plan item to one township once more than its
// max_visits_per_unit allows.
func (p *planner) injectVisitCap() bool {
	if len(p.c.townships) == 0 {
		return false
	}
	for _, items := range p.byLevel {
		for _, pl := range items {
			if pl.MaxVisitsPerUnit == 0 || !p.hasDeskDay(pl) {
				continue
			}
			t := p.c.townships[p.r.IntN(len(p.c.townships))].Code
			if p.visits[visitKey{pl, t}] > 0 {
				continue
			}
			for range pl.MaxVisitsPerUnit + 1 {
				p.deskOn(pl, "written", burdenwatch.LevelTownship, t, true)
			}
			p.visits[visitKey{pl, t}] = pl.MaxVisitsPerUnit + 1 // no other visit may come
			return true
		}
	}
	return false
}

// injectCovertShare makes every grassroots on-site inspection of one
// issuer overt (HN 三: at least half must be covert).
func (p *planner) injectCovertShare() bool {
	count := map[*issuer]int{}
	for _, in := range p.c.insp {
		if in.onSite && in.level.Grassroots() {
			count[in.issuer]++
		}
	}
	var best *issuer
	for _, is := range p.c.issuers { // issuer order, not map order
		if n := count[is]; n > 0 && (best == nil || n < count[best]) {
			best = is
		}
	}
	if best == nil {
		return false
	}
	for _, in := range p.c.insp {
		if in.issuer == best && in.onSite && in.level.Grassroots() {
			in.mode = "overt"
		}
	}
	return true
}

// injectFormMultiple gives one issuer a second form to the county.
func (p *planner) injectFormMultiple() bool {
	for i, f := range p.c.catalog {
		if f.frequency == "once" || f.frequency == "adhoc" {
			continue
		}
		n, _ := strconv.Atoi(f.id[len(f.id)-2:])
		g := p.w.newForm(f.issuer, p.r, n%9+1)
		g.frequency, g.weight = "monthly", math.Max(f.weight, formFrequencyWeight["monthly"])
		p.c.catalog = append(p.c.catalog, g)
		p.c.catalogCum = cumulative(p.c.catalog)
		p.c.extraForms = append(p.c.extraForms, i, len(p.c.catalog)-1)
		return true
	}
	return false
}

// injectInspectionYoY adds desk inspections until the county's year
// exceeds its baseline.
func (p *planner) injectInspectionYoY() bool {
	b := p.c.base.inspections
	if b == nil {
		return false
	}
	need := *b + 1 + p.r.IntN(3) - len(p.c.insp)
	for tries, limit := 0, 10*need+10; need > 0 && tries < limit; tries++ {
		pl := p.pickPlan()
		if pl != nil && p.desk(pl, p.deskMode(), p.grassrootsLevel(pl), false) != nil {
			need--
		}
	}
	return need <= 0
}

func (p *planner) injectDocumentQuota() bool {
	return p.exceed(p.c.documents, p.c.quota.documents, allDays)
}

func (p *planner) injectDocumentYoY() bool {
	return p.exceed(p.c.documents, p.c.base.documents, allDays)
}

func (p *planner) injectMeetingQuota() bool {
	nm := p.w.noMeetingWeekday
	return p.exceed(p.c.meetings, p.c.quota.meetings, func(d day) bool {
		return int(d.weekday) != nm && !isWeekend(d.weekday)
	})
}

func allDays(day) bool { return true }

// exceed adds events to the daily counts until their sum exceeds limit.
func (p *planner) exceed(counts []int32, limit *int, ok func(day) bool) bool {
	if limit == nil {
		return false
	}
	sum := 0
	for _, n := range counts {
		sum += int(n)
	}
	need := *limit + 1 + p.r.IntN(5) - sum
	if need <= 0 {
		return true
	}
	return p.w.addExtras(p.r, p.c, counts, need, ok) == need
}

// ensureNoMeetingDay makes sure at least one meeting lies on the
// province's no-meeting weekday when violations are injected.
func (w *world) ensureNoMeetingDay() {
	if w.noMeetingWeekday < 0 {
		return
	}
	for _, c := range w.counties {
		for i, n := range c.meetings {
			if n > 0 && int(w.days[i].weekday) == w.noMeetingWeekday {
				return
			}
		}
	}
	c := w.counties[0]
	for i := max(c.from, 14); i <= w.lastDay; i++ {
		if int(w.days[i].weekday) == w.noMeetingWeekday && w.days[i].holiday == 1 {
			c.meetings[i]++
			return
		}
	}
}

// mutate makes a fresh event break one event rule of its kind: first every
// rule not yet broken in this run, then a random one with probability
// ViolationShare. It records the rule in the stats.
func (g *gen) mutate(ev *burdenwatch.Event, c *county, ki int) {
	share := g.cfg.ViolationShare
	if share <= 0 {
		return
	}
	rules := eventRules[ki]
	if g.mustLeft[ki] > 0 {
		for _, rule := range rules {
			if !g.injected[rule] && g.apply(rule, ev, c) {
				g.injected[rule] = true
				g.mustLeft[ki]--
				return
			}
		}
	}
	if g.r.Float64() >= share {
		return
	}
	start := g.r.IntN(len(rules))
	for i := range rules {
		if g.apply(rules[(start+i)%len(rules)], ev, c) {
			return
		}
	}
}

// apply breaks rule in ev if it can, and counts it.
func (g *gen) apply(rule string, ev *burdenwatch.Event, c *county) bool {
	ok := false
	switch ev.Kind {
	case burdenwatch.KindInspection:
		ok = g.applyInspection(rule, ev, c)
	case burdenwatch.KindDocument:
		ok = g.applyDocument(rule, ev)
	case burdenwatch.KindMeeting:
		ev.Meeting.CascadeRequired, ok = true, true
	case burdenwatch.KindDataReport:
		ok = applyForm(rule, &ev.DataReport)
	}
	if ok {
		g.stats.Violations[rule]++
	}
	return ok
}

func (g *gen) applyInspection(rule string, ev *burdenwatch.Event, c *county) bool {
	in := &ev.Inspection
	switch rule {
	case rules.InspectionUnplanned:
		in.PlanCode = pick(g.r.IntN(2) == 0, "", ev.Issuer.Code+"-LS"+strconv.Itoa(g.cfg.Year%100)+"-"+strconv.Itoa(1+g.r.IntN(9)))
		g.countUnplannedCode(in)
	case rules.InspectionUncoded:
		in.InspectionCode = ""
	case rules.InspectionUnapproved:
		in.Approved = false
	case rules.InspectionTooSoon:
		ref, ok := c.recent.newestIn(ev.OccurredAt.Add(-29*24*time.Hour), ev.OccurredAt.Add(-time.Hour))
		if !ok {
			return false
		}
		in.DeploymentDocID = ref.id
	case rules.InspectionPrincipalAccompanied:
		if !in.OnSite {
			return false
		}
		in.PrincipalAccompanied, in.Accompanying = true, max(in.Accompanying, 2)
	case rules.InspectionSampling:
		if !in.OnSite {
			return false
		}
		in.TotalUnits = max(in.TotalUnits, 6)
		in.SampledUnits = in.TotalUnits/2 + 1
	case rules.InspectionAccountability:
		in.AccountabilityDemanded = true
	case rules.InspectionComprehensiveMaterial:
		in.ComprehensiveMaterial, in.MaterialsRequested = true, in.MaterialsRequested+1
	default:
		return false
	}
	return true
}

func (g *gen) applyDocument(rule string, ev *burdenwatch.Event) bool {
	d := &ev.Document
	switch rule {
	case rules.DocumentLength:
		d.DocType, d.Pages = "policy", uint32(11+g.r.IntN(18))
	case rules.DocumentUpwardReport:
		d.RequiresUpwardReport = true
	case rules.DocumentCascade:
		d.RequiresSupportingDocs = true
	case rules.VetoUnlisted:
		if g.provDept(ev) {
			return false
		}
		d.VetoItems = append(d.VetoItems, g.unlistedItem())
		d.Pledges++
	case rules.VetoByProvinceDept:
		if !g.provDept(ev) {
			return false
		}
		if len(g.w.veto) == 0 {
			d.VetoItems = append(d.VetoItems, g.unlistedItem())
			g.stats.Violations[rules.VetoUnlisted]++ // no approved list: the item is unlisted too
		} else {
			d.VetoItems = append(d.VetoItems, g.w.veto[g.r.IntN(len(g.w.veto))])
		}
	default:
		return false
	}
	return true
}

// provDept reports whether the event's issuer is a province-level
// department.
func (g *gen) provDept(ev *burdenwatch.Event) bool {
	return ev.Issuer.Level == "province" && ev.Issuer.Kind == "department"
}

func (g *gen) unlistedItem() string {
	for {
		item := unlistedVetoItems[g.r.IntN(len(unlistedVetoItems))]
		if !g.w.vetoSet[item] {
			return item
		}
	}
}

func applyForm(rule string, f *burdenwatch.DataReport) bool {
	switch rule {
	case rules.FormDuplicate:
		f.DuplicateFields = max(1, f.Fields/4)
	case rules.FormUnapprovedSurvey:
		f.ApprovedSurvey = false
	default:
		return false
	}
	return true
}

// countViolations adds the results of the count rules (quotas and
// baselines) and of form.multiple_per_issuer, from what was emitted.
func (w *world) countViolations(v map[string]int) {
	over := func(n int, limit *int, rule string) {
		if limit != nil && n > *limit {
			v[rule]++
		}
	}
	for _, c := range w.counties {
		over(c.emitted[kiDocument], c.quota.documents, rules.DocumentQuota)
		over(c.emitted[kiDocument], c.base.documents, rules.DocumentYoY)
		over(c.emitted[kiMeeting], c.quota.meetings, rules.MeetingQuota)
		over(c.emitted[kiInspection], c.base.inspections, rules.InspectionYoY)
		for i := 0; i+1 < len(c.extraForms); i += 2 {
			if c.catalog[c.extraForms[i]].emitted > 0 && c.catalog[c.extraForms[i+1]].emitted > 0 {
				v[rules.FormMultiplePerIssuer]++
			}
		}
	}
}
