package sim

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/refdata"
)

// Issuer levels, in the order of SPEC §2.
const (
	levelCentral = iota
	levelProvince
	levelCity
	levelCounty
	levelTownship
	numLevels
)

var levelIndex = map[string]int{"central": levelCentral, "province": levelProvince, "city": levelCity, "county": levelCounty, "township": levelTownship}

// issuer is an issuing body as the simulator uses it.
type issuer struct {
	refdata.Issuer
	idx       int    // position in world.issuers
	level     int    // levelCentral …
	dom       domain // line of work
	docPrefix string // 发文字号 before 〔year〕, e.g. 湘应急
	docSuffix string // "发" for most bodies, "" where the prefix already ends the 字号 (国办发, 安委办)
	scope     string // 全国, 全省, 全市, 全州, 全县, 全区: the reach of its meetings
	plan      []*planItem
	provDept  bool // a province-level department (ZJ-22 forbids it to set veto items)
}

// planItem is an item of the annual inspection plan for the simulated year.
type planItem struct {
	burdenwatch.PlanItem
	issuer *issuer
	topic  string
	// code is the item's 一事一码 of the code registry ("" without a
	// registry); its visits must lie on days validFrom..validTo (indexes
	// of world.days).
	code               string
	validFrom, validTo int
}

// valid reports whether day index d lies in the item's code validity.
func (pl *planItem) valid(d int) bool { return d >= pl.validFrom && d <= pl.validTo }

// limits are a county's annual quota or baseline counts (nil = none).
type limits struct{ documents, meetings, inspections *int }

// world is everything Generate knows about the simulated province-year.
type world struct {
	cfg              Config
	days             []day
	lastDay          int // events lie on days [county.from, lastDay]
	issuers          []*issuer
	counties         []*county
	veto             []string // approved 一票否决 items of the province
	vetoSet          map[string]bool
	noMeetingWeekday int // time.Weekday, or -1
	noMeetingMonth   [13]bool
	others           []string // counties of the province that are not observation points
	divs             *Divisions
	sources          [4]string                                 // upstream system of each kind
	registry         refdata.Registry                          // the province-year's code registry; nil = none
	registryCodes    []string                                  // its codes, sorted
	codeOf           map[[2]string]*burdenwatch.InspectionCode // by issuer and plan code
	expired          int                                       // inspections planned outside their code's validity
}

// newWorld builds the province-year from the reference data.
func newWorld(ref *burdenwatch.ReferenceData, iss []refdata.Issuer, divs *Divisions, cfg Config) (*world, error) {
	w := &world{cfg: cfg, days: yearDays(cfg.Year), divs: divs, noMeetingWeekday: -1}
	w.lastDay = lastDay(w.days, cfg.Now)
	if w.lastDay < 0 {
		return nil, fmt.Errorf("year %d has no day before now (%s)", cfg.Year, cfg.Now.Format(time.RFC3339))
	}
	w.setIssuers(iss)
	w.setRegistry(ref)
	w.setPlan(ref.Plan)
	w.setCalendar(ref)
	if err := w.setCounties(ref); err != nil {
		return nil, err
	}
	w.setSources()
	return w, nil
}

// lastDay is the index of the last day strictly before now's day in CST;
// events never lie on now's own day, so they are all in the past.
func lastDay(days []day, now time.Time) int {
	n := now.In(cst)
	today := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, cst)
	for i := len(days) - 1; i >= 0; i-- {
		if days[i].date.Before(today) {
			return i
		}
	}
	return -1
}

func (w *world) setIssuers(all []refdata.Issuer) {
	for _, ri := range all {
		if ri.ProvinceCode != w.cfg.Province && ri.ProvinceCode != refdata.CentralProvince {
			continue
		}
		lvl, ok := levelIndex[ri.Level]
		if !ok {
			continue
		}
		is := &issuer{Issuer: ri, level: lvl, dom: domainOf(ri.Name)}
		is.provDept = lvl == levelProvince && ri.Kind == "department"
		w.nameIssuer(is)
		w.issuers = append(w.issuers, is)
	}
	slices.SortFunc(w.issuers, func(a, b *issuer) int { return cmp.Compare(a.Code, b.Code) })
	for i, is := range w.issuers {
		is.idx = i
	}
}

