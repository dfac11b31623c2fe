package clickhouse

import (
	"context"
	"fmt"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
)

// liveBatch is how many inspections LiveInspections hands over at a time.
const liveBatch = 8192

// LiveInspections reads every inspection event, deduplicated (FINAL: the
// highest version of each event_id), and calls each with batches of them
// and their versions. Only the fields the live service (serve) indexes are
// filled: id, kind, occurred_at, county and unit, issuer code and name,
// plan code, on_site.
func (db *DB) LiveInspections(ctx context.Context, each func(evs []bw.Event, versions []uint64)) error {
	const q = `SELECT event_id, version, issuer_code, issuer_name, plan_code, county_code, unit_code, occurred_at, on_site
FROM events FINAL WHERE kind = 'inspection'`
	var ev bw.Event
	var version uint64
	var onSite uint8
	evs, versions := make([]bw.Event, 0, liveBatch), make([]uint64, 0, liveBatch)
	err := db.scanAll(ctx, "inspection events", q,
		[]any{&ev.ID, &version, &ev.Issuer.Code, &ev.Issuer.Name, &ev.Inspection.PlanCode, &ev.CountyCode, &ev.UnitCode, &ev.OccurredAt, &onSite},
		func() {
			ev.Kind, ev.Inspection.OnSite, ev.OccurredAt = bw.KindInspection, onSite == 1, ev.OccurredAt.In(db.loc)
			evs, versions = append(evs, ev), append(versions, version)
			if len(evs) == liveBatch {
				each(evs, versions)
				evs, versions = evs[:0], versions[:0]
			}
		})
	if err != nil {
		return err
	}
	if len(evs) > 0 {
		each(evs, versions)
	}
	return nil
}

// InsertScan records one scan registration (SPEC §8.3) in scans.
func (db *DB) InsertScan(ctx context.Context, s bw.Scan) error {
	names, roles := make([]string, len(s.Accompanying)), make([]string, len(s.Accompanying))
	for i, c := range s.Accompanying {
		names[i], roles[i] = c.Name, c.Role
	}
	reasons := s.Reasons
	if reasons == nil {
		reasons = []string{}
	}
	err := db.insertColumns(ctx, "scans", []column{
		{"scan_id", []string{s.ID}}, {"scanned_at", []time.Time{s.ScannedAt}},
		{"inspection_code", []string{s.InspectionCode}}, {"unit_code", []string{s.UnitCode}},
		{"county_code", []string{s.CountyCode}}, {"province_code", []string{s.ProvinceCode}},
		{"issuer_code", []string{s.IssuerCode}}, {"plan_code", []string{s.PlanCode}},
		{"verdict", []string{string(s.Verdict)}}, {"reasons", [][]string{reasons}},
		{"accompanying", []uint32{uint32(len(s.Accompanying))}},
		{"accompanying_names", [][]string{names}}, {"accompanying_roles", [][]string{roles}},
		{"recorded_at", []time.Time{time.Now()}},
	})
	if err != nil {
		return fmt.Errorf("clickhouse: record scan %s: %w", s.ID, err)
	}
	return nil
}

// Scan reads back the scan registration scan_id (FINAL), and whether it
// exists.
func (db *DB) Scan(ctx context.Context, id string) (bw.Scan, bool, error) {
	var s bw.Scan
	var verdict string
	var names, roles []string
	found := false
	rows, err := db.conn.Query(ctx, `SELECT scan_id, scanned_at, inspection_code, unit_code, county_code, province_code,
issuer_code, plan_code, toString(verdict), reasons, accompanying_names, accompanying_roles
FROM scans FINAL WHERE scan_id = ?`, id)
	if err != nil {
		return s, false, fmt.Errorf("clickhouse: read scan %s: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(&s.ID, &s.ScannedAt, &s.InspectionCode, &s.UnitCode, &s.CountyCode, &s.ProvinceCode,
			&s.IssuerCode, &s.PlanCode, &verdict, &s.Reasons, &names, &roles); err != nil {
			return s, false, fmt.Errorf("clickhouse: read scan %s: %w", id, err)
		}
		found = true
		s.ScannedAt = s.ScannedAt.In(db.loc)
		s.Verdict = bw.Verdict(verdict)
		s.Accompanying = make([]bw.Companion, len(names))
		for i := range names {
			s.Accompanying[i] = bw.Companion{Name: names[i], Role: roles[i]}
		}
	}
	if err := rows.Err(); err != nil {
		return s, false, fmt.Errorf("clickhouse: read scan %s: %w", id, err)
	}
	return s, found, nil
}

// Ping checks that the server answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.conn.Ping(ctx); err != nil {
		return fmt.Errorf("clickhouse: ping %s: %w", db.addr, err)
	}
	return nil
}
