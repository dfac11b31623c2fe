package sim

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/burdenwatch/burdenwatch"
)

// blockDays is the length of the blocks that share out a county's on-site
// inspections: each block holds the on-site inspections of one issuer, on
// its first windowDays days between 09:00 and 17:00 only, so on-site
// inspections by different issuers are always more than 7 days apart
// (inspection.crowding, K=2, D=7): 11 days − 4 days + 8 hours > 7 days.
const (
	blockDays  = 11
	windowDays = 4
)

// inspection is a planned inspection event of a county.
type inspection struct {
	day    int
	at     time.Time
	issuer *issuer
	plan   *planItem
	onSite bool
	mode   string
	level  burdenwatch.Level
	unit   string // "" for the county itself
	code   string // 一事一码, shared by the visits of one campaign
	locked bool   // carries a planned violation: no event-level mutation
}

// visitKey counts visits of a plan item to a bearing unit.
type visitKey struct {
	plan *planItem
	unit string
}

// planner plans the inspections of one county for the year.
type planner struct {
	w       *world
	c       *county
	r       *rand.Rand
	visits  map[visitKey]int
	owner   []*issuer   // per block: the issuer of its on-site campaign
	usable  []bool      // per block: free of holidays and no-meeting months, inside the observed days
	lastAt  []time.Time // per block: start of its last on-site inspection
	deskCum []float64   // cumulative day weights for desk inspections
	byLevel [numLevels][]*planItem
	codeSeq *int
}

// onSiteShare is the share of on-site inspections by category.
var onSiteShare = map[string]float64{"comprehensive": 0.8, "special": 0.45, "appraisal": 1, "research": 0.7, "routine": 0.4}

// inspectionLevelWeight is how much of a county's inspections come from
// each issuer level.
var inspectionLevelWeight = [numLevels]float64{0.03, 0.30, 0.35, 0.32, 0}

// comprehensiveShare is the chance that an issuer with a comprehensive
// plan item inspects a given county in the year.
var comprehensiveShare = [numLevels]float64{0.1, 0.5, 0.8, 0.9, 0.9}

func newPlanner(w *world, c *county, codeSeq *int) *planner {
	p := &planner{w: w, c: c, r: w.rngFor("inspections/" + c.code), visits: map[visitKey]int{}, codeSeq: codeSeq}
	nb := (len(w.days) + blockDays - 1) / blockDays
	p.owner, p.usable, p.lastAt = make([]*issuer, nb), make([]bool, nb), make([]time.Time, nb)
	for b := range nb {
		p.usable[b] = p.blockOK(b, true)
	}
	p.deskCum = make([]float64, len(w.days))
	sum := 0.0
	for i, d := range w.days {
		if i >= c.from && i <= w.lastDay && d.weekday != time.Saturday && d.weekday != time.Sunday {
			sum += inspectionMonthFactor[d.month] * d.holiday
		}
		p.deskCum[i] = sum
	}
	for _, is := range c.issuers {
		for _, pl := range is.plan {
			if pl.Category != "comprehensive" && pl.Category != "appraisal" {
				p.byLevel[is.level] = append(p.byLevel[is.level], pl)
			}
		}
	}
	return p
}

// blockOK reports whether block b lies inside the observed days, off
// holidays and (when strict) outside the no-meeting months.
func (p *planner) blockOK(b int, strict bool) bool {
	for i := b * blockDays; i < b*blockDays+windowDays; i++ {
		if i < p.c.from || i > p.w.lastDay || i >= len(p.w.days) || p.w.days[i].holiday < 0.5 {
			return false
		}
		if strict && p.w.noMeetingMonth[p.w.days[i].month] {
			return false
		}
	}
	return true
}

// plan fills the county's inspection list with total compliant events.
func (p *planner) plan(total int) {
	n := p.planCapped()
	for tries := 0; n < total && tries < 4*total+10; tries++ {
		pl := p.pickPlan()
		if pl == nil {
			return
		}
		onSite := p.r.Float64() < onSiteShare[pl.Category]
		size := 1
		if onSite {
			size = 1 + p.r.IntN(3)
			if pl.issuer.level >= levelCounty {
				size++
			}
			size = min(size, total-n)
		}
		n += p.campaign(pl, size, onSite)
	}
}

// planCapped plans the comprehensive (at most 1 per issuer, none on an
// exempt county) and appraisal (at most 2 per issuer) inspections.
func (p *planner) planCapped() int {
	n := 0
	for _, is := range p.c.issuers {
		appraisals := 0
		comprehensive := false
		for _, pl := range is.plan {
			switch {
			case pl.Category == "comprehensive" && !comprehensive && !p.c.exempt && p.r.Float64() < comprehensiveShare[is.level]:
				comprehensive = true
				n += p.campaign(pl, 1, p.r.Float64() < onSiteShare[pl.Category])
			case pl.Category == "appraisal" && appraisals < 2 && p.r.Float64() < 0.5:
				appraisals++
				n += p.campaign(pl, 1, true)
			}
		}
	}
	return n
}