// nameIssuer sets the document-number prefix and the meeting scope.
func (w *world) nameIssuer(is *issuer) {
	place := ""
	switch is.level {
	case levelCentral:
		is.scope = "全国"
	case levelProvince:
		is.scope, place = "全省", provinceAbbr[w.cfg.Province]
	default:
		name := w.divisionName(is)
		place, is.scope = firstRune(name), scopeOf(name)
		if is.scope == "全州" {
			place = "州" // 湘西州 and 延边州 number their documents 州政办发
		}
	}
	is.docPrefix, is.docSuffix = docPrefix(is, place)
}

// divisionName is the name of the issuer's division, or failing that the
// start of its own name.
func (w *world) divisionName(is *issuer) string {
	if n, ok := w.divs.Name(is.Division); ok {
		return n
	}
	r, size := utf8.DecodeRuneInString(is.Name)
	if r == utf8.RuneError {
		return "县"
	}
	return is.Name[:size] + "县"
}

// scopeOf is the reach of a division's meetings: 全市, 全州, 全县, 全区, 全镇.
func scopeOf(name string) string {
	switch r := lastRune(name); r {
	case "市", "州", "县", "区", "盟", "旗":
		return "全" + r
	}
	return "全镇"
}

// docPrefix returns the 发文字号 of an issuer: place abbreviation and line
// of work, and the suffix "发" unless the prefix already ends the 字号.
func docPrefix(is *issuer, place string) (prefix, suffix string) {
	t := domainTexts[is.dom]
	switch {
	case is.level == levelCentral && is.dom == domGeneral:
		return "国办", "发"
	case is.level == levelCentral:
		return cmp.Or(t.docAbbr, t.coordAbbr, "国"), ""
	case is.Kind == "coordination_body" && t.coordAbbr != "":
		return place + t.coordAbbr, ""
	case is.dom == domGeneral && is.Kind == "government":
		return place + "政办", "发"
	case is.dom == domGeneral:
		return place + "办", "发"
	}
	return place + cmp.Or(t.docAbbr, "政"), "发"
}

func firstRune(s string) string {
	_, n := utf8.DecodeRuneInString(s)
	return s[:n]
}

func lastRune(s string) string {
	_, n := utf8.DecodeLastRuneInString(s)
	return s[len(s)-n:]
}

func (w *world) setPlan(plan []burdenwatch.PlanItem) {
	byCode := make(map[string]*issuer, len(w.issuers))
	for _, is := range w.issuers {
		byCode[is.Code] = is
	}
	for _, p := range plan {
		is := byCode[p.IssuerCode]
		if p.Year != w.cfg.Year || is == nil {
			continue
		}
		is.plan = append(is.plan, w.newPlanItem(p, is))
	}
	for _, is := range w.issuers {
		slices.SortFunc(is.plan, func(a, b *planItem) int { return cmp.Compare(a.PlanCode, b.PlanCode) })
	}
}

// planTopic derives an inspection topic from a plan title by dropping the
// place and year before "年" (嘉禾县2025年防汛备汛检查 → 防汛备汛检查).
func planTopic(title string) string {
	if _, after, ok := strings.Cut(title, "年"); ok && after != "" {
		return after
	}
	return title
}

