package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedsDir holds the regulation texts (SPEC's ../seeds); the phrase checks
// are skipped where it is absent.
const seedsDir = "../../shared/seeds"

// regulationPin is one parameter of a shipped pack, written out from the
// regulation text that states it (not from the catalog's defaults).
type regulationPin struct {
	rule, param string
	value       float64
	seed        string
	phrase      string // as the seed writes it
}

// regulationPins are the numbers the regulations state. Every shipped
// province pack must carry them.
var regulationPins = []regulationPin{
	{InspectionCovertShare, ParamMinShare, 0.5, SeedHunan, "随机抽查时间不得少于50%"},
	{InspectionSampling, ParamMaxShare, 1.0 / 3, SeedShandong, "原则上不超过总数的三分之一"},
	{InspectionComprehensiveCap, ParamMax, 1, SeedShandong, "综合性督查检查考核原则上每年不超过1次"},
	{InspectionAppraisalCap, ParamMax, 2, SeedShandong, "观摩评比性质的督查检查考核原则上每年不超过2次"},
	{DocumentLength, ParamMaxPages, 10, SeedZhejiang, "政策性文件正文篇幅原則上控制在10頁之內"},
	{FormMultiplePerIssuer, ParamMax, 1, SeedZhejiang, "省直各單位實行一個單位(系統)一張數據報表"},
}

// baselinePins are the baseline years (只减不增) the regulations name; the
// Shandong and Jilin texts name none, and their packs count from 2024 as
// Hunan's neighbours do (docs/rules.md).
var baselinePins = []struct {
	province string
	year     int
	seed     string
	phrase   string
}{
	{"43", 2024, SeedHunan, "各类督查事项以2024年统筹规范后的数量为基数,做到只减不增"},
	{"33", 2019, SeedZhejiang, "比2019年只減不增"},
	{"37", 2024, "", ""},
	{"22", 2024, "", ""},
}

func TestShippedPacksFollowTheRegulations(t *testing.T) {
	packs, err := ShippedPacks()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range baselinePins {
		pk := packs.For(b.province)
		if pk.Province != b.province || pk.BaselineYear != b.year {
			t.Errorf("pack %s: province %q baseline %d, want %d", b.province, pk.Province, pk.BaselineYear, b.year)
		}
		checkPhrase(t, b.seed, b.phrase)
		for _, p := range regulationPins {
			rc, ok := pk.Rule(p.rule)
			if !ok || !rc.Enabled || rc.Param(p.param) != p.value {
				t.Errorf("pack %s: %s.%s = %v (enabled %v), want %v as %s states", b.province, p.rule, p.param,
					rc.Param(p.param), rc.Enabled, p.value, p.seed)
			}
		}
		if !pk.Enabled(InspectionCodeInvalid) {
			t.Errorf("pack %s: %s off", b.province, InspectionCodeInvalid)
		}
	}
	for _, p := range regulationPins {
		checkPhrase(t, p.seed, p.phrase)
	}
}

// checkPhrase checks that the seed text states phrase.
func checkPhrase(t *testing.T, seed, phrase string) {
	t.Helper()
	if seed == "" {
		return
	}
	text, err := os.ReadFile(filepath.Join(seedsDir, seed))
	if os.IsNotExist(err) {
		t.Logf("%s not found; phrase not checked", seed)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(text), phrase) {
		t.Errorf("%s does not state %q", seed, phrase)
	}
}
