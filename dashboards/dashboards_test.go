package dashboards

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

func buildAll(t *testing.T, p Plugin) []Dashboard {
	t.Helper()
	boards, err := Build(Options{Plugin: p})
	if err != nil {
		t.Fatalf("Build(%s): %v", p, err)
	}
	if len(boards) != 4 {
		t.Fatalf("Build(%s): %d dashboards, want 4", p, len(boards))
	}
	return boards
}

// TestStrictRoundTrip: every dashboard unmarshals strictly into the SDK's
// model, validates, and marshals back to the same JSON.
func TestStrictRoundTrip(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	RegisterQueryTypes()
	for _, p := range Plugins() {
		for _, d := range buildAll(t, p) {
			t.Run(p.Short()+"/"+d.UID, func(t *testing.T) {
				raw, err := d.JSON()
				if err != nil {
					t.Fatal(err)
				}
				var back dashboard.Dashboard
				if err := back.UnmarshalJSONStrict(raw); err != nil {
					t.Fatalf("UnmarshalJSONStrict: %v", err)
				}
				if err := back.Validate(); err != nil {
					t.Fatalf("Validate: %v", err)
				}
				again, err := Dashboard{UID: d.UID, Model: back}.JSON()
				if err != nil {
					t.Fatal(err)
				}
				// The SDK's Equals compares builder-made pointers (matcher
				// options) with unmarshalled values, and unmarshalling turns
				// empty row panel lists into null: compare the JSON instead.
				if a, b := normalize(t, raw), normalize(t, again); a != b {
					t.Errorf("JSON changed in a round trip:\n%s\n%s", a, b)
				}
				checkTargets(t, p, back)
			})
		}
	}
}

// normalize re-encodes JSON with empty arrays and nulls removed.
func normalize(t *testing.T, raw []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(prune(v))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func prune(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if x = prune(x); x == nil {
				delete(v, k)
			} else {
				v[k] = x
			}
		}
	case []any:
		if len(v) == 0 {
			return nil
		}
		for i := range v {
			v[i] = prune(v[i])
		}
	}
	return v
}

// checkTargets: every panel has a Query of plugin p, valid, and a title.
func checkTargets(t *testing.T, p Plugin, d dashboard.Dashboard) {
	t.Helper()
	n := 0
	for _, panel := range allPanels(d) {
		if panel.Title == nil || *panel.Title == "" {
			t.Errorf("panel %v has no title", panel.Id)
		}
		for _, target := range panel.Targets {
			q, ok := target.(Query)
			if !ok {
				t.Fatalf("panel %q: target is %T, want Query", *panel.Title, target)
			}
			if q.Plugin != p {
				t.Errorf("panel %q: plugin %s, want %s", *panel.Title, q.Plugin, p)
			}
			if err := q.Validate(); err != nil {
				t.Errorf("panel %q: %v", *panel.Title, err)
			}
			n++
		}
	}
	if n == 0 {
		t.Error("no queries")
	}
}

func allPanels(d dashboard.Dashboard) []dashboard.Panel {
	var out []dashboard.Panel
	for _, p := range d.Panels {
		if p.Panel != nil {
			out = append(out, *p.Panel)
		}
		if p.RowPanel != nil {
			out = append(out, p.RowPanel.Panels...)
		}
	}
	return out
}

func TestGolden(t *testing.T) {
	for _, p := range Plugins() {
		for _, d := range buildAll(t, p) {
			raw, err := d.JSON()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", p.Short()+"-"+d.UID+".golden.json")
			if *update {
				if err := os.WriteFile(path, raw, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./dashboards/ -update)", err)
			}
			if !bytes.Equal(raw, want) {
				t.Errorf("%s differs from the golden file; review and run go test ./dashboards/ -update", path)
			}
		}
	}
}

func TestTitlesAreChinese(t *testing.T) {
	want := map[string]string{UIDProvince: "省级总览", UIDCounty: "观测点详情", UIDRules: "规则检查结果", UIDHealth: "数据接入健康"}
	for _, d := range buildAll(t, Official) {
		if want[d.UID] != d.Title || d.Model.Title == nil || *d.Model.Title != d.Title {
			t.Errorf("dashboard %s title %q, want %q", d.UID, d.Title, want[d.UID])
		}
	}
}

func TestQueryJSON(t *testing.T) {
	for _, tc := range []struct {
		q    Query
		want string
	}{
		{Query{Plugin: Official, RefID: "A", DatasourceUID: "u", SQL: "SELECT 1", Format: FormatTimeSeries},
			`{"refId":"A","datasource":{"type":"grafana-clickhouse-datasource","uid":"u"},"editorType":"sql","queryType":"timeSeries","format":0,"rawSql":"SELECT 1"}`},
		{Query{Plugin: Altinity, RefID: "A", DatasourceUID: "u", SQL: "SELECT 1", Format: FormatTable},
			`{"refId":"A","datasource":{"type":"vertamedia-clickhouse-datasource","uid":"u"},"query":"SELECT 1","format":"table","dateTimeType":"DATETIME","intervalFactor":1,"round":"0s","skip_comments":true}`},
	} {
		b, err := json.Marshal(tc.q)
		if err != nil || string(b) != tc.want {
			t.Errorf("Marshal(%+v) = %s, %v; want %s", tc.q, b, err, tc.want)
		}
		var back Query
		if err := back.UnmarshalJSONStrict(b); err != nil || back != tc.q {
			t.Errorf("UnmarshalJSONStrict(%s) = %+v, %v", b, back, err)
		}
	}
	var q Query
	if err := q.UnmarshalJSONStrict([]byte(`{"refId":"A","datasource":{"type":"grafana-clickhouse-datasource","uid":"u"},"editorType":"sql","queryType":"table","format":1,"rawSql":"x","extra":1}`)); err == nil {
		t.Error("strict unmarshal accepted an unknown field")
	}
	bad := Query{Plugin: Official, RefID: "A", SQL: "SELECT toStartOfInterval(t, INTERVAL 1 minute)"}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "toStartOfInterval") {
		t.Errorf("Validate accepted toStartOfInterval: %v", err)
	}
}

// TestPanelIDsUnique: every panel, rows included, has its own non-zero id
// (Grafana keys panel state, links and repeats by id).
func TestPanelIDsUnique(t *testing.T) {
	for _, p := range Plugins() {
		for _, d := range buildAll(t, p) {
			seen := map[uint32]string{}
			add := func(id *uint32, title *string) {
				name := ""
				if title != nil {
					name = *title
				}
				if id == nil || *id == 0 {
					t.Errorf("%s %s: panel %q has no id", p.Short(), d.UID, name)
					return
				}
				if other, dup := seen[*id]; dup {
					t.Errorf("%s %s: id %d of %q is also %q's", p.Short(), d.UID, *id, name, other)
				}
				seen[*id] = name
			}
			rows := 0
			for _, pr := range d.Model.Panels {
				if pr.RowPanel != nil {
					rows++
					id := pr.RowPanel.Id
					add(&id, pr.RowPanel.Title)
				}
			}
			for _, panel := range allPanels(d.Model) {
				add(panel.Id, panel.Title)
			}
			if d.UID == UIDCounty && rows != len(indicatorGroups()) {
				t.Errorf("%s: %d rows", d.UID, rows)
			}
		}
	}
}