func (w *world) setCalendar(ref *burdenwatch.ReferenceData) {
	for _, c := range ref.Calendar {
		if c.ProvinceCode != w.cfg.Province {
			continue
		}
		switch c.Rule {
		case burdenwatch.CalendarNoMeetingWeekday:
			if n, err := strconv.Atoi(c.Value); err == nil && n >= 1 && n <= 7 {
				w.noMeetingWeekday = n % 7 // 7 = Sunday = time.Sunday (0)
			}
		case burdenwatch.CalendarNoMeetingMonth:
			if t, err := time.Parse("2006-01", c.Value); err == nil && t.Year() == w.cfg.Year {
				w.noMeetingMonth[t.Month()] = true
			}
		}
	}
	w.vetoSet = map[string]bool{}
	for _, v := range ref.VetoList {
		if v.ProvinceCode == w.cfg.Province && !w.vetoSet[v.Item] {
			w.veto = append(w.veto, v.Item)
			w.vetoSet[v.Item] = true
		}
	}
}

func (w *world) setSources() {
	w.sources = [4]string{"ducha", "huiyi", "oa", "baobiao"}
	switch w.cfg.Province {
	case "43":
		w.sources[0] = "wurao-ducha" // 湖南无扰督查系统
	case "33":
		w.sources[0], w.sources[3] = "zhelidu", "zhezhengding" // 浙里督, 浙政钉
	}
}

// rngFor returns a random source for one part of the simulation, derived
// from the seed and a name, so that parts do not disturb each other.
func (w *world) rngFor(name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(uint64(w.cfg.Seed), h.Sum64()))
}

// yearLimits finds the quota of the simulated year and the baseline (the
// latest baseline year before it) of a county.
func yearLimits(ref *burdenwatch.ReferenceData, county string, year int) (quota, base limits) {
	for _, q := range ref.Quotas {
		if q.CountyCode == county && q.Year == year {
			quota = limits{q.Documents, q.Meetings, q.Inspections}
		}
	}
	best := 0
	for _, b := range ref.Baselines {
		if b.CountyCode == county && b.Year < year && b.Year > best {
			best, base = b.Year, limits{b.Documents, b.Meetings, b.Inspections}
		}
	}
	return quota, base
}

// compliantTotal returns the compliant annual count for natural volume n: a little
// under the quota and the baseline when the scale is realistic (≤ 1).
func (w *world) compliantTotal(n float64, quota, base *int) float64 {
	n *= w.cfg.Scale
	if w.cfg.Scale > 1 {
		return n
	}
	for _, l := range []*int{quota, base} {
		if l != nil {
			n = math.Min(n, math.Floor(0.96*float64(*l)))
		}
	}
	return math.Max(n, 0)
}

// newPlanItem returns the simulated plan item of p, with its registry
// code and validity when the province-year has a registry entry for it.
func (w *world) newPlanItem(p burdenwatch.PlanItem, is *issuer) *planItem {
	pl := &planItem{PlanItem: p, issuer: is, topic: planTopic(p.Title), validTo: len(w.days) - 1}
	if c := w.codeOf[[2]string{p.IssuerCode, p.PlanCode}]; c != nil {
		pl.code = c.Code
		pl.validFrom, pl.validTo = w.dayIndex(c.ValidFrom), w.dayIndex(c.ValidTo)
	}
	return pl
}

// setRegistry indexes the province-year's code registry.
func (w *world) setRegistry(ref *burdenwatch.ReferenceData) {
	w.registry = refdata.RegistryFor(ref, w.cfg.Province, w.cfg.Year)
	w.codeOf = map[[2]string]*burdenwatch.InspectionCode{}
	for code, c := range w.registry {
		w.registryCodes = append(w.registryCodes, code)
		w.codeOf[[2]string{c.IssuerCode, c.PlanCode}] = c
	}
	slices.Sort(w.registryCodes)
}

// dayIndex is the index in w.days of date t, clamped to the year.
func (w *world) dayIndex(t time.Time) int {
	t = t.In(cst)
	switch {
	case t.Year() < w.cfg.Year:
		return 0
	case t.Year() > w.cfg.Year:
		return len(w.days) - 1
	}
	return t.YearDay() - 1
}