// pickPlan chooses a special, research or routine plan item: a level by
// its weight, then an item of that level.
func (p *planner) pickPlan() *planItem {
	sum := 0.0
	for l, items := range p.byLevel {
		if len(items) > 0 {
			sum += inspectionLevelWeight[l]
		}
	}
	x := p.r.Float64() * sum
	for l, items := range p.byLevel {
		if len(items) == 0 {
			continue
		}
		if x < inspectionLevelWeight[l] {
			return items[p.r.IntN(len(items))]
		}
		x -= inspectionLevelWeight[l]
	}
	for _, items := range p.byLevel { // only levels of weight 0 have items
		if len(items) > 0 {
			return items[p.r.IntN(len(items))]
		}
	}
	return nil
}

// campaign plans size visits of one plan item: on site in a free block
// (falling back to desk inspections when none is free), or at a desk.
// It returns the number of events planned.
func (p *planner) campaign(pl *planItem, size int, onSite bool) int {
	b := -1
	if onSite {
		b = p.freeBlock(pl)
	}
	if b < 0 {
		n := 0
		for range size {
			if p.desk(pl, p.deskMode(), p.grassrootsLevel(pl), false) != nil {
				n++
			}
		}
		return n
	}
	p.owner[b] = pl.issuer
	code := p.codeFor(pl)
	days := p.campaignDays(b, size)
	n := 0
	for i := range size {
		lvl, unit, ok := p.unit(pl, p.grassrootsLevel(pl))
		if !ok {
			continue
		}
		d := days[i%len(days)]
		at := p.w.days[d].date.Add(time.Duration(540+p.r.IntN(391)) * time.Minute) // 09:00–15:30
		p.add(&inspection{day: d, at: at, issuer: pl.issuer, plan: pl, onSite: true, level: lvl, unit: unit, code: code})
		if at.After(p.lastAt[b]) {
			p.lastAt[b] = at
		}
		n++
	}
	return n
}

// campaignDays returns the working days of block b used by a campaign:
// one or two consecutive working days of the block's window.
func (p *planner) campaignDays(b, size int) []int {
	var work []int
	for d := b * blockDays; d < b*blockDays+windowDays; d++ {
		if !isWeekend(p.w.days[d].weekday) {
			work = append(work, d)
		}
	}
	i := p.r.IntN(len(work))
	days := work[i : i+1]
	if size > 1 && i+1 < len(work) && work[i+1] == work[i]+1 && p.r.IntN(2) == 0 {
		days = work[i : i+2]
	}
	return days
}

func isWeekend(d time.Weekday) bool { return d == time.Saturday || d == time.Sunday }

// freeBlock picks a free usable block, preferring the plan item's season.
func (p *planner) freeBlock(pl *planItem) int {
	sum := 0.0
	weights := make([]float64, len(p.owner))
	for b := range p.owner {
		if p.owner[b] == nil && p.usable[b] && pl.valid(b*blockDays) && pl.valid(b*blockDays+windowDays-1) {
			weights[b] = seasonWeight(pl, p.w.days[b*blockDays].month)
			sum += weights[b]
		}
	}
	if sum == 0 {
		return -1
	}
	x := p.r.Float64() * sum
	for b, wt := range weights {
		if x < wt {
			return b
		}
		x -= wt
	}
	return -1
}

// seasonWeight prefers the flood season for flood work, mid-year and
// year-end for comprehensive inspections, the last months for appraisals.
func seasonWeight(pl *planItem, m time.Month) float64 {
	flood := domainTexts[pl.issuer.dom].floodHeavy || strings.Contains(pl.Title, "汛")
	switch {
	case flood:
		return pick(m >= 5 && m <= 8, 1, 0.05)
	case pl.Category == "comprehensive":
		return pick(m == 6 || m == 7 || m >= 11, 1, 0.1)
	case pl.Category == "appraisal":
		return pick(m >= 9, 1, 0.1)
	}
	return inspectionMonthFactor[m]
}

func pick[T any](cond bool, a, b T) T {
	if cond {
		return a
	}
	return b
}

// grassrootsLevel chooses the level a visit of the plan item lands on.
func (p *planner) grassrootsLevel(pl *planItem) burdenwatch.Level {
	x := p.r.Float64()
	switch {
	case pl.Category == "appraisal":
		return burdenwatch.LevelCounty
	case pl.Category == "comprehensive":
		return pick(x < 0.7, burdenwatch.LevelCounty, burdenwatch.LevelTownship)
	case pl.issuer.level >= levelCounty:
		return pick(x < 0.6, burdenwatch.LevelTownship, burdenwatch.LevelVillage)
	case x < 0.3:
		return burdenwatch.LevelCounty
	case x < 0.8:
		return burdenwatch.LevelTownship
	}
	return burdenwatch.LevelVillage
}

