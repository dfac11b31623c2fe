package clickhouse

import (
	"context"
	"fmt"
	"sort"

	bw "github.com/burdenwatch/burdenwatch"
)

// ReferenceData reads the current reference data: for every dataset and
// scope, the rows of the newest load.
func (db *DB) ReferenceData(ctx context.Context) (*bw.ReferenceData, error) {
	ref := &bw.ReferenceData{}
	points, err := db.ObservationPoints(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range points {
		ref.ObservationPoints = append(ref.ObservationPoints, p)
	}
	sort.Slice(ref.ObservationPoints, func(i, j int) bool {
		return ref.ObservationPoints[i].CountyCode < ref.ObservationPoints[j].CountyCode
	})
	readers := []func(context.Context, *bw.ReferenceData) error{
		db.readQuotas, db.readBaselines, db.readPlan, db.readVetoList, db.readExemptions, db.readCalendar,
		db.readInspectionCodes,
	}
	for _, read := range readers {
		if err := read(ctx, ref); err != nil {
			return nil, err
		}
	}
	return ref, nil
}

// scanAll runs query and calls scan for every row.
func (db *DB) scanAll(ctx context.Context, what, query string, dest []any, each func()) error {
	rows, err := db.conn.Query(ctx, query)
	if err != nil {
		return fmt.Errorf("clickhouse: read %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("clickhouse: read %s: %w", what, err)
		}
		each()
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("clickhouse: read %s: %w", what, err)
	}
	return nil
}

// readCounts reads quotas or baselines, which share a shape.
func (db *DB) readCounts(ctx context.Context, dataset, table string) ([]counts, error) {
	var year uint16
	var c counts
	var docs, meets, insps *int64
	var out []counts
	err := db.scanAll(ctx, dataset, `SELECT year, county_code, documents, meetings, inspections FROM `+table+
		` WHERE `+CurrentRows(dataset)+` ORDER BY year, county_code`,
		[]any{&year, &c.county, &docs, &meets, &insps}, func() {
			out = append(out, counts{year: int(year), county: c.county,
				documents: intPtr(docs), meetings: intPtr(meets), inspections: intPtr(insps)})
		})
	return out, err
}

func intPtr(p *int64) *int {
	if p == nil {
		return nil
	}
	v := int(*p)
	return &v
}

func (db *DB) readQuotas(ctx context.Context, ref *bw.ReferenceData) error {
	cs, err := db.readCounts(ctx, "quotas", "ref_quotas")
	for _, c := range cs {
		ref.Quotas = append(ref.Quotas, bw.Quota{Year: c.year, CountyCode: c.county,
			Documents: c.documents, Meetings: c.meetings, Inspections: c.inspections})
	}
	return err
}

func (db *DB) readBaselines(ctx context.Context, ref *bw.ReferenceData) error {
	cs, err := db.readCounts(ctx, "baselines", "ref_baselines")
	for _, c := range cs {
		ref.Baselines = append(ref.Baselines, bw.Baseline{Year: c.year, CountyCode: c.county,
			Documents: c.documents, Meetings: c.meetings, Inspections: c.inspections})
	}
	return err
}

func (db *DB) readPlan(ctx context.Context, ref *bw.ReferenceData) error {
	var p bw.PlanItem
	var year uint16
	var maxVisits uint32
	return db.scanAll(ctx, "inspection plan", `SELECT year, issuer_code, plan_code, title, category, max_visits_per_unit
FROM ref_inspection_plan WHERE `+CurrentRows("inspection_plan")+` ORDER BY year, issuer_code, plan_code`,
		[]any{&year, &p.IssuerCode, &p.PlanCode, &p.Title, &p.Category, &maxVisits}, func() {
			p.Year, p.MaxVisitsPerUnit = int(year), int(maxVisits)
			ref.Plan = append(ref.Plan, p)
		})
}

func (db *DB) readVetoList(ctx context.Context, ref *bw.ReferenceData) error {
	var v bw.VetoListItem
	return db.scanAll(ctx, "veto list", `SELECT province_code, item, basis FROM ref_veto_list WHERE `+
		CurrentRows("veto_list")+` ORDER BY province_code, item`,
		[]any{&v.ProvinceCode, &v.Item, &v.Basis}, func() { ref.VetoList = append(ref.VetoList, v) })
}

func (db *DB) readExemptions(ctx context.Context, ref *bw.ReferenceData) error {
	var e bw.Exemption
	var year uint16
	return db.scanAll(ctx, "exemptions", `SELECT year, county_code, reason FROM ref_exemptions WHERE `+
		CurrentRows("exemptions")+` ORDER BY year, county_code`,
		[]any{&year, &e.CountyCode, &e.Reason}, func() {
			e.Year = int(year)
			ref.Exemptions = append(ref.Exemptions, e)
		})
}

func (db *DB) readCalendar(ctx context.Context, ref *bw.ReferenceData) error {
	var c bw.CalendarEntry
	return db.scanAll(ctx, "calendar", `SELECT province_code, rule, value FROM ref_calendar WHERE `+
		CurrentRows("calendar")+` ORDER BY province_code, rule, value`,
		[]any{&c.ProvinceCode, &c.Rule, &c.Value}, func() { ref.Calendar = append(ref.Calendar, c) })
}
