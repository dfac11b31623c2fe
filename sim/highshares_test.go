package sim

import (
	"maps"
	"testing"

	"github.com/burdenwatch/burdenwatch/rules"
)

// TestHighShares repeats the violation and decoding checks with a high
// violation share, more malformed messages and invalid codes, and another
// seed.
func TestHighShares(t *testing.T) {
	f := mustFixture(t)
	for _, p := range provinces {
		cfg := testConfig(p, 2026)
		cfg.Seed, cfg.ViolationShare, cfg.MalformedShare, cfg.InvalidCodeShare = 2, 0.3, 0.05, 0.2
		r := generate(t, cfg)
		got, res := evaluate(t, r.final, f.ref, p, cfg.Year)
		if !maps.Equal(got, r.stats.Violations) {
			t.Errorf("province %s: rule results differ from Stats.Violations:\n%s", p, diffCounts(got, r.stats.Violations))
		}
		if reasons := codeReasons(res); !maps.Equal(reasons, r.stats.InvalidCodes) {
			t.Errorf("province %s: code_invalid results by reason %v, injected %v", p, reasons, r.stats.InvalidCodes)
		}
		if !maps.Equal(r.rejected, r.stats.MalformedByReason) {
			t.Errorf("province %s: decoder rejected %v, want %v", p, r.rejected, r.stats.MalformedByReason)
		}
		if k := r.stats.Violations[rules.InspectionCrowding]; k < 3 {
			t.Errorf("province %s: %d crowding results, want one in each of 3 counties", p, k)
		}
	}
}
