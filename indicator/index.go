package indicator

// IndexConfig configures the burden index (基层负担指数), a composite 0–100
// of five components. Each component x is divided by its reference level
// r (the load of an ordinary month), capped at Cap, and scaled to 0–1:
// score = min(x ÷ r, Cap) ÷ Cap. The index is 100 × Σ wᵢ·scoreᵢ ÷ Σ wᵢ.
// A county exactly at every reference level scores 100 ÷ Cap (50 with the
// default Cap 2); twice the reference level or more saturates a component.
// See docs/indicators.md.
type IndexConfig struct {
	// Weights of the components; negative weights count as 0.
	WeightDocuments   float64
	WeightMeetings    float64
	WeightInspections float64
	WeightForms       float64
	WeightViolations  float64

	// DocumentsPerMonth is the reference monthly number of documents when
	// the county has neither a document quota nor a baseline; otherwise
	// the reference is the quota (else the baseline count) ÷ 12.
	DocumentsPerMonth float64
	// MeetingHoursPerMonth is the reference meeting person-hours a month.
	MeetingHoursPerMonth float64
	// InspectionsPerMonth is the reference number of on-site plus
	// grassroots inspections a month (an on-site visit to a township
	// counts twice: it is both).
	InspectionsPerMonth float64
	// FormHoursPerMonth is the reference form-filling hours a month.
	FormHoursPerMonth float64
	// ViolationsPerMonth is the reference number of violations a month.
	ViolationsPerMonth float64
	// Cap is the multiple of the reference level at which a component
	// saturates; values ≤ 0 mean 2.
	Cap float64
}

// DefaultIndex is the burden index configuration documented in
// docs/indicators.md.
func DefaultIndex() IndexConfig {
	return IndexConfig{
		WeightDocuments: 0.25, WeightMeetings: 0.20, WeightInspections: 0.25, WeightForms: 0.15,
		WeightViolations:  0.15,
		DocumentsPerMonth: 200, MeetingHoursPerMonth: 400, InspectionsPerMonth: 8, FormHoursPerMonth: 40,
		ViolationsPerMonth: 4, Cap: 2,
	}
}

// burdenIndex is the index of the month, and of the average month so far
// (year-to-date components ÷ months elapsed) as ytd.
func burdenIndex(c *calc) (float64, float64) {
	m := float64(c.month)
	docRef := c.index.DocumentsPerMonth
	if q := c.quota.Documents; q != nil && *q > 0 {
		docRef = float64(*q) / 12
	} else if b := c.baseline.Documents; b != nil && *b > 0 {
		docRef = float64(*b) / 12
	}
	f := func(s *sums, i int) float64 { return float64(s[i]) }
	value := c.index.compose(docRef, f(c.m, sDocuments), f(c.m, sMeetingMinutes)/60, f(c.m, sOnsite)+f(c.m, sGrassroots),
		f(c.m, sFormMinutes)/60, f(c.m, sViolations))
	ytd := c.index.compose(docRef, f(c.y, sDocuments)/m, f(c.y, sMeetingMinutes)/60/m, (f(c.y, sOnsite)+f(c.y, sGrassroots))/m,
		f(c.y, sFormMinutes)/60/m, f(c.y, sViolations)/m)
	return value, ytd
}

func (ic IndexConfig) compose(docRef, docs, meetingHours, inspections, formHours, violations float64) float64 {
	parts := []struct{ w, x, ref float64 }{
		{ic.WeightDocuments, docs, docRef},
		{ic.WeightMeetings, meetingHours, ic.MeetingHoursPerMonth},
		{ic.WeightInspections, inspections, ic.InspectionsPerMonth},
		{ic.WeightForms, formHours, ic.FormHoursPerMonth},
		{ic.WeightViolations, violations, ic.ViolationsPerMonth},
	}
	capAt := ic.Cap
	if capAt <= 0 {
		capAt = 2
	}
	var sum, weights float64
	for _, p := range parts {
		if p.w <= 0 {
			continue
		}
		weights += p.w
		if p.ref > 0 {
			sum += p.w * min(p.x/p.ref, capAt) / capAt
		}
	}
	if weights == 0 {
		return 0
	}
	return 100 * sum / weights
}
