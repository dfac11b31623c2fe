package sim

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/burdenwatch/burdenwatch"
)

// Natural annual volumes of an observation county at Scale 1, before the
// county's own factor (0.8–1.2) and the quota/baseline ceiling.
const (
	baseDocuments   = 2000
	baseMeetings    = 450
	baseInspections = 85
	baseForms       = 600
)

// county is an observation county with everything planned for its year.
type county struct {
	code, name  string
	key         []byte // Kafka key: the county code
	from        int    // first day index on which it is observed
	townships   []Division
	villages    [][]Division // per township
	issuers     []*issuer    // serving it, by code
	docIssuers  weighted     // who sends it documents
	meetIssuers weighted     // who calls its meetings
	quota       limits
	base        limits
	exempt      bool

	documents, meetings, forms []int32 // fresh events per day
	inspTarget                 int     // inspections to plan
	insp                       []*inspection
	nextInsp                   int
	catalog                    []*form
	catalogCum                 []float64
	extraForms                 []int // catalog indexes of injected second forms (form.multiple_per_issuer)

	rings   []*docRing // recent documents per issuer index
	recent  docRing    // recent documents of any issuer
	seq     [4]int     // event sequence per kind
	emitted [4]int     // fresh events per kind (kindIndex)
}

// form is a data report that one issuer sends to the county.
type form struct {
	issuer    *issuer
	id, title string
	frequency string
	fields    uint32
	minutes   uint32
	weight    float64
	emitted   int
}

func (w *world) setCounties(ref *burdenwatch.ReferenceData) error {
	observed := map[string]bool{}
	points := slices.Clone(ref.ObservationPoints)
	slices.SortFunc(points, func(a, b burdenwatch.ObservationPoint) int { return cmp.Compare(a.CountyCode, b.CountyCode) })
	exempt := map[string]bool{}
	for _, e := range ref.Exemptions {
		if e.Year == w.cfg.Year {
			exempt[e.CountyCode] = true
		}
	}
	for _, p := range points {
		observed[p.CountyCode] = true
		if p.ProvinceCode != w.cfg.Province {
			continue
		}
		c := w.newCounty(p, ref)
		if len(c.issuers) == 0 {
			return fmt.Errorf("no issuer of issuers.csv serves county %s", c.code)
		}
		c.exempt = exempt[p.CountyCode]
		w.counties = append(w.counties, c)
	}
	if len(w.counties) == 0 {
		return fmt.Errorf("province %s has no observation point", w.cfg.Province)
	}
	for _, d := range w.divs.Counties(w.cfg.Province) {
		if !observed[d.Code] {
			w.others = append(w.others, d.Code)
		}
	}
	return nil
}

func (w *world) newCounty(p burdenwatch.ObservationPoint, ref *burdenwatch.ReferenceData) *county {
	c := &county{code: p.CountyCode, name: p.CountyName, key: []byte(p.CountyCode), rings: make([]*docRing, len(w.issuers))}
	for c.from < len(w.days) && w.days[c.from].date.Before(p.DesignatedFrom) {
		c.from++
	}
	c.townships = w.divs.Children(c.code)
	c.villages = make([][]Division, len(c.townships))
	for i, t := range c.townships {
		c.villages[i] = w.divs.Children(t.Code)
	}
	for _, is := range w.issuers {
		if is.Serves(c.code) {
			c.issuers = append(c.issuers, is)
		}
	}
	c.docIssuers = newWeighted(c.issuers, docLevelWeight)
	c.meetIssuers = newWeighted(c.issuers, meetingLevelWeight)
	c.quota, c.base = yearLimits(ref, c.code, w.cfg.Year)
	r := w.rngFor("county/" + c.code)
	factor := 0.8 + 0.4*r.Float64()
	vol := func(base float64, quota, baseline *int) float64 {
		return w.compliantTotal(base*factor*(0.92+0.16*r.Float64()), quota, baseline)
	}
	c.documents = w.allocate(r, vol(baseDocuments, c.quota.documents, c.base.documents), c, w.documentWeight)
	c.meetings = w.allocate(r, vol(baseMeetings, c.quota.meetings, c.base.meetings), c, w.meetingWeight)
	c.forms = w.allocate(r, vol(baseForms, nil, nil), c, w.documentWeight)
	c.inspTarget = int(math.Round(vol(baseInspections, c.quota.inspections, c.base.inspections) * w.observedShare(c)))
	w.setCatalog(c, r)
	return c
}

// allocate spreads an annual total over the observed days of the year:
// days outside [from, lastDay] get nothing and the total shrinks with
// them, so a partial year carries its share of the annual volume.
func (w *world) allocate(r *rand.Rand, total float64, c *county, weight func(day) float64) []int32 {
	weights := make([]float64, len(w.days))
	all, observed := 0.0, 0.0
	for i, d := range w.days {
		x := weight(d) * (0.75 + 0.5*r.Float64())
		all += x
		if i >= c.from && i <= w.lastDay {
			weights[i] = x
			observed += x
		}
	}
	if all == 0 {
		return make([]int32, len(w.days))
	}
	return allocate(total*observed/all, weights)
}

