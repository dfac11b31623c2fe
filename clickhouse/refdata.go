package clickhouse

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
)

// dataset is one reference file's rows as table columns, split into the
// scopes (a year and province, or a province) that a load replaces.
type dataset struct {
	name   string // dataset name in ref_loads, e.g. "quotas"
	table  string
	scopes []string // scope of each row
	cols   []column // columns other than scope and load_version
}

// LoadReferenceData writes ref as the current reference data for every
// scope it contains: per province for observation points, veto list and
// calendar; per year and province for quotas, baselines, exemptions and
// the inspection code registry; per year for the inspection plan. Scopes absent from ref keep their data. The
// switch is one insert into ref_loads, so readers see either the old or the
// new set. The affected province-years are queued for recomputation.
func (db *DB) LoadReferenceData(ctx context.Context, ref *bw.ReferenceData, source string) error {
	version := uint64(time.Now().UnixNano())
	sets := referenceDatasets(ref)
	var loads loadRows
	for _, ds := range sets {
		if len(ds.scopes) == 0 {
			continue
		}
		versions := make([]uint64, len(ds.scopes))
		for i := range versions {
			versions[i] = version
		}
		cols := append([]column{{"scope", ds.scopes}, {"load_version", versions}}, ds.cols...)
		if err := db.insertColumns(ctx, ds.table, cols); err != nil {
			return fmt.Errorf("load %s: %w", ds.name, err)
		}
		loads.add(ds, version, source)
	}
	if err := db.insertColumns(ctx, "ref_loads", loads.columns()); err != nil {
		return fmt.Errorf("load reference data: %w", err)
	}
	return db.requestRecompute(ctx, loads.provinceYears(), "refdata "+source)
}

// loadRows are the ref_loads rows of one load.
type loadRows struct {
	dataset, scope, source []string
	version                []uint64
	rows                   []uint32
}

func (l *loadRows) add(ds dataset, version uint64, source string) {
	count := map[string]uint32{}
	for _, s := range ds.scopes {
		count[s]++
	}
	scopes := make([]string, 0, len(count))
	for s := range count {
		scopes = append(scopes, s)
	}
	sort.Strings(scopes)
	for _, s := range scopes {
		l.dataset = append(l.dataset, ds.name)
		l.scope = append(l.scope, s)
		l.source = append(l.source, source)
		l.version = append(l.version, version)
		l.rows = append(l.rows, count[s])
	}
}

func (l *loadRows) columns() []column {
	now := make([]time.Time, len(l.scope))
	for i := range now {
		now[i] = time.Now()
	}
	return []column{{"dataset", l.dataset}, {"scope", l.scope}, {"load_version", l.version},
		{"rows", l.rows}, {"source", l.source}, {"loaded_at", now}}
}

// provinceYears lists the province-years a load affects, as
// "province/year" with year 0 meaning every year.
func (l *loadRows) provinceYears() []ProvinceYear {
	seen := map[ProvinceYear]bool{}
	var out []ProvinceYear
	for _, s := range l.scope {
		py := parseScope(s)
		if !seen[py] {
			seen[py] = true
			out = append(out, py)
		}
	}
	return out
}

// ProvinceYear names a province and a year; Year 0 means every year and
// Province "" every province.
type ProvinceYear struct {
	Province string
	Year     int
}

// scope strings: "43" (province), "2025" (year), "2025/43" (year/province).
func yearProvinceScope(year int, county string) string {
	return strconv.Itoa(year) + "/" + county[:2]
}

func parseScope(s string) ProvinceYear {
	switch len(s) {
	case 2:
		return ProvinceYear{Province: s}
	case 4:
		y, _ := strconv.Atoi(s)
		return ProvinceYear{Year: y}
	default:
		y, _ := strconv.Atoi(s[:4])
		return ProvinceYear{Year: y, Province: s[5:]}
	}
}

func referenceDatasets(ref *bw.ReferenceData) []dataset {
	return []dataset{
		pointsDataset(ref.ObservationPoints), countsDataset("quotas", "ref_quotas", quotaCounts(ref.Quotas)),
		countsDataset("baselines", "ref_baselines", baselineCounts(ref.Baselines)),
		planDataset(ref.Plan), vetoDataset(ref.VetoList), exemptionsDataset(ref.Exemptions),
		calendarDataset(ref.Calendar), codesDataset(ref.InspectionCodes),
	}
}

func pointsDataset(ps []bw.ObservationPoint) dataset {
	ds := dataset{name: "observation_points", table: "ref_observation_points"}
	var prov, county, name []string
	var from []time.Time
	for _, p := range ps {
		ds.scopes = append(ds.scopes, p.ProvinceCode)
		prov, county, name = append(prov, p.ProvinceCode), append(county, p.CountyCode), append(name, p.CountyName)
		from = append(from, p.DesignatedFrom)
	}
	ds.cols = []column{{"province_code", prov}, {"county_code", county}, {"county_name", name}, {"designated_from", from}}
	return ds
}

