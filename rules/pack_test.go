package rules

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the shipped rule packs under packs/")

// shippedSpecs are the provinces whose packs ship with BurdenWatch.
var shippedSpecs = []struct {
	file, province, name string
	baseline             int
}{
	{DefaultPackFile, "", "中央（默认）规则包：全部规则，默认参数", 0},
	{"43.json", "43", "湖南省", 2024},
	{"37.json", "37", "山东省", 2024},
	{"22.json", "22", "吉林省", 2024},
	{"33.json", "33", "浙江省", 2019},
}

// TestShippedPacks checks that the shipped packs list every rule with the
// catalog defaults (go test -run TestShippedPacks -update rewrites them).
func TestShippedPacks(t *testing.T) {
	for _, s := range shippedSpecs {
		pk := DefaultPack()
		pk.Province, pk.Name, pk.BaselineYear = s.province, s.name, s.baseline
		want, err := encodePack(pk)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("packs", s.file)
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the catalog defaults; run go test ./rules -run TestShippedPacks -update", path)
		}
	}
	packs, err := LoadPacks("packs")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range shippedSpecs[1:] {
		pk := packs.For(s.province)
		if pk.Province != s.province || pk.BaselineYear != s.baseline || len(pk.Rules) != len(Catalog()) {
			t.Errorf("pack %s: province %q baseline %d rules %d", s.file, pk.Province, pk.BaselineYear, len(pk.Rules))
		}
		for _, rc := range pk.Rules {
			if !rc.Enabled {
				t.Errorf("pack %s: rule %s off", s.file, rc.ID)
			}
		}
	}
	if pk := packs.For("11"); pk.Province != "11" || pk.BaselineYear != 0 || !pk.Enabled(InspectionUnplanned) {
		t.Errorf("fallback pack: %+v", pk)
	}
	if tooSoon, _ := packs.For("43").Rule(InspectionTooSoon); tooSoon.Param(ParamDays) != 30 {
		t.Errorf("too_soon days %v", tooSoon.Param(ParamDays))
	}
	if s, _ := packs.For("43").Rule(InspectionSampling); s.Param(ParamMaxShare) != 1.0/3 {
		t.Errorf("sampling share %v", s.Param(ParamMaxShare))
	}
}

func writePack(t *testing.T, name, body string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoadPacksErrors(t *testing.T) {
	cases := []struct {
		name, file, body string
		want             []string
	}{
		{"malformed JSON", "43.json", "{\n  \"province\": \"43\",\n  \"rules\": [\n    {\"id\": \"inspection.uncoded\",}\n  ]\n}\n",
			[]string{"43.json:4:", "malformed JSON"}},
		{"unknown rule ids", "43.json", "{\n  \"province\": \"43\",\n  \"rules\": [\n    {\"id\": \"inspection.nope\"},\n    {\"id\": \"inspection.uncoded\"},\n    {\"id\": \"meeting.never\"}\n  ]\n}\n",
			[]string{"43.json:4: unknown rule id \"inspection.nope\"", "43.json:6: unknown rule id \"meeting.never\""}},
		{"parameter out of range", "43.json", "{\n  \"province\": \"43\",\n  \"rules\": [\n    {\"id\": \"inspection.covert_share\",\n     \"params\": {\"min_share\": 1.5}}\n  ]\n}\n",
			[]string{"43.json:5:", "min_share", "out of range"}},
		{"parameter not whole", "43.json", "{\"province\": \"43\", \"rules\": [{\"id\": \"inspection.crowding\", \"params\": {\"k\": 2.5}}]}",
			[]string{"43.json:1:", "not a whole number"}},
		{"unknown parameter", "43.json", "{\"province\": \"43\", \"rules\": [{\"id\": \"inspection.uncoded\", \"params\": {\"days\": 3}}]}",
			[]string{"unknown parameter \"days\""}},
		{"unknown rule field", "43.json", "{\"province\": \"43\",\n\"rules\": [\n{\"id\": \"inspection.uncoded\", \"enabeld\": false}]}",
			[]string{"43.json:3:", "unknown field \"enabeld\""}},
		{"unknown top-level field", "43.json", "{\"province\": \"43\",\n \"baseline\": 2024, \"rules\": []}",
			[]string{"43.json:2:", "unknown field \"baseline\""}},
		{"bad severity", "43.json", "{\"province\": \"43\", \"rules\": [{\"id\": \"inspection.uncoded\", \"severity\": \"fatal\"}]}",
			[]string{"severity \"fatal\""}},
		{"unknown seed", "43.json", "{\"province\": \"43\", \"rules\": [{\"id\": \"inspection.uncoded\", \"citations\": [{\"seed\": \"x.txt\", \"text\": \"《x》\"}]}]}",
			[]string{"unknown seed file \"x.txt\""}},
		{"file name mismatch", "44.json", "{\"province\": \"43\", \"rules\": []}",
			[]string{"44.json", "want \"44\""}},
		{"baseline year", "43.json", "{\"province\": \"43\", \"baseline_year\": 1066, \"rules\": []}",
			[]string{"baseline_year", "out of range"}},
		{"duplicate rule", "43.json", "{\"province\": \"43\", \"rules\": [{\"id\": \"inspection.uncoded\"}, {\"id\": \"inspection.uncoded\"}]}",
			[]string{"listed twice"}},
		{"missing rules", "43.json", "{\"province\": \"43\"}", []string{"missing \"rules\""}},
		{"yaml", "43.yaml", "province: 43\n", []string{"43.yaml", "unsupported"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadPacks(writePack(t, c.file, c.body))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadPacksSwitchOffAndOverride(t *testing.T) {
	dir := writePack(t, "43.json", `{"province": "43", "baseline_year": 2024, "rules": [
  {"id": "document.upward_report", "enabled": false},
  {"id": "inspection.sampling", "params": {"max_share": "1/2"}},
  {"id": "inspection.crowding", "params": {"k": 3, "d": 14}, "severity": "warning"}
]}`)
	packs, err := LoadPacks(dir)
	if err != nil {
		t.Fatal(err)
	}
	pk := packs.For("43")
	if pk.Enabled(DocumentUpwardReport) || !pk.Enabled(DocumentCascade) {
		t.Error("switch-off not applied, or unlisted rule not on")
	}
	if s, _ := pk.Rule(InspectionSampling); s.Param(ParamMaxShare) != 0.5 {
		t.Errorf("sampling share %v", s.Param(ParamMaxShare))
	}
	if c, _ := pk.Rule(InspectionCrowding); c.Param(ParamK) != 3 || c.Param(ParamD) != 14 || c.Severity != "warning" {
		t.Errorf("crowding %+v", c)
	}
	if d := packs.For("33"); len(d.Rules) != len(Catalog()) || d.Province != "33" {
		t.Errorf("fallback %+v", d)
	}
}

func TestCatalog(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Catalog() {
		if seen[r.ID] {
			t.Errorf("duplicate id %s", r.ID)
		}
		seen[r.ID] = true
		if r.Name == "" || r.Scope == "" || len(r.Citations) == 0 {
			t.Errorf("%s: incomplete %+v", r.ID, r)
		}
		for _, c := range r.Citations {
			if !knownSeeds[c.Seed] || !strings.Contains(c.Text, "《") {
				t.Errorf("%s: citation %+v", r.ID, c)
			}
		}
		wantSev := "violation"
		if r.ID == DocumentUpwardReport || r.ID == InspectionYoY {
			wantSev = "warning"
		}
		if string(r.Severity) != wantSev {
			t.Errorf("%s: severity %s", r.ID, r.Severity)
		}
	}
}
