package sim

import (
	"maps"
	"testing"
)

// TestHighShares repeats the violation and decoding checks with a high
// violation share, more malformed messages and another seed.
func TestHighShares(t *testing.T) {
	f := mustFixture(t)
	for _, p := range provinces {
		cfg := testConfig(p, 2026)
		cfg.Seed, cfg.ViolationShare, cfg.MalformedShare = 2, 0.3, 0.05
		r := generate(t, cfg)
		if got := evaluate(r.final, f.ref, p, cfg.Year); !maps.Equal(got, r.stats.Violations) {
			t.Errorf("province %s: rule results differ from Stats.Violations:\n%s", p, diffCounts(got, r.stats.Violations))
		}
		if !maps.Equal(r.rejected, r.stats.MalformedByReason) {
			t.Errorf("province %s: decoder rejected %v, want %v", p, r.rejected, r.stats.MalformedByReason)
		}
		if k := r.stats.Violations[ruleCrowding]; k < 3 {
			t.Errorf("province %s: %d crowding results, want one in each of 3 counties", p, k)
		}
	}
}
