package clickhouse

import (
	"context"
	"strconv"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
)

// codesDataset is the code registry (inspection_codes.csv) as a reference
// dataset: one scope per year and province, so loading a province-year's
// codes replaces that set only, and queues its recompute.
func codesDataset(cs []bw.InspectionCode) dataset {
	ds := dataset{name: "inspection_codes", table: "ref_inspection_codes"}
	var year []uint16
	var prov, code, plan, issuer, title []string
	var from, to []time.Time
	var counties [][]string
	for _, c := range cs {
		ds.scopes = append(ds.scopes, strconv.Itoa(c.Year)+"/"+c.ProvinceCode)
		year, prov, code = append(year, uint16(c.Year)), append(prov, c.ProvinceCode), append(code, c.Code)
		plan, issuer, title = append(plan, c.PlanCode), append(issuer, c.IssuerCode), append(title, c.Title)
		from, to = append(from, dateUTC(c.ValidFrom)), append(to, dateUTC(c.ValidTo))
		counties = append(counties, append([]string{}, c.Counties...))
	}
	ds.cols = []column{{"province_code", prov}, {"year", year}, {"inspection_code", code}, {"plan_code", plan},
		{"issuer_code", issuer}, {"title", title}, {"valid_from", from}, {"valid_to", to}, {"counties", counties}}
	return ds
}

// dateUTC is the civil date of t (a date in the calendar zone) at UTC
// midnight, as ClickHouse Date columns take it.
func dateUTC(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// readInspectionCodes reads the current code registry of every
// province-year into ref.
func (db *DB) readInspectionCodes(ctx context.Context, ref *bw.ReferenceData) error {
	var c bw.InspectionCode
	var year uint16
	var from, to time.Time
	return db.scanAll(ctx, "inspection codes", `SELECT province_code, year, inspection_code, plan_code, issuer_code,
title, valid_from, valid_to, counties FROM ref_inspection_codes WHERE `+CurrentRows("inspection_codes")+`
ORDER BY province_code, year, inspection_code`,
		[]any{&c.ProvinceCode, &year, &c.Code, &c.PlanCode, &c.IssuerCode, &c.Title, &from, &to, &c.Counties}, func() {
			e := c
			e.Year, e.ValidFrom, e.ValidTo = int(year), CivilDate(from, db.loc), CivilDate(to, db.loc)
			if len(e.Counties) == 0 {
				e.Counties = nil
			} else {
				e.Counties = append([]string(nil), e.Counties...)
			}
			ref.InspectionCodes = append(ref.InspectionCodes, e)
		})
}