// counts is the shape shared by quotas and baselines.
type counts struct {
	year                             int
	county                           string
	documents, meetings, inspections *int
}

func quotaCounts(qs []bw.Quota) []counts {
	out := make([]counts, len(qs))
	for i, q := range qs {
		out[i] = counts{q.Year, q.CountyCode, q.Documents, q.Meetings, q.Inspections}
	}
	return out
}

func baselineCounts(bs []bw.Baseline) []counts {
	out := make([]counts, len(bs))
	for i, b := range bs {
		out[i] = counts{b.Year, b.CountyCode, b.Documents, b.Meetings, b.Inspections}
	}
	return out
}

func countsDataset(name, table string, cs []counts) dataset {
	ds := dataset{name: name, table: table}
	var year []uint16
	var county []string
	var docs, meets, insps []*int64
	for _, c := range cs {
		ds.scopes = append(ds.scopes, yearProvinceScope(c.year, c.county))
		year, county = append(year, uint16(c.year)), append(county, c.county)
		docs, meets, insps = append(docs, i64(c.documents)), append(meets, i64(c.meetings)), append(insps, i64(c.inspections))
	}
	ds.cols = []column{{"year", year}, {"county_code", county}, {"documents", docs}, {"meetings", meets}, {"inspections", insps}}
	return ds
}

func i64(p *int) *int64 {
	if p == nil {
		return nil
	}
	v := int64(*p)
	return &v
}

func planDataset(items []bw.PlanItem) dataset {
	ds := dataset{name: "inspection_plan", table: "ref_inspection_plan"}
	var year []uint16
	var issuer, code, title, cat []string
	var maxVisits []uint32
	for _, p := range items {
		ds.scopes = append(ds.scopes, strconv.Itoa(p.Year))
		year, issuer, code = append(year, uint16(p.Year)), append(issuer, p.IssuerCode), append(code, p.PlanCode)
		title, cat, maxVisits = append(title, p.Title), append(cat, p.Category), append(maxVisits, uint32(p.MaxVisitsPerUnit))
	}
	ds.cols = []column{{"year", year}, {"issuer_code", issuer}, {"plan_code", code}, {"title", title},
		{"category", cat}, {"max_visits_per_unit", maxVisits}}
	return ds
}

func vetoDataset(items []bw.VetoListItem) dataset {
	ds := dataset{name: "veto_list", table: "ref_veto_list"}
	var prov, item, basis []string
	for _, v := range items {
		ds.scopes = append(ds.scopes, v.ProvinceCode)
		prov, item, basis = append(prov, v.ProvinceCode), append(item, v.Item), append(basis, v.Basis)
	}
	ds.cols = []column{{"province_code", prov}, {"item", item}, {"basis", basis}}
	return ds
}

func exemptionsDataset(es []bw.Exemption) dataset {
	ds := dataset{name: "exemptions", table: "ref_exemptions"}
	var year []uint16
	var county, reason []string
	for _, e := range es {
		ds.scopes = append(ds.scopes, yearProvinceScope(e.Year, e.CountyCode))
		year, county, reason = append(year, uint16(e.Year)), append(county, e.CountyCode), append(reason, e.Reason)
	}
	ds.cols = []column{{"year", year}, {"county_code", county}, {"reason", reason}}
	return ds
}

func calendarDataset(cs []bw.CalendarEntry) dataset {
	ds := dataset{name: "calendar", table: "ref_calendar"}
	var prov, rule, value []string
	for _, c := range cs {
		ds.scopes = append(ds.scopes, c.ProvinceCode)
		prov, rule, value = append(prov, c.ProvinceCode), append(rule, c.Rule), append(value, c.Value)
	}
	ds.cols = []column{{"province_code", prov}, {"rule", rule}, {"value", value}}
	return ds
}

// CurrentRows is the WHERE condition that selects, in a reference table,
// the rows of the newest load of each scope of dataset (e.g.
// "observation_points"). Every reader of reference data uses it.
func CurrentRows(dataset string) string {
	return "(scope, load_version) IN (SELECT scope, max(load_version) FROM ref_loads WHERE dataset = '" +
		dataset + "' GROUP BY scope)"
}

// requestRecompute queues province-years for the transformer.
func (db *DB) requestRecompute(ctx context.Context, pys []ProvinceYear, reason string) error {
	if len(pys) == 0 {
		return nil
	}
	n := len(pys)
	prov, reasons := make([]string, n), make([]string, n)
	years := make([]uint16, n)
	at := make([]time.Time, n)
	seq := make([]uint64, n)
	s := uint64(time.Now().UnixNano())
	for i, py := range pys {
		prov[i], years[i], reasons[i], at[i], seq[i] = py.Province, uint16(py.Year), reason, time.Now(), s
	}
	return db.insertColumns(ctx, "recompute_requests", []column{
		{"province_code", prov}, {"year", years}, {"reason", reasons}, {"requested_at", at}, {"seq", seq},
	})
}
