// Package sim simulates the burden events of one province-year: the
// documents, meetings, inspections and forms that land on the province's
// observation counties and their real townships and villages, published as
// Kafka messages in the wire format of SPEC §2.
//
// The simulation is realistic in volume, seasonality and content, and
// keeps every rule of SPEC §5 unless asked to break them (at Scale ≤ 1;
// above, the quotas and baselines are exceeded). With ViolationShare > 0
// it breaks every rule that the province's reference data lets apply; it
// also produces invalid messages of every kind the decoder rejects,
// redeliveries, corrected revisions and late events. Inspections show the
// 一事一码 of the code registry (inspection_codes.csv) when there is one,
// and with InvalidCodeShare > 0 some show invalid codes. Stats reports all
// of it, including the exact number of rule results the data should give.
// The same Seed (and Now, for a year in progress) gives the same bytes.
package sim

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/refdata"
)

// Config sets what Generate simulates.
type Config struct {
	Province string // 2-digit province code, e.g. "43"; required
	Year     int    // 0 means 2025
	Seed     int64

	// Scale multiplies the volumes; 0 means 1, the realistic volume. Above
	// 1 the quotas and baselines are exceeded (Stats.Violations counts
	// those results too) and most extra inspections are desk inspections,
	// since on-site ones must stay a week apart.
	Scale float64

	ViolationShare float64 // share of events made to break a rule of SPEC §5
	MalformedShare float64 // share of events followed by an invalid message
	DuplicateShare float64 // share of events redelivered byte-identical
	RevisionShare  float64 // share of events followed later by a corrected revision
	LateShare      float64 // share of events published 1–5 weeks after they occurred
	// InvalidCodeShare is the share of inspections that show an invalid
	// 一事一码 (inspection.code_invalid): a code not in the registry, the
	// code of another issuer's item, or their item's code outside its
	// validity, in about equal parts. It applies only where the reference
	// data has a code registry for the province-year.
	InvalidCodeShare float64

	// Now bounds the simulation: events lie on days before Now's day (in
	// Asia/Shanghai), so a year in progress is simulated up to yesterday.
	// The zero value means time.Now().
	Now time.Time
}

// DefaultConfig returns the recommended configuration for a province:
// year 2025, scale 1, 5 % violations, 1 % malformed messages, 1 %
// duplicates, 2 % revisions, 3 % late events and 3 % invalid inspection
// codes.
func DefaultConfig(province string) Config {
	return Config{
		Province: province, Year: 2025, Seed: 1, Scale: 1,
		ViolationShare: 0.05, MalformedShare: 0.01, DuplicateShare: 0.01, RevisionShare: 0.02, LateShare: 0.03,
		InvalidCodeShare: 0.03,
	}
}

// Message is one Kafka message: the key is the county code, so that a
// county's events keep their order within a partition. Generate never
// reuses or modifies a message's slices after emitting it, and the
// receiver must not modify them either (a duplicate shares its original's
// bytes).
type Message struct {
	Key, Value []byte
}

// Stats says what Generate produced.
type Stats struct {
	Events            int                      // distinct valid events (event_ids)
	ByKind            map[burdenwatch.Kind]int // distinct valid events by kind
	Malformed         int                      // invalid messages
	MalformedByReason map[string]int           // by burdenwatch.Reason* code the decoder gives
	Duplicates        int                      // byte-identical redeliveries
	Revisions         int                      // corrected revisions (revision 1)
	Late              int                      // events published 1–5 weeks after they occurred
	Messages          int                      // messages emitted, all included

	// Violations counts the rule results of SPEC §5 that the data should
	// produce, by rule id: offending events for event rules, scopes for
	// aggregate rules (issuer × county × year, county × year …), one per
	// crowded inspection for inspection.crowding. Quota and baseline rules
	// and form.multiple_per_issuer are counted from what was emitted.
	Violations map[string]int
	// InvalidCodes counts the inspections given an invalid code, by how
	// (InvalidUnknown …); their sum is Violations["inspection.code_invalid"].
	InvalidCodes map[string]int
}

