package burdenwatch

// QuotasOf returns each county's annual quota (配额) of year, by county code.
// A nil r has none.
func (r *ReferenceData) QuotasOf(year int) map[string]Quota {
	out := map[string]Quota{}
	if r == nil {
		return out
	}
	for _, q := range r.Quotas {
		if q.Year == year {
			out[q.CountyCode] = q
		}
	}
	return out
}

// BaselinesFor returns, by county code, the baseline a county's year is
// compared with (只减不增): that of baselineYear when it is set, else that
// of the latest baseline year before year. Only years before year count.
// The indicators (`<x>_over_baseline`), the rules (`document.yoy`,
// `inspection.yoy`) and the early warnings all choose it here.
func (r *ReferenceData) BaselinesFor(year, baselineYear int) map[string]Baseline {
	out := map[string]Baseline{}
	if r == nil {
		return out
	}
	for _, b := range r.Baselines {
		if b.Year >= year || (baselineYear != 0 && b.Year != baselineYear) {
			continue
		}
		if cur, ok := out[b.CountyCode]; !ok || b.Year > cur.Year {
			out[b.CountyCode] = b
		}
	}
	return out
}
