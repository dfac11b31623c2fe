// Package serve is the live service of SPEC §8: 扫码验证 (verify an
// inspection code on site), scan registration, health and metrics.
//
// Answers come from an in-memory Index: the reference data and the
// inspection events, loaded from ClickHouse at start and kept current by
// consuming the events topic. Verify is a pure function of the Index and
// the query; the HTTP layer (Server) and the Kafka follower (Follow) are
// separate.
package serve

import (
	"slices"
	"sort"
	"sync"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/rules"
)

// planKey identifies an item of an issuer's annual plan.
type planKey struct {
	year         int
	issuer, plan string
}

// yearCounty identifies a county in a year.
type yearCounty struct {
	year   int
	county string
}

// visitKey groups the visits that inspection.visit_cap counts: one plan
// item of one issuer to one bearing unit (the year is read from the time).
type visitKey struct {
	issuer, plan, unit string
}

// Reference is the reference data the checks need, indexed for lookups.
// It is immutable once built; reloading builds a new one.
type Reference struct {
	points         map[string]bw.ObservationPoint
	codes          map[string][]*bw.InspectionCode // by code, one entry per year
	plan           map[planKey]bw.PlanItem
	exempt         map[yearCounty]string // reason
	noMeetingMonth map[string]map[int]bool
	packs          rules.Packs
	provinceNames  map[string]string
	byProvince     map[string]*provinceRules
}

// provinceRules is what verify takes from a province's rule pack, worked
// out once per reference load: citations by rule id and the crowding
// parameters.
type provinceRules struct {
	cites    map[string]string
	crowding bool // inspection.crowding enabled
	k, d     int
}

func newProvinceRules(pk rules.Pack) *provinceRules {
	pr := &provinceRules{cites: map[string]string{}}
	for _, rc := range pk.Rules {
		if len(rc.Citations) > 0 {
			pr.cites[rc.ID] = rc.Citation()
		}
		if rc.ID == rules.InspectionCrowding {
			pr.crowding, pr.k, pr.d = rc.Enabled, int(rc.Param(rules.ParamK)), int(rc.Param(rules.ParamD))
		}
	}
	return pr
}

// rulesFor returns the pack view of province (the central pack's for a
// province without a pack of its own).
func (r *Reference) rulesFor(province string) *provinceRules {
	if pr, ok := r.byProvince[province]; ok {
		return pr
	}
	return newProvinceRules(r.packs.For(province))
}

// NewReference indexes ref with the rule packs that give the crowding
// parameters and the citations.
func NewReference(ref *bw.ReferenceData, packs rules.Packs) *Reference {
	r := &Reference{
		points:         map[string]bw.ObservationPoint{},
		codes:          map[string][]*bw.InspectionCode{},
		plan:           map[planKey]bw.PlanItem{},
		exempt:         map[yearCounty]string{},
		noMeetingMonth: map[string]map[int]bool{},
		packs:          packs,
		provinceNames:  map[string]string{},
		byProvince:     map[string]*provinceRules{},
	}
	if ref == nil {
		return r
	}
	for _, p := range ref.ObservationPoints {
		r.points[p.CountyCode] = p
	}
	for i := range ref.InspectionCodes {
		c := ref.InspectionCodes[i]
		r.codes[c.Code] = append(r.codes[c.Code], &c)
	}
	for _, p := range ref.Plan {
		r.plan[planKey{p.Year, p.IssuerCode, p.PlanCode}] = p
	}
	for _, e := range ref.Exemptions {
		r.exempt[yearCounty{e.Year, e.CountyCode}] = e.Reason
	}
	for _, c := range ref.Calendar {
		if c.Rule != bw.CalendarNoMeetingMonth {
			continue
		}
		t, err := time.Parse("2006-01", c.Value)
		if err != nil {
			continue // rejected by the reference data loader
		}
		if r.noMeetingMonth[c.ProvinceCode] == nil {
			r.noMeetingMonth[c.ProvinceCode] = map[int]bool{}
		}
		r.noMeetingMonth[c.ProvinceCode][t.Year()*100+int(t.Month())] = true
	}
	for prov, pk := range packs.ByProvince {
		r.provinceNames[prov] = pk.Name
	}
	for _, p := range r.points {
		if _, ok := r.byProvince[p.ProvinceCode]; !ok {
			r.byProvince[p.ProvinceCode] = newProvinceRules(packs.For(p.ProvinceCode))
		}
	}
	return r
}

// Points returns the observation points by county code (for the decoder).
func (r *Reference) Points() map[string]bw.ObservationPoint { return r.points }

// entry returns the registry entry of code for year, and the years the
// code is registered in otherwise.
func (r *Reference) entry(code string, year int) (*bw.InspectionCode, []int) {
	var years []int
	for _, c := range r.codes[code] {
		if c.Year == year {
			return c, nil
		}
		years = append(years, c.Year)
	}
	sort.Ints(years)
	return nil, years
}

// stamp is one inspection in a time-ordered list.
type stamp struct {
	at     int64 // unix seconds
	id     string
	issuer string
}

// inspection is what the index keeps of one inspection event (the latest
// version of its event_id).
type inspection struct {
	version uint64
	issuer  string
	plan    string
	unit    string // bearing unit
	county  string
	at      int64
	onSite  bool
}