// How an inspection's code is made invalid (Stats.InvalidCodes keys), in
// the order of the reasons of inspection.code_invalid.
const (
	InvalidUnknown     = "unknown"      // not in the registry
	InvalidOtherIssuer = "other_issuer" // the code of another issuer's plan item
	InvalidOtherPlan   = "other_plan"   // an unplanned inspection showing its issuer's item code
	InvalidExpired     = "expired"      // outside the code's validity
)

func newStats() Stats {
	return Stats{
		ByKind:            map[burdenwatch.Kind]int{},
		MalformedByReason: map[string]int{},
		Violations:        map[string]int{},
		InvalidCodes:      map[string]int{},
	}
}

// withDefaults validates cfg and fills in its defaults.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Year == 0 {
		cfg.Year = 2025
	}
	if cfg.Scale == 0 {
		cfg.Scale = 1
	}
	if cfg.Now.IsZero() {
		cfg.Now = time.Now()
	}
	var errs []error
	if len(cfg.Province) != 2 {
		errs = append(errs, fmt.Errorf("province %q: want a 2-digit code", cfg.Province))
	}
	if cfg.Year < 2000 || cfg.Year > 2100 {
		errs = append(errs, fmt.Errorf("year %d: want 2000–2100", cfg.Year))
	}
	if cfg.Scale < 0 || math.IsNaN(cfg.Scale) || math.IsInf(cfg.Scale, 0) {
		errs = append(errs, fmt.Errorf("scale %v: want a positive number", cfg.Scale))
	}
	shares := []struct {
		name string
		v    float64
	}{
		{"violation", cfg.ViolationShare}, {"malformed", cfg.MalformedShare}, {"duplicate", cfg.DuplicateShare},
		{"revision", cfg.RevisionShare}, {"late", cfg.LateShare}, {"invalid code", cfg.InvalidCodeShare},
	}
	for _, s := range shares {
		if !(s.v >= 0 && s.v <= 1) {
			errs = append(errs, fmt.Errorf("%s share %v: want 0–1", s.name, s.v))
		}
	}
	return cfg, errors.Join(errs...)
}

// Generate simulates cfg.Province in cfg.Year from the reference data and
// the issuers of issuers.csv, and passes every message to emit, roughly in
// time order. It stops at the first error of emit.
func Generate(ref *burdenwatch.ReferenceData, issuers []refdata.Issuer, cfg Config, emit func(Message) error) (Stats, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Stats{}, fmt.Errorf("simulate: %w", err)
	}
	divs, err := LoadDivisions()
	if err != nil {
		return Stats{}, fmt.Errorf("simulate: %w", err)
	}
	w, err := newWorld(ref, issuers, divs, cfg)
	if err != nil {
		return Stats{}, fmt.Errorf("simulate province %s, year %d: %w", cfg.Province, cfg.Year, err)
	}
	g := newGen(w, emit)
	w.planInspections(g.stats.Violations)
	if w.expired > 0 {
		g.stats.InvalidCodes[InvalidExpired] = w.expired
	}
	if err := g.run(); err != nil {
		return g.stats, fmt.Errorf("simulate province %s, year %d: %w", cfg.Province, cfg.Year, err)
	}
	w.countViolations(g.stats.Violations)
	return g.stats, nil
}

// planInspections plans every county's inspections, then plants the
// structural violations.
func (w *world) planInspections(v map[string]int) {
	seq := 0
	planners := make([]*planner, len(w.counties))
	for i, c := range w.counties {
		p := newPlanner(w, c, &seq)
		p.plan(c.inspTarget)
		c.sortInspections()
		p.assignModes()
		planners[i] = p
	}
	if w.cfg.ViolationShare > 0 {
		w.injectStructural(planners, v)
	}
	w.injectExpired(planners, v)
	for _, c := range w.counties {
		c.sortInspections()
	}
}