// observedShare is the share of the year's inspection activity that falls
// on the county's observed days.
func (w *world) observedShare(c *county) float64 {
	all, observed := 0.0, 0.0
	for i, d := range w.days {
		x := inspectionMonthFactor[d.month] * weekdayFactor[d.weekday] * d.holiday
		all += x
		if i >= c.from && i <= w.lastDay {
			observed += x
		}
	}
	return observed / all
}

func (w *world) documentWeight(d day) float64 {
	return monthFactor[d.month] * weekdayFactor[d.weekday] * d.holiday
}

// meetingWeight keeps meetings off the no-meeting weekday (except the
// injected violations) and thins them in a no-meeting month.
func (w *world) meetingWeight(d day) float64 {
	x := w.documentWeight(d)
	if int(d.weekday) == w.noMeetingWeekday {
		x *= w.cfg.ViolationShare
	}
	if w.noMeetingMonth[d.month] {
		x *= 0.3
	}
	return x
}

// levelFormShare is the chance that an issuer of each level sends the
// county a form in the year.
var levelFormShare = [numLevels]float64{0.5, 0.8, 0.9, 1, 1}

// setCatalog chooses the forms the county receives: at most one per issuer
// (ZJ-18 一个单位一张报表).
func (w *world) setCatalog(c *county, r *rand.Rand) {
	for _, is := range c.issuers {
		if r.Float64() >= levelFormShare[is.level] {
			continue
		}
		c.catalog = append(c.catalog, w.newForm(is, r, 1+r.IntN(3)))
	}
	c.catalogCum = cumulative(c.catalog)
}

func (w *world) newForm(is *issuer, r *rand.Rand, n int) *form {
	t := domainTexts[is.dom]
	f := &form{
		issuer:    is,
		id:        fmt.Sprintf("%s-%d-BB%02d", is.Code, w.cfg.Year, n),
		title:     t.forms[r.IntN(len(t.forms))],
		frequency: t.frequency[r.IntN(len(t.frequency))],
		fields:    uint32(8 + r.IntN(73)),
	}
	f.minutes = f.fields*uint32(1+r.IntN(2)) + uint32(10+r.IntN(21))
	f.weight = formFrequencyWeight[f.frequency] * (0.7 + 0.6*r.Float64())
	return f
}

func cumulative(forms []*form) []float64 {
	cum := make([]float64, len(forms))
	sum := 0.0
	for i, f := range forms {
		sum += f.weight
		cum[i] = sum
	}
	return cum
}

// pickForm chooses a form of the catalog by weight.
func (c *county) pickForm(r *rand.Rand) *form {
	if len(c.catalog) == 0 {
		return nil
	}
	x := r.Float64() * c.catalogCum[len(c.catalogCum)-1]
	i, _ := slices.BinarySearch(c.catalogCum, x)
	return c.catalog[min(i, len(c.catalog)-1)]
}

// addExtras adds n events to counts on random days among those ok allows.
func (w *world) addExtras(r *rand.Rand, c *county, counts []int32, n int, ok func(d day) bool) int {
	var days []int
	for i := c.from; i <= w.lastDay; i++ {
		if ok(w.days[i]) {
			days = append(days, i)
		}
	}
	if len(days) == 0 {
		return 0
	}
	for range n {
		counts[days[r.IntN(len(days))]]++
	}
	return n
}

// randomUnit returns a unit of the county at level: the county itself, a
// township or a village (falling back to the level above when the
// division table has none).
func (c *county) randomUnit(r *rand.Rand, level burdenwatch.Level) (burdenwatch.Level, string) {
	if level == burdenwatch.LevelCounty || len(c.townships) == 0 {
		return burdenwatch.LevelCounty, ""
	}
	t := r.IntN(len(c.townships))
	if level == burdenwatch.LevelVillage && len(c.villages[t]) > 0 {
		return burdenwatch.LevelVillage, c.villages[t][r.IntN(len(c.villages[t]))].Code
	}
	return burdenwatch.LevelTownship, c.townships[t].Code
}

// docRef is a document event that landed on the county.
type docRef struct {
	id string
	at time.Time
}

// docRing keeps the latest documents (oldest overwritten first).
type docRing struct {
	refs [16]docRef
	n    int
}

func (r *docRing) add(ref docRef) {
	r.refs[r.n%len(r.refs)] = ref
	r.n++
}

// newestIn returns the newest document with from < at ≤ to. A nil ring
// has none.
func (r *docRing) newestIn(from, to time.Time) (docRef, bool) {
	var best docRef
	if r == nil {
		return best, false
	}
	found := false
	for i := 0; i < min(r.n, len(r.refs)); i++ {
		ref := r.refs[i]
		if ref.at.After(from) && !ref.at.After(to) && (!found || ref.at.After(best.at)) {
			best, found = ref, true
		}
	}
	return best, found
}
