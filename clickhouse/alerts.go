package clickhouse

import (
	"context"
	"fmt"
	"strings"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
)

// SaveAlerts writes alerts as the current rows of the alerts table (SPEC
// §7, §8.5) and returns them as stored: an alert already in the table keeps
// its first_seen; value, limit, month and projected are the new ones.
func (db *DB) SaveAlerts(ctx context.Context, alerts []bw.Alert) ([]bw.Alert, error) {
	if len(alerts) == 0 {
		return nil, nil
	}
	ids := make([]string, len(alerts))
	for i, a := range alerts {
		ids[i] = a.ID
	}
	seen, err := db.alertFirstSeen(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]bw.Alert, len(alerts))
	n := len(alerts)
	id, level, prov, county, scope := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	year := make([]uint16, n)
	value, limit, projected := make([]float64, n), make([]float64, n), make([]float64, n)
	month, first := make([]time.Time, n), make([]time.Time, n)
	version := make([]uint64, n)
	v := uint64(time.Now().UnixNano())
	for i, a := range alerts {
		if t, ok := seen[a.ID]; ok {
			a.FirstSeen = t
		}
		a.FirstSeen = a.FirstSeen.Truncate(time.Second).In(db.loc)
		out[i] = a
		id[i], level[i], prov[i], county[i], scope[i] = a.ID, string(a.Level), a.ProvinceCode, a.CountyCode, a.Scope
		year[i], value[i], limit[i], projected[i] = uint16(a.Year), a.Value, a.Limit, a.Projected
		month[i], first[i], version[i] = dateUTC(a.Month), a.FirstSeen, v
	}
	err = db.insertColumns(ctx, "alerts", []column{
		{"alert_id", id}, {"level", level}, {"province_code", prov}, {"county_code", county}, {"year", year},
		{"scope", scope}, {"value", value}, {"limit", limit}, {"projected", projected}, {"month", month},
		{"first_seen", first}, {"version", version},
	})
	if err != nil {
		return nil, fmt.Errorf("clickhouse: save %d alerts: %w", n, err)
	}
	return out, nil
}

// alertFirstSeen returns the first_seen of the alerts among ids already
// stored.
func (db *DB) alertFirstSeen(ctx context.Context, ids []string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	var id string
	var at time.Time
	err := db.scanAll(ctx, "alerts", `SELECT alert_id, min(first_seen) FROM alerts WHERE alert_id IN (`+quoteAll(ids)+`)
GROUP BY alert_id`, []any{&id, &at}, func() { out[id] = at.In(db.loc) })
	return out, err
}

// Alerts returns the alerts of a province-year (year 0: every year),
// ordered by county, scope and level.
func (db *DB) Alerts(ctx context.Context, province string, year int) ([]bw.Alert, error) {
	where := "province_code = '" + escape(province) + "'"
	if year != 0 {
		where += fmt.Sprintf(" AND year = %d", year)
	}
	var out []bw.Alert
	var a bw.Alert
	var level string
	var y uint16
	var month, first time.Time
	err := db.scanAll(ctx, "alerts", `SELECT alert_id, toString(level), province_code, county_code, year, scope,
value, `+"`limit`"+`, projected, month, first_seen FROM alerts FINAL WHERE `+where+`
ORDER BY county_code, scope, level`,
		[]any{&a.ID, &level, &a.ProvinceCode, &a.CountyCode, &y, &a.Scope, &a.Value, &a.Limit, &a.Projected, &month, &first},
		func() {
			a.Level, a.Year, a.Month, a.FirstSeen = bw.AlertLevel(level), int(y), CivilDate(month, db.loc), first.In(db.loc)
			out = append(out, a)
		})
	return out, err
}

// DeliveredAlerts returns which of ids have been delivered on channel
// (e.g. "kafka", "webhook"), from alert_deliveries.
func (db *DB) DeliveredAlerts(ctx context.Context, channel string, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	var id string
	err := db.scanAll(ctx, "alert deliveries", `SELECT DISTINCT alert_id FROM alert_deliveries
WHERE channel = '`+escape(channel)+`' AND alert_id IN (`+quoteAll(ids)+`)`, []any{&id}, func() { out[id] = true })
	return out, err
}

// RecordAlertDeliveries records that ids were delivered on channel, each
// after attempts[i] attempts.
func (db *DB) RecordAlertDeliveries(ctx context.Context, channel string, ids []string, attempts []uint32) error {
	if len(ids) == 0 {
		return nil
	}
	n := len(ids)
	channels, at, version := make([]string, n), make([]time.Time, n), make([]uint64, n)
	now, v := time.Now(), uint64(time.Now().UnixNano())
	for i := range ids {
		channels[i], at[i], version[i] = channel, now, v
	}
	err := db.insertColumns(ctx, "alert_deliveries", []column{
		{"alert_id", ids}, {"channel", channels}, {"attempts", attempts}, {"delivered_at", at}, {"version", version},
	})
	if err != nil {
		return fmt.Errorf("clickhouse: record %d %s deliveries: %w", n, channel, err)
	}
	return nil
}

// AlertDeliveries returns, for channel, the attempts recorded with each
// delivered alert id.
func (db *DB) AlertDeliveries(ctx context.Context, channel string) (map[string]uint32, error) {
	out := map[string]uint32{}
	var id string
	var attempts uint32
	err := db.scanAll(ctx, "alert deliveries", `SELECT alert_id, attempts FROM alert_deliveries FINAL
WHERE channel = '`+escape(channel)+`'`, []any{&id, &attempts}, func() { out[id] = attempts })
	return out, err
}

func quoteAll(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = "'" + escape(id) + "'"
	}
	return strings.Join(q, ", ")
}