// unit chooses a bearing unit at level that the plan item may still visit
// (max_visits_per_unit), falling back to the county and to any township.
func (p *planner) unit(pl *planItem, level burdenwatch.Level) (burdenwatch.Level, string, bool) {
	for range 8 {
		lvl, u := p.c.randomUnit(p.r, level)
		if p.visit(pl, u) {
			return lvl, u, true
		}
	}
	if p.visit(pl, "") {
		return burdenwatch.LevelCounty, "", true
	}
	for _, t := range p.c.townships {
		if p.visit(pl, t.Code) {
			return burdenwatch.LevelTownship, t.Code, true
		}
	}
	return "", "", false
}

// visit records a visit of the plan item to unit if its cap allows it.
func (p *planner) visit(pl *planItem, unit string) bool {
	k := visitKey{pl, cmp.Or(unit, p.c.code)}
	if pl.MaxVisitsPerUnit > 0 && p.visits[k] >= pl.MaxVisitsPerUnit {
		return false
	}
	p.visits[k]++
	return true
}

func (p *planner) deskMode() string { return pick(p.r.Float64() < 0.6, "written", "online") }

// desk plans one desk (written or online) inspection on a working day, on
// a unit at level that the plan item may still visit.
func (p *planner) desk(pl *planItem, mode string, level burdenwatch.Level, locked bool) *inspection {
	if p.deskCum[len(p.deskCum)-1] == 0 {
		return nil
	}
	lvl, unit, ok := p.unit(pl, level)
	if !ok {
		return nil
	}
	return p.deskOn(pl, mode, lvl, unit, locked)
}

// deskOn plans one desk inspection of unit on a working day, whatever the
// plan item's visit cap.
func (p *planner) deskOn(pl *planItem, mode string, lvl burdenwatch.Level, unit string, locked bool) *inspection {
	d, ok := p.deskDay(pl.valid)
	if !ok {
		return nil
	}
	at := p.w.days[d].date.Add(time.Duration(540+p.r.IntN(480)) * time.Minute)
	in := &inspection{day: d, at: at, issuer: pl.issuer, plan: pl, mode: mode, level: lvl, unit: unit, code: p.codeFor(pl), locked: locked}
	p.add(in)
	return in
}

func (p *planner) add(in *inspection) { p.c.insp = append(p.c.insp, in) }

// deskDay draws a working day for a desk inspection by the desk day
// weights, among the days ok accepts (the plan item's code validity).
func (p *planner) deskDay(ok func(int) bool) (int, bool) {
	total := p.deskCum[len(p.deskCum)-1]
	if total == 0 {
		return 0, false
	}
	for range 16 {
		d, _ := slices.BinarySearch(p.deskCum, p.r.Float64()*total)
		if d = min(d, len(p.deskCum)-1); ok(d) {
			return d, true
		}
	}
	var days []int // a narrow window: draw among its working days
	for d := range p.deskCum {
		if ok(d) && p.deskWeight(d) > 0 {
			days = append(days, d)
		}
	}
	if len(days) == 0 {
		return 0, false
	}
	return days[p.r.IntN(len(days))], true
}

// deskWeight is the desk-inspection weight of day d (0 off the observed
// working days).
func (p *planner) deskWeight(d int) float64 {
	if d == 0 {
		return p.deskCum[0]
	}
	return p.deskCum[d] - p.deskCum[d-1]
}

// codeFor returns the 一事一码 a visit of pl shows: its registry code, or
// without a registry a new code per campaign.
func (p *planner) codeFor(pl *planItem) string {
	if pl.code != "" {
		return pl.code
	}
	return p.nextCode()
}

// nextCode returns a new 一事一码 inspection code.
func (p *planner) nextCode() string {
	*p.codeSeq++
	return fmt.Sprintf("DC%s-%d-%06d", p.w.cfg.Province, p.w.cfg.Year, *p.codeSeq)
}

// sortInspections orders the county's inspections by time.
func (c *county) sortInspections() {
	slices.SortStableFunc(c.insp, func(a, b *inspection) int { return a.at.Compare(b.at) })
}

// assignModes sets the mode of on-site inspections in time order so that
// every issuer's grassroots on-site inspections of the county stay at
// least half covert at every point of the year (HN 三 可暗访不许明查).
func (p *planner) assignModes() {
	covert := map[*issuer]int{}
	overt := map[*issuer]int{}
	for _, in := range p.c.insp {
		if !in.onSite || in.mode != "" {
			continue
		}
		switch {
		case in.plan.Category == "appraisal":
			in.mode = "overt"
		case !in.level.Grassroots():
			in.mode = pick(p.r.Float64() < 0.6, "overt", "covert")
		case covert[in.issuer] > overt[in.issuer] && p.r.Float64() < 0.3:
			in.mode = "overt"
			overt[in.issuer]++
		default:
			in.mode = "covert"
			covert[in.issuer]++
		}
	}
}
