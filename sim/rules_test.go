package sim

import (
	"slices"
	"strconv"
	"time"

	"github.com/burdenwatch/burdenwatch"
)

// evaluate checks the rules of SPEC §5 with their default limits on the
// final events (highest revision per event_id) of one province-year, as
// an independent reading of the SPEC, and returns the number of results
// per rule: offending events for event rules, offending scopes for
// aggregate rules, offending inspections for crowding.
func evaluate(events map[string]burdenwatch.Event, ref *burdenwatch.ReferenceData, province string, year int) map[string]int {
	e := &evaluator{ref: ref, province: province, year: year, out: map[string]int{}, events: events}
	e.index()
	ids := make([]string, 0, len(events))
	for id := range events {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		ev := events[id]
		switch ev.Kind {
		case burdenwatch.KindInspection:
			e.inspection(&ev)
		case burdenwatch.KindDocument:
			e.document(&ev)
		case burdenwatch.KindMeeting:
			e.meeting(&ev)
		case burdenwatch.KindDataReport:
			e.form(&ev)
		}
	}
	e.aggregates()
	e.crowding(ids)
	for k, v := range e.out {
		if v == 0 {
			delete(e.out, k)
		}
	}
	return e.out
}

type evaluator struct {
	ref      *burdenwatch.ReferenceData
	province string
	year     int
	events   map[string]burdenwatch.Event
	out      map[string]int

	plan          map[string]burdenwatch.PlanItem // issuer|plan code -> item
	veto          map[string]bool
	weekday       int
	months        map[time.Month]bool
	exempt        map[string]bool
	quota, base   map[string]burdenwatch.Quota
	visits        map[string]int // plan|unit
	visitCap      map[string]int
	grassCovert   map[string][2]int // issuer|county -> covert, on-site grassroots
	comprehensive map[string]int
	appraisal     map[string]int
	forms         map[string]map[string]bool
	counts        map[string][4]int // county -> inspections, meetings, documents, forms
}

func (e *evaluator) index() {
	e.plan, e.veto, e.months, e.exempt = map[string]burdenwatch.PlanItem{}, map[string]bool{}, map[time.Month]bool{}, map[string]bool{}
	e.quota, e.base = map[string]burdenwatch.Quota{}, map[string]burdenwatch.Quota{}
	e.visits, e.visitCap, e.grassCovert = map[string]int{}, map[string]int{}, map[string][2]int{}
	e.comprehensive, e.appraisal, e.forms, e.counts = map[string]int{}, map[string]int{}, map[string]map[string]bool{}, map[string][4]int{}
	e.weekday = -1
	for _, p := range e.ref.Plan {
		if p.Year == e.year {
			e.plan[p.IssuerCode+"|"+p.PlanCode] = p
		}
	}
	for _, v := range e.ref.VetoList {
		if v.ProvinceCode == e.province {
			e.veto[v.Item] = true
		}
	}
	for _, c := range e.ref.Calendar {
		if c.ProvinceCode != e.province {
			continue
		}
		if c.Rule == burdenwatch.CalendarNoMeetingWeekday {
			n, _ := strconv.Atoi(c.Value)
			e.weekday = n % 7
		} else if t, err := time.Parse("2006-01", c.Value); err == nil && t.Year() == e.year {
			e.months[t.Month()] = true
		}
	}
	for _, x := range e.ref.Exemptions {
		if x.Year == e.year {
			e.exempt[x.CountyCode] = true
		}
	}
	for _, q := range e.ref.Quotas {
		if q.Year == e.year {
			e.quota[q.CountyCode] = q
		}
	}
	for _, b := range e.ref.Baselines {
		if b.Year < e.year && b.Year > e.base[b.CountyCode].Year {
			e.base[b.CountyCode] = burdenwatch.Quota(b)
		}
	}
}

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

func (e *evaluator) hit(rule string, cond bool) {
	if cond {
		e.out[rule]++
	}
}

func (e *evaluator) count(county string, ki int) {
	c := e.counts[county]
	c[ki]++
	e.counts[county] = c
}

