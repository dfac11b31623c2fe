package sim

import (
	"fmt"
	"math"
	"time"

	"github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/rules"
)

// invalidCode makes a fresh inspection that shows its plan item's registry
// code show an invalid one instead, with probability ⅔ × InvalidCodeShare
// (the last third are expired codes, see injectExpired): a code not in the
// registry or another issuer's code, alternately. The first two eligible
// inspections of a run get one of each.
func (g *gen) invalidCode(ev *burdenwatch.Event, in *inspection) {
	p := &ev.Inspection
	share := g.cfg.InvalidCodeShare
	if share <= 0 || g.w.registry == nil || in.plan.code == "" || p.InspectionCode != in.plan.code || p.PlanCode != in.plan.PlanCode {
		return
	}
	forced := g.stats.InvalidCodes[InvalidUnknown] == 0 || g.stats.InvalidCodes[InvalidOtherIssuer] == 0
	if !forced && g.r.Float64() >= share*2/3 {
		return
	}
	how := InvalidUnknown
	if g.stats.InvalidCodes[InvalidOtherIssuer] < g.stats.InvalidCodes[InvalidUnknown] {
		how = InvalidOtherIssuer
	}
	code, ok := g.unknownCode(), true
	if how == InvalidOtherIssuer {
		code, ok = g.otherIssuerCode(ev.Issuer.Code)
	}
	if !ok {
		return
	}
	p.InspectionCode = code
	g.stats.InvalidCodes[how]++
	g.stats.Violations[rules.InspectionCodeInvalid]++
}

// unknownCode returns a code of the registry's form that it does not hold.
func (g *gen) unknownCode() string {
	for {
		code := fmt.Sprintf("DC%s-%d-W%03d", g.cfg.Province, g.cfg.Year, g.r.IntN(1000))
		if g.w.registry[code] == nil {
			return code
		}
	}
}

// otherIssuerCode returns a registry code of an issuer other than issuer.
func (g *gen) otherIssuerCode(issuer string) (string, bool) {
	codes := g.w.registryCodes
	start := g.r.IntN(len(codes))
	for i := range codes {
		c := g.w.registry[codes[(start+i)%len(codes)]]
		if c.IssuerCode != issuer {
			return c.Code, true
		}
	}
	return "", false
}

// countUnplannedCode counts the code_invalid result of an inspection made
// unplanned while it shows its former item's registry code: the entry
// names another plan code.
func (g *gen) countUnplannedCode(p *burdenwatch.Inspection) {
	if g.w.registry != nil && g.w.registry[p.InspectionCode] != nil {
		g.stats.InvalidCodes[InvalidOtherPlan]++
		g.stats.Violations[rules.InspectionCodeInvalid]++
	}
}

// injectExpired adds, per county, about ⅓ × InvalidCodeShare of its
// inspections as desk inspections of plan items with a narrow code
// validity (flood-season work) on a day outside it, preferably after it
// ended (at least one in the province). They break nothing else: only
// special, research and routine items, within their visit caps, at a desk.
func (w *world) injectExpired(planners []*planner, v map[string]int) {
	share := w.cfg.InvalidCodeShare
	if share <= 0 || w.registry == nil {
		return
	}
	for i, p := range planners {
		n := int(math.Round(share / 3 * float64(len(p.c.insp))))
		if i == 0 {
			n = max(n, 1)
		}
		for range n {
			if !p.expiredVisit() {
				break
			}
			v[rules.InspectionCodeInvalid]++
			w.expired++
		}
	}
}

// expiredVisit plans one desk inspection outside its item's validity.
func (p *planner) expiredVisit() bool {
	for _, items := range p.byLevel {
		start := p.r.IntN(len(items) + 1)
		for j := range items {
			pl := items[(start+j)%len(items)]
			if pl.code == "" || (pl.validFrom == 0 && pl.validTo == len(p.w.days)-1) {
				continue
			}
			after := func(d int) bool { return d > pl.validTo }
			before := func(d int) bool { return d < pl.validFrom }
			d, ok := p.deskDay(after)
			if !ok {
				d, ok = p.deskDay(before)
			}
			if !ok {
				continue
			}
			lvl, unit, ok := p.unit(pl, p.grassrootsLevel(pl))
			if !ok {
				continue
			}
			at := p.w.days[d].date.Add(time.Duration(540+p.r.IntN(480)) * time.Minute)
			p.add(&inspection{day: d, at: at, issuer: pl.issuer, plan: pl, mode: "written", level: lvl, unit: unit,
				code: pl.code, locked: true})
			return true
		}
	}
	return false
}
