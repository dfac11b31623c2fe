package export

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// DuckDB queries over a dataset; %[1]s is the dataset root. They compute
// the same aggregates as the ClickHouse reference queries.
const (
	duckEvents = `SELECT month, count(*)::DOUBLE AS v1, coalesce(sum(pages), 0)::DOUBLE AS v2,
		coalesce(sum(team_size), 0)::DOUBLE AS v3, coalesce(sum(duration_minutes), 0)::DOUBLE AS v4,
		coalesce(sum(veto_item_count), 0)::DOUBLE AS v5, sum(epoch(occurred_at))::DOUBLE AS v6
		FROM read_parquet('%[1]s/table=events/**/*.parquet', hive_partitioning = true) GROUP BY month ORDER BY month`
	duckIndicators = `SELECT month, count(*)::DOUBLE AS v1, coalesce(sum(value), 0)::DOUBLE AS v2,
		(count(*) FILTER (WHERE value IS NULL))::DOUBLE AS v3, coalesce(sum(ytd), 0)::DOUBLE AS v4
		FROM read_parquet('%[1]s/table=indicators/**/*.parquet', hive_partitioning = true) GROUP BY month ORDER BY month`
	duckRules = `SELECT month, count(*)::DOUBLE AS v1, sum(value) AS v2, sum("limit") AS v3, sum(len(event_ids))::DOUBLE AS v4
		FROM read_parquet('%[1]s/table=rule_results/**/*.parquet', hive_partitioning = true) GROUP BY month ORDER BY month`
	// Months of the timestamps read in Beijing time must be the partition's.
	duckMonths = `SELECT (count(*) FILTER (WHERE strftime(occurred_at, '%%Y-%%m') <> month OR "table" <> 'events'))::DOUBLE AS bad
		FROM read_parquet('%[1]s/table=events/**/*.parquet', hive_partitioning = true)`
	duckColumns = `SELECT list(column_name ORDER BY column_name) AS cols FROM (DESCRIBE SELECT * FROM
		read_parquet('%[1]s/table=%[2]s/**/*.parquet', hive_partitioning = true))`
)

// duckdb installs the DuckDB helper (testdata/duckdb/setup.sh) and returns
// a function that runs named queries through it.
func duckdb(t *testing.T) func(queries [][2]string) map[string][]map[string]any {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", "duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	skip := os.Getenv("BURDENWATCH_TEST_SKIP_SERVICES") != ""
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			if skip {
				t.Skipf("%s not found; DuckDB check skipped because BURDENWATCH_TEST_SKIP_SERVICES is set", tool)
			}
			t.Fatalf("%s not found: the DuckDB check needs node and npm", tool)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "bash", filepath.Join(dir, "setup.sh")).CombinedOutput(); err != nil {
		if skip {
			t.Skipf("installing @duckdb/node-api failed (%v); skipped because BURDENWATCH_TEST_SKIP_SERVICES is set\n%s", err, out)
		}
		t.Fatalf("testdata/duckdb/setup.sh: %v\n%s", err, out)
	}
	return func(queries [][2]string) map[string][]map[string]any {
		t.Helper()
		in, _ := json.Marshal(queries)
		cmd := exec.Command("node", filepath.Join(dir, "query.mjs"))
		cmd.Stdin = bytes.NewReader(in)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("duckdb query: %v\n%s", err, stderr.String())
		}
		var res map[string][]map[string]any
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatalf("duckdb output: %v\n%s", err, out)
		}
		return res
	}
}

// duckStats turns rows of (month, v1, v2, …) into stats.
func duckStats(t *testing.T, rows []map[string]any) stats {
	t.Helper()
	out := stats{}
	for _, r := range rows {
		var vals []float64
		for i := 1; i < len(r); i++ {
			v, ok := r[fmt.Sprintf("v%d", i)].(float64)
			if !ok {
				t.Fatalf("duckdb column v%d = %#v, want a number", i, r[fmt.Sprintf("v%d", i)])
			}
			vals = append(vals, v)
		}
		out[fmt.Sprint(r["month"])] = vals
	}
	return out
}

func TestDuckDBReadsExport(t *testing.T) {
	run := duckdb(t)
	fx := newFixture(t)
	root := t.TempDir()
	full, open := filepath.Join(root, "full"), filepath.Join(root, "open")
	fx.export(t, full, Options{})
	fx.export(t, open, Options{Redact: true, RowsPerFile: 5, RowsPerRowGroup: 2})

	queries := [][2]string{{"tz", "SET TimeZone = 'Asia/Shanghai'"}}
	for _, d := range []struct{ name, dir string }{{"full", full}, {"open", open}} {
		queries = append(queries,
			[2]string{d.name + ".events", fmt.Sprintf(duckEvents, d.dir)},
			[2]string{d.name + ".indicators", fmt.Sprintf(duckIndicators, d.dir)},
			[2]string{d.name + ".rules", fmt.Sprintf(duckRules, d.dir)},
			[2]string{d.name + ".months", fmt.Sprintf(duckMonths, d.dir)},
			[2]string{d.name + ".event_cols", fmt.Sprintf(duckColumns, d.dir, "events")},
			[2]string{d.name + ".rule_cols", fmt.Sprintf(duckColumns, d.dir, "rule_results")})
	}
	res := run(queries)
	want := fx.referenceStats(t, "")
	for _, d := range []string{"full", "open"} {
		got := map[string]stats{
			"events":       duckStats(t, res[d+".events"]),
			"indicators":   duckStats(t, res[d+".indicators"]),
			"rule_results": duckStats(t, res[d+".rules"]),
		}
		compareStats(t, "duckdb "+d, want, got)
		if bad := res[d+".months"][0]["bad"]; bad != 0.0 {
			t.Errorf("duckdb %s: %v events whose Beijing-time month differs from their partition", d, bad)
		}
	}
	checkDuckColumns(t, res)
}

// checkDuckColumns checks what DuckDB sees of redaction.
func checkDuckColumns(t *testing.T, res map[string][]map[string]any) {
	t.Helper()
	has := func(key, col string) bool {
		cols, _ := res[key][0]["cols"].([]any)
		for _, c := range cols {
			if c == col {
				return true
			}
		}
		return false
	}
	for _, col := range []string{"issuer_name", "title", "topic", "doc_number", "source", "veto_items"} {
		if !has("full.event_cols", col) {
			t.Errorf("duckdb: full export lacks events.%s", col)
		}
		if has("open.event_cols", col) {
			t.Errorf("duckdb: redacted export has events.%s", col)
		}
	}
	if has("open.rule_cols", "issuer_name") || !has("full.rule_cols", "issuer_name") {
		t.Error("duckdb: rule_results.issuer_name not left out by redaction only")
	}
	if !has("open.event_cols", "veto_item_count") || !has("open.event_cols", "occurred_at") {
		t.Error("duckdb: redacted export lost non-redacted columns")
	}
}