func (e *evaluator) inspection(ev *burdenwatch.Event) {
	in := &ev.Inspection
	e.count(ev.CountyCode, kiInspection)
	p, planned := e.plan[ev.Issuer.Code+"|"+in.PlanCode]
	e.hit(ruleUnplanned, in.PlanCode == "" || !planned)
	e.hit(ruleUncoded, in.InspectionCode == "")
	e.hit(ruleUnapproved, !in.Approved)
	if doc, ok := e.events[in.DeploymentDocID]; ok && doc.Kind == burdenwatch.KindDocument {
		d := ev.OccurredAt.Sub(doc.OccurredAt)
		e.hit(ruleTooSoon, d >= 0 && d <= 30*24*time.Hour)
	}
	if planned && p.MaxVisitsPerUnit > 0 {
		k := in.PlanCode + "|" + ev.BearingUnit()
		e.visits[k]++
		e.visitCap[k] = p.MaxVisitsPerUnit
	}
	if in.OnSite && ev.TargetLevel.Grassroots() {
		k := ev.Issuer.Code + "|" + ev.CountyCode
		c := e.grassCovert[k]
		if in.Mode == "covert" {
			c[0]++
		}
		c[1]++
		e.grassCovert[k] = c
	}
	e.hit(rulePrincipal, in.PrincipalAccompanied)
	e.hit(ruleSampling, 3*in.SampledUnits > in.TotalUnits)
	switch in.Category {
	case "comprehensive":
		e.comprehensive[ev.Issuer.Code+"|"+ev.CountyCode]++
		e.hit(ruleExemptCounty, e.exempt[ev.CountyCode])
	case "appraisal":
		e.appraisal[ev.Issuer.Code+"|"+ev.CountyCode]++
	}
	e.hit(ruleNoMeetingMonth, in.OnSite && e.months[ev.OccurredAt.In(shanghai).Month()])
	e.hit(ruleAccountability, in.AccountabilityDemanded)
	e.hit(ruleComprehensiveMaterial, in.ComprehensiveMaterial)
}

func (e *evaluator) document(ev *burdenwatch.Event) {
	d := &ev.Document
	e.count(ev.CountyCode, kiDocument)
	e.hit(ruleDocumentLength, d.DocType == "policy" && d.Pages > 10)
	e.hit(ruleUpwardReport, d.RequiresUpwardReport)
	e.hit(ruleDocumentCascade, d.RequiresSupportingDocs)
	unlisted := false
	for _, item := range d.VetoItems {
		unlisted = unlisted || !e.veto[item]
	}
	e.hit(ruleVetoUnlisted, unlisted)
	e.hit(ruleVetoProvinceDept, len(d.VetoItems) > 0 && ev.Issuer.Level == "province" && ev.Issuer.Kind == "department")
}

func (e *evaluator) meeting(ev *burdenwatch.Event) {
	e.count(ev.CountyCode, kiMeeting)
	e.hit(ruleNoMeetingDay, int(ev.OccurredAt.In(shanghai).Weekday()) == e.weekday)
	e.hit(ruleMeetingCascade, ev.Meeting.CascadeRequired)
}

func (e *evaluator) form(ev *burdenwatch.Event) {
	r := &ev.DataReport
	e.count(ev.CountyCode, kiDataReport)
	e.hit(ruleFormDuplicate, r.DuplicateFields > 0)
	e.hit(ruleFormUnapproved, !r.ApprovedSurvey)
	k := ev.Issuer.Code + "|" + ev.CountyCode
	if e.forms[k] == nil {
		e.forms[k] = map[string]bool{}
	}
	e.forms[k][r.FormID] = true
}

func (e *evaluator) aggregates() {
	for k, n := range e.visits {
		e.hit(ruleVisitCap, n > e.visitCap[k])
	}
	for _, c := range e.grassCovert {
		e.hit(ruleCovertShare, 2*c[0] < c[1])
	}
	for _, n := range e.comprehensive {
		e.hit(ruleComprehensiveCap, n > 1)
	}
	for _, n := range e.appraisal {
		e.hit(ruleAppraisalCap, n > 2)
	}
	for _, ids := range e.forms {
		e.hit(ruleFormMultiple, len(ids) > 1)
	}
	over := func(n int, limit *int) bool { return limit != nil && n > *limit }
	for county, c := range e.counts {
		q, b := e.quota[county], e.base[county]
		e.hit(ruleDocumentQuota, over(c[kiDocument], q.Documents))
		e.hit(ruleDocumentYoY, over(c[kiDocument], b.Documents))
		e.hit(ruleMeetingQuota, over(c[kiMeeting], q.Meetings))
		e.hit(ruleInspectionYoY, over(c[kiInspection], b.Inspections))
	}
}

// crowding: at each on-site inspection, it and the on-site inspections by
// other issuers on the same county in the 7 days before it number ≥ 2.
func (e *evaluator) crowding(ids []string) {
	byCounty := map[string][]burdenwatch.Event{}
	for _, id := range ids {
		if ev := e.events[id]; ev.Kind == burdenwatch.KindInspection && ev.Inspection.OnSite {
			byCounty[ev.CountyCode] = append(byCounty[ev.CountyCode], ev)
		}
	}
	for _, list := range byCounty {
		slices.SortFunc(list, func(a, b burdenwatch.Event) int { return a.OccurredAt.Compare(b.OccurredAt) })
		for i, x := range list {
			n := 1
			for j := i - 1; j >= 0 && x.OccurredAt.Sub(list[j].OccurredAt) <= 7*24*time.Hour; j-- {
				if list[j].Issuer.Code != x.Issuer.Code {
					n++
				}
			}
			e.hit(ruleCrowding, n >= 2)
		}
	}
}
