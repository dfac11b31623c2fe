package alert

import (
	"sort"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/columnar"
)

// Counted kinds, in kindScopes order.
const (
	kDocuments = iota
	kMeetings
	kInspections
)

// counts are the monthly counts of one province-year that the alerts
// compare with their limits.
type counts struct {
	elapsed int
	kinds   map[string]*[3]series // by county: monthly counts of documents, meetings, inspections
	caps    map[capKey]*capGroup
	ind     map[indKey]float64 // indicators of Input.Indicators by county, id and month
}

// capKey keys a visit-cap or issuer-cap scope of a county.
type capKey struct{ county, scope string }

// capGroup is one capped scope: its limit and cumulative monthly count.
type capGroup struct {
	county, scope string
	limit         int
	monthly       series // cumulative, month m at m-1
}

type indKey struct {
	county, id string
	month      int
}

// count scans the events (and indexes the indicators) of in.
func count(in Input, elapsed int) *counts {
	c := &counts{elapsed: elapsed, kinds: map[string]*[3]series{}, caps: map[capKey]*capGroup{}, ind: map[indKey]float64{}}
	plans := planCaps(in.Ref, in.Year)
	if in.Events != nil {
		for _, rec := range in.Events.Records {
			c.scan(rec, plans, in.Params)
		}
	}
	for _, ind := range in.Indicators {
		if ind.Month.Year() == in.Year {
			c.ind[indKey{ind.CountyCode, ind.ID, int(ind.Month.Month())}] = ind.Value
		}
	}
	return c
}

// planCaps maps issuer and plan code to max_visits_per_unit for the
// plan items of year with a cap.
func planCaps(ref *bw.ReferenceData, year int) map[[2]string]int {
	out := map[[2]string]int{}
	if ref == nil {
		return out
	}
	for _, p := range ref.Plan {
		if p.Year == year && p.MaxVisitsPerUnit > 0 {
			out[[2]string{p.IssuerCode, p.PlanCode}] = p.MaxVisitsPerUnit
		}
	}
	return out
}

// recordCols are the columns of an event batch the alerts read.
type recordCols struct {
	kind, county, unit, issuer, category, plan *array.String
	month                                      *array.Uint8
}

// scan adds one batch of events.
func (c *counts) scan(rec arrow.Record, plans map[[2]string]int, params Params) {
	cols := recordCols{
		kind: rec.Column(columnar.ColKind).(*array.String), county: rec.Column(columnar.ColCounty).(*array.String),
		unit: rec.Column(columnar.ColBearingUnit).(*array.String), issuer: rec.Column(columnar.ColIssuerCode).(*array.String),
		category: rec.Column(columnar.ColCategory).(*array.String), plan: rec.Column(columnar.ColPlanCode).(*array.String),
		month: rec.Column(columnar.ColMonth).(*array.Uint8),
	}
	for i := 0; i < int(rec.NumRows()); i++ {
		m := int(cols.month.Value(i))
		if m < 1 || m > c.elapsed {
			continue
		}
		county := cols.county.Value(i)
		k := -1
		switch bw.Kind(cols.kind.Value(i)) {
		case bw.KindDocument:
			k = kDocuments
		case bw.KindMeeting:
			k = kMeetings
		case bw.KindInspection:
			k = kInspections
			c.inspection(cols, i, m, county, plans, params)
		}
		if k >= 0 {
			c.kindsOf(county)[k][m-1]++
		}
	}
}

func (c *counts) kindsOf(county string) *[3]series {
	s := c.kinds[county]
	if s == nil {
		s = &[3]series{}
		c.kinds[county] = s
	}
	return s
}

// inspection counts one inspection in its capped scopes: the visit cap of
// its plan item on its bearing unit (as inspection.visit_cap counts it:
// plan items of the issuer's plan for the year with a cap), and its
// issuer's comprehensive or appraisal cap on the county.
func (c *counts) inspection(cols recordCols, i, m int, county string, plans map[[2]string]int, params Params) {
	issuer, plan := cols.issuer.Value(i), cols.plan.Value(i)
	if limit, ok := plans[[2]string{issuer, plan}]; ok && plan != "" {
		c.add(county, ScopeVisitCap+":"+issuer+":"+plan+":"+cols.unit.Value(i), limit, m)
	}
	switch cols.category.Value(i) {
	case "comprehensive":
		if params.ComprehensiveCap > 0 {
			c.add(county, ScopeComprehensiveCap+":"+issuer, params.ComprehensiveCap, m)
		}
	case "appraisal":
		if params.AppraisalCap > 0 {
			c.add(county, ScopeAppraisalCap+":"+issuer, params.AppraisalCap, m)
		}
	}
}

// add counts one event of month m in a capped scope (cumulatively).
func (c *counts) add(county, scope string, limit, m int) {
	k := capKey{county, scope}
	g := c.caps[k]
	if g == nil {
		g = &capGroup{county: county, scope: scope, limit: limit}
		c.caps[k] = g
	}
	for j := m - 1; j < 12; j++ {
		g.monthly[j]++
	}
}

// ytd returns the year-to-date counts of county by month.
func (c *counts) ytd(county string) [3]series {
	var out [3]series
	if s := c.kinds[county]; s != nil {
		for k := range s {
			sum := 0.0
			for m := range 12 {
				sum += s[k][m]
				out[k][m] = sum
			}
		}
	}
	return out
}

// groups returns the capped scopes in a stable order.
func (c *counts) groups() []*capGroup {
	out := make([]*capGroup, 0, len(c.caps))
	for _, g := range c.caps {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].county != out[j].county {
			return out[i].county < out[j].county
		}
		return out[i].scope < out[j].scope
	})
	return out
}

// indicator returns indicator id of county in month m from the
// indicators of the input; false when absent or NaN.
func (c *counts) indicator(county, id string, m int) (float64, bool) {
	v, ok := c.ind[indKey{county, id, m}]
	return v, ok && v == v
}
