package dashboards

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// This file opens a dashboard the way Grafana 12 does, for the tests: it
// resolves the dashboard's time range (now-12M … now), runs each
// variable's query on ClickHouse (interpolated with the variables before
// it), orders the options by the variable's sort and selects what Grafana
// selects without a current value; then interpolates each panel's query
// (Interpolate) for one variant of the selection.

// variant is a way of choosing the variables' values.
type variant string

const (
	// grafanaDefaults: no value set, Grafana chooses (All where offered,
	// else the first option).
	grafanaDefaults variant = "defaults"
	// explicitAll: every option selected one by one (not "All").
	explicitAll variant = "every-value"
	// oneValue: one value of each multi-value variable, the one given by
	// the test.
	oneValue variant = "one-value"
)

// relative parses Grafana's relative times "now", "now-12M", "now-6h",
// "now-30d" against now.
func relative(s string, now time.Time) (time.Time, error) {
	if s == "now" {
		return now, nil
	}
	m := regexp.MustCompile(`^now-(\d+)([smhdwMy])$`).FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, fmt.Errorf("time %q is not modelled", s)
	}
	n, _ := strconv.Atoi(m[1])
	switch m[2] {
	case "s":
		return now.Add(-time.Duration(n) * time.Second), nil
	case "m":
		return now.Add(-time.Duration(n) * time.Minute), nil
	case "h":
		return now.Add(-time.Duration(n) * time.Hour), nil
	case "d":
		return now.AddDate(0, 0, -n), nil
	case "w":
		return now.AddDate(0, 0, -7*n), nil
	case "M":
		return now.AddDate(0, -n, 0), nil
	}
	return now.AddDate(-n, 0, 0), nil
}

// dashboardRange is the dashboard's default time range at now.
func dashboardRange(t *testing.T, d dashboard.Dashboard, now time.Time) (time.Time, time.Time) {
	t.Helper()
	if d.Time == nil {
		t.Fatal("dashboard has no time range")
	}
	from, err := relative(d.Time.From, now)
	if err != nil {
		t.Fatal(err)
	}
	to, err := relative(d.Time.To, now)
	if err != nil {
		t.Fatal(err)
	}
	return from, to
}

// openDashboard resolves the variables of d as Grafana does on opening it
// at now, with the variant's choice of values. chosen gives the value of
// each multi-value variable for oneValue.
func openDashboard(t *testing.T, db *clickhouse.DB, p Plugin, d dashboard.Dashboard, now time.Time, v variant, chosen map[string]string) Interpolation {
	t.Helper()
	from, to := dashboardRange(t, d, now)
	in := Interpolation{From: from, To: to, Vars: map[string]Variable{}}
	for _, tv := range d.Templating.List {
		if tv.Query == nil || tv.Query.String == nil {
			t.Fatalf("variable %s has no query", tv.Name)
		}
		sql, err := Interpolate(*tv.Query.String, p, in)
		if err != nil {
			t.Fatalf("variable %s: %v", tv.Name, err)
		}
		var options []string
		for _, row := range run(t, db, p, FormatTable, sql) {
			options = append(options, row[0])
		}
		sortMode := 0
		if tv.Sort != nil {
			sortMode = int(*tv.Sort)
		}
		vr := Variable{Multi: tv.Multi != nil && *tv.Multi, IncludeAll: tv.IncludeAll != nil && *tv.IncludeAll,
			Options: SortOptions(options, sortMode)}
		if tv.AllValue != nil {
			vr.AllValue = *tv.AllValue
		}
		if tv.Current != nil {
			t.Fatalf("variable %s has a current value in the model; the test expects Grafana to choose", tv.Name)
		}
		vr = vr.Default()
		switch {
		case v == explicitAll && vr.IncludeAll:
			vr.All, vr.Values = false, vr.Options
		case v == oneValue && vr.Multi:
			value, ok := chosen[tv.Name]
			if !ok {
				t.Fatalf("no value chosen for %s", tv.Name)
			}
			vr.All, vr.Values = false, []string{value}
		}
		in.Vars[tv.Name] = vr
	}
	return in
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