// Index is the in-memory state verify answers from: the Reference and the
// deduplicated inspection events (latest version per event_id). It is safe
// for concurrent use: many readers, one writer at a time.
type Index struct {
	mu          sync.RWMutex
	ref         *Reference
	byID        map[string]inspection
	visits      map[visitKey][]stamp // sorted by time
	onSite      map[string][]stamp   // by county, sorted by time
	units       map[string]map[string]bool
	issuerNames map[string]string
	loaded      bool
	applied     uint64 // event versions applied (new or replacing)
}

// NewIndex returns an empty index with no data loaded: Ready is false
// until Load is called.
func NewIndex() *Index {
	return &Index{ref: NewReference(nil, rules.Packs{}), byID: map[string]inspection{},
		visits: map[visitKey][]stamp{}, onSite: map[string][]stamp{},
		units: map[string]map[string]bool{}, issuerNames: map[string]string{}}
}

// SetReference replaces the reference data atomically.
func (ix *Index) SetReference(r *Reference) {
	ix.mu.Lock()
	ix.ref = r
	ix.mu.Unlock()
}

// Reference returns the current reference data.
func (ix *Index) Reference() *Reference {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.ref
}

// MarkLoaded records that the initial load is complete.
func (ix *Index) MarkLoaded() {
	ix.mu.Lock()
	ix.loaded = true
	ix.mu.Unlock()
}

// Ready reports whether the initial load is complete.
func (ix *Index) Ready() bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.loaded
}

// Stats is a summary of the index for metrics and logs.
type Stats struct {
	Inspections int
	Applied     uint64
}

// Stats returns the number of inspections held and versions applied.
func (ix *Index) Stats() Stats {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return Stats{Inspections: len(ix.byID), Applied: ix.applied}
}

// Apply adds one event delivery with its deduplication version
// (bw.Version). Events that are not inspections are ignored; a version
// not newer than the one held is ignored (the same event delivered twice
// is one event, the highest revision wins). It reports whether the index
// changed.
func (ix *Index) Apply(ev *bw.Event, version uint64) bool {
	if ev.Kind != bw.KindInspection {
		return false
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.apply(ev, version)
}

// ApplyBatch adds many event deliveries with their versions under one
// lock (the initial load), as Apply does.
func (ix *Index) ApplyBatch(evs []bw.Event, versions []uint64) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for i := range evs {
		if evs[i].Kind == bw.KindInspection {
			ix.apply(&evs[i], versions[i])
		}
	}
}

func (ix *Index) apply(ev *bw.Event, version uint64) bool {
	id, issuerName := ev.ID, ev.Issuer.Name
	in := inspection{version: version, issuer: ev.Issuer.Code, plan: ev.Inspection.PlanCode,
		unit: ev.BearingUnit(), county: ev.CountyCode, at: ev.OccurredAt.Unix(), onSite: ev.Inspection.OnSite}
	old, ok := ix.byID[id]
	if ok && old.version >= in.version {
		return false
	}
	if ok {
		ix.visits[visitKey{old.issuer, old.plan, old.unit}] = remove(ix.visits[visitKey{old.issuer, old.plan, old.unit}], old.at, id)
		if old.onSite {
			ix.onSite[old.county] = remove(ix.onSite[old.county], old.at, id)
		}
	}
	ix.byID[id] = in
	s := stamp{at: in.at, id: id, issuer: in.issuer}
	k := visitKey{in.issuer, in.plan, in.unit}
	ix.visits[k] = insert(ix.visits[k], s)
	if in.onSite {
		ix.onSite[in.county] = insert(ix.onSite[in.county], s)
	}
	if ix.units[in.county] == nil {
		ix.units[in.county] = map[string]bool{}
	}
	ix.units[in.county][in.unit] = true
	if issuerName != "" {
		ix.issuerNames[in.issuer] = issuerName
	}
	ix.applied++
	return true
}

// insert puts s into the time-ordered list.
func insert(list []stamp, s stamp) []stamp {
	i := sort.Search(len(list), func(i int) bool { return list[i].at > s.at })
	return slices.Insert(list, i, s)
}

// remove takes the stamp of id at time at out of the list.
func remove(list []stamp, at int64, id string) []stamp {
	i := sort.Search(len(list), func(i int) bool { return list[i].at >= at })
	for ; i < len(list) && list[i].at == at; i++ {
		if list[i].id == id {
			return slices.Delete(list, i, i+1)
		}
	}
	return list
}

// between returns the stamps with from ≤ at < to.
func between(list []stamp, from, to int64) []stamp {
	lo := sort.Search(len(list), func(i int) bool { return list[i].at >= from })
	hi := sort.Search(len(list), func(i int) bool { return list[i].at >= to })
	if hi < lo {
		return nil
	}
	return list[lo:hi]
}

// Units returns the bearing units seen in inspection events of county,
// sorted, the county itself first when seen.
func (ix *Index) Units(county string) []string {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := make([]string, 0, len(ix.units[county]))
	for u := range ix.units[county] {
		out = append(out, u)
	}
	sort.Strings(out) // the 6-digit county sorts before its 9- and 12-digit units
	return out
}

// IssuerName returns the issuer's name as written in events, or "".
func (ix *Index) IssuerName(code string) string {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.issuerNames[code]
}
