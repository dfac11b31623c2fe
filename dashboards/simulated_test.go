package dashboards

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/ingest"
	"github.com/burdenwatch/burdenwatch/internal/testenv"
	"github.com/burdenwatch/burdenwatch/kafka"
	"github.com/burdenwatch/burdenwatch/refdata"
	"github.com/burdenwatch/burdenwatch/sim"
	"github.com/burdenwatch/burdenwatch/transform"
	"gopkg.in/yaml.v3"
)

// The simulated province-year: Hunan (43), whose code is not the first of
// the four provinces with reference data (22, 33, 37, 43), so a dashboard
// that lets Grafana pick the first province in sort order opens empty.
const simProvince = "43"

// simNow is the clock of the results dashboards: the simulated year runs
// up to the day before (a year in progress). The pipeline-health
// dashboard follows the wall clock, since ingest_log and dead_letters are
// stamped when ingestion runs.
var simNow = time.Date(2025, 12, 20, 9, 0, 0, 0, cst)

// simulated fills a fresh database the way `make run` does, at a small
// scale: reference data, a simulated province-year published to an
// embedded broker, ingested, transformed; plus a few alerts and scans
// (written by serve and the alert sink in production).
func simulated(t *testing.T) (*clickhouse.DB, string) {
	t.Helper()
	db, dsn := testenv.ClickHouse(t)
	ctx := context.Background()
	ref, err := refdata.ParseDir(filepath.Join("..", "refdata", "default"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.LoadReferenceData(ctx, ref, "test"); err != nil {
		t.Fatal(err)
	}
	issuers, err := refdata.ParseIssuers(filepath.Join("..", "refdata", "default", "issuers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := sim.DefaultConfig(simProvince)
	cfg.Scale, cfg.Now = 0.05, simNow
	var msgs []kafka.Message
	st, err := sim.Generate(ref, issuers, cfg, func(m sim.Message) error {
		msgs = append(msgs, kafka.Message{Key: m.Key, Value: m.Value})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("simulated %s %d: %d events, %d messages", simProvince, cfg.Year, st.Events, st.Messages)
	ingestAll(t, db, msgs)
	sum, err := transform.Run(ctx, db, transform.Config{Full: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("transform: %d indicator rows, %d rule results", sum.Indicators, sum.RuleResults)
	insertLive(t, db)
	return db, dsn
}

func ingestAll(t *testing.T, db *clickhouse.DB, msgs []kafka.Message) {
	t.Helper()
	const topic, group = "burden.events", "dashboards-test"
	b := testenv.Broker(t, topic, "")
	brokers := []string{b.Addr()}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel) // not earlier: a late cancel can close a pooled connection
	pub := kafka.NewPublisher(brokers, topic)
	if err := pub.Publish(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	pub.Close()
	cons, err := kafka.NewConsumer(kafka.ConsumerConfig{Brokers: brokers, Topic: topic, Group: group})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	pts, err := db.ObservationPoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	in := ingest.New(ingest.Config{
		Topic: topic, Group: group, BatchSize: 5000, FlushInterval: 200 * time.Millisecond, Workers: 2,
		UntilIdle: true, IdleTimeout: time.Second, Location: cst,
		Lag:    func(ctx context.Context) (int64, error) { return kafka.Lag(ctx, brokers, topic, group) },
		Points: func() map[string]bw.ObservationPoint { return pts },
		Log:    slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}, cons, db)
	st, err := in.Run(ctx)
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	t.Logf("ingested: %+v", st)
}

// insertLive writes alerts of every §8.5 family and scans for the
// simulated province's first county: in the simulated year (the
// overview) and in the current year (the alert rules, which look at the
// year of now()).
func insertLive(t *testing.T, db *clickhouse.DB) {
	t.Helper()
	var county string
	if err := db.Conn().QueryRow(context.Background(),
		"SELECT min(county_code) FROM ref_observation_points WHERE province_code = ?", simProvince).Scan(&county); err != nil {
		t.Fatal(err)
	}
	var alerts [][]any
	for _, year := range []int{simNow.Year(), time.Now().In(cst).Year()} {
		for i, scope := range []string{"documents.quota", "meetings.baseline", "visit_cap:ISS1:P1:" + county + "001", "appraisal_cap:ISS2"} {
			for _, level := range []string{"notice", "breach"} {
				alerts = append(alerts, []any{fmt.Sprint(county, year, scope, level), level, simProvince, county, uint16(year), scope,
					float64(25 + i), float64(24), float64(30 + i), date(year, 11), time.Date(year, 11, 3, 8, 0, 0, 0, cst), uint64(1)})
			}
		}
	}
	insert(t, db, "alerts", []string{"alert_id", "level", "province_code", "county_code", "year", "scope", "value", "`limit`",
		"projected", "month", "first_seen", "version"}, alerts)
	var scans [][]any
	for i, verdict := range []string{"accept", "may_refuse", "may_refuse"} {
		at := simNow.AddDate(0, 0, -1-i)
		scans = append(scans, []any{"scan" + verdict + string(rune('a'+i)), at, "CODE", county + "001", county, simProvince, "ISS1", "P1",
			verdict, []string{"registered", "visit_cap"}[:i], uint32(i), []string{}, []string{}, at})
	}
	insert(t, db, "scans", []string{"scan_id", "scanned_at", "inspection_code", "unit_code", "county_code", "province_code",
		"issuer_code", "plan_code", "verdict", "reasons", "accompanying", "accompanying_names", "accompanying_roles", "recorded_at"}, scans)
}

// TestDashboardsOnSimulatedData opens every dashboard on a simulated
// province-year as Grafana does (its default time range, its choice of
// variable values), for both plugins, and runs every panel's query as the
// read-only user: under Grafana's defaults ("All"), with every value
// selected one by one, and with one value; each must return rows. Then
// the alert rules' queries.
func TestDashboardsOnSimulatedData(t *testing.T) {
	db, dsn := simulated(t)
	ro := readOnly(t, dsn)
	chosen := chosenValues(t, db)
	rows := map[string][][]string{} // plugin/variant/uid/title → rows
	for _, p := range Plugins() {
		for _, d := range buildAll(t, p) {
			now := simNow
			if d.UID == UIDHealth {
				now = time.Now()
			}
			for _, v := range []variant{grafanaDefaults, explicitAll, oneValue} {
				in := openDashboard(t, ro, p, d.Model, now, v, chosen)
				if pv, ok := in.Vars["province"]; ok && !reflect.DeepEqual(pv.Values, []string{simProvince}) {
					t.Errorf("%s %s %s: Grafana would open province %v, want the simulated %s", p.Short(), d.UID, v, pv.Values, simProvince)
				}
				for _, panel := range allPanels(d.Model) {
					for _, target := range panel.Targets {
						q := target.(Query)
						sql, err := Interpolate(q.SQL, p, in)
						if err != nil {
							t.Errorf("%s %s %s/%s: %v", p.Short(), v, d.UID, *panel.Title, err)
							continue
						}
						got := run(t, ro, p, q.Format, sql)
						key := string(v) + " " + d.UID + "/" + *panel.Title
						rows[p.Short()+" "+key] = got
						if len(got) == 0 {
							t.Errorf("%s %s: no rows\nSQL:\n%s", p.Short(), key, sql)
						}
						t.Logf("%s %s: %d rows", p.Short(), key, len(got))
					}
				}
			}
		}
	}
	compareVariants(t, rows)
	t.Run("alert rules", func(t *testing.T) { checkAlertRules(t, ro) })
}

// compareVariants: both plugins give the same rows; selecting every value
// one by one gives what "All" gives.
func compareVariants(t *testing.T, rows map[string][][]string) {
	t.Helper()
	n := 0
	for key, got := range rows {
		if !strings.HasPrefix(key, Official.Short()+" ") {
			continue
		}
		rest := strings.TrimPrefix(key, Official.Short()+" ")
		if strings.Contains(rest, UIDHealth) {
			continue // ingest_log moves while the test runs: compared within a plugin only
		}
		if alt := rows[Altinity.Short()+" "+rest]; !reflect.DeepEqual(got, alt) {
			t.Errorf("%s: official %d rows, altinity %d rows differ", rest, len(got), len(alt))
		}
		if strings.HasPrefix(rest, string(grafanaDefaults)+" ") {
			every := rows[Official.Short()+" "+string(explicitAll)+strings.TrimPrefix(rest, string(grafanaDefaults))]
			if !reflect.DeepEqual(got, every) {
				t.Errorf("%s: All %d rows, every value %d rows", rest, len(got), len(every))
			}
		}
		n++
	}
	if n == 0 {
		t.Error("nothing compared")
	}
}

// chosenValues picks, for the one-value variant, a rule and an issuer
// that have an active result together in the dashboards' default range.
func chosenValues(t *testing.T, db *clickhouse.DB) map[string]string {
	t.Helper()
	var rule, issuer string
	err := db.Conn().QueryRow(context.Background(), "SELECT rule_id, "+issuerLabel+" FROM (SELECT * FROM rule_results FINAL WHERE province_code = ?)"+
		" WHERE active = 1 AND month >= toDate(?) GROUP BY rule_id, issuer_name ORDER BY count() DESC, rule_id LIMIT 1",
		simProvince, simNow.AddDate(-1, 0, 0).Format("2006-01-02")).Scan(&rule, &issuer)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("one value: rule %s, issuer %s", rule, issuer)
	return map[string]string{"rule": rule, "issuer": issuer}
}

// checkAlertRules: the provisioning file parses (strictly) into Grafana's
// format, and each rule's query runs as the read-only user and finds the
// current year's breaches, one instance per county and scope.
func checkAlertRules(t *testing.T, ro *clickhouse.DB) {
	for _, p := range Plugins() {
		raw, err := AlertRulesYAML(p, DefaultDatasourceUID)
		if err != nil {
			t.Fatal(err)
		}
		var f alertFile
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		if err := dec.Decode(&f); err != nil {
			t.Fatalf("%s: %v\n%s", p.Short(), err, raw)
		}
		if f.APIVersion != 1 || len(f.Groups) != 1 || len(f.Groups[0].Rules) != len(breachFamilies()) {
			t.Fatalf("%s: %+v", p.Short(), f)
		}
		for _, r := range f.Groups[0].Rules {
			checkAlertRule(t, ro, p, r)
		}
	}
}

func checkAlertRule(t *testing.T, ro *clickhouse.DB, p Plugin, r alertRule) {
	t.Helper()
	refs := map[string]alertQuery{}
	for _, q := range r.Data {
		refs[q.RefID] = q
	}
	cond, ok := refs[r.Condition]
	if !ok || cond.DatasourceUID != exprUID || cond.Model["expression"] != "A" || r.For == "" ||
		r.Annotations["summary"] == "" || r.Labels["severity"] == "" {
		t.Errorf("%s %s: condition %q, data %+v", p.Short(), r.UID, r.Condition, r.Data)
	}
	a := refs["A"]
	if a.DatasourceUID != DefaultDatasourceUID || a.Model["datasource"].(map[string]any)["type"] != string(p) {
		t.Errorf("%s %s: query A %+v", p.Short(), r.UID, a)
	}
	var q Query
	raw, _ := yaml.Marshal(a.Model) // YAML → JSON-compatible map → the plugin's target
	var m map[string]any
	_ = yaml.Unmarshal(raw, &m)
	if err := q.UnmarshalJSONStrict(mustJSON(t, m)); err != nil {
		t.Fatalf("%s %s: model: %v", p.Short(), r.UID, err)
	}
	sql, err := Interpolate(q.SQL, p, Interpolation{From: time.Now().Add(-24 * time.Hour), To: time.Now()})
	if err != nil {
		t.Fatalf("%s %s: %v", p.Short(), r.UID, err)
	}
	got := run(t, ro, p, FormatTable, sql)
	if len(got) != 1 || got[0][len(got[0])-1] != "1" {
		t.Errorf("%s %s: rows %v, want the one breach of the current year\nSQL:\n%s", p.Short(), r.UID, got, sql)
	}
	t.Logf("%s %s (%s): %v", p.Short(), r.UID, r.Title, got)
}
