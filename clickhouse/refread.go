package clickhouse

import (
	"context"
	"fmt"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
)

// ObservationPoints returns the current observation points by county code.
func (db *DB) ObservationPoints(ctx context.Context) (map[string]bw.ObservationPoint, error) {
	rows, err := db.conn.Query(ctx, `SELECT province_code, county_code, county_name, designated_from
FROM ref_observation_points WHERE `+CurrentRows("observation_points"))
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read observation points: %w", err)
	}
	defer rows.Close()
	out := map[string]bw.ObservationPoint{}
	for rows.Next() {
		var p bw.ObservationPoint
		var from time.Time
		if err := rows.Scan(&p.ProvinceCode, &p.CountyCode, &p.CountyName, &from); err != nil {
			return nil, fmt.Errorf("clickhouse: read observation points: %w", err)
		}
		p.DesignatedFrom = CivilDate(from, db.loc)
		out[p.CountyCode] = p
	}
	return out, rows.Err()
}

// CivilDate re-reads a ClickHouse Date (returned at UTC midnight) as
// midnight in loc, the calendar time zone.
func CivilDate(d time.Time, loc *time.Location) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
}
