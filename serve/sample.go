package serve

import (
	"sort"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
)

// Sample is one verify query picked from the loaded data, with its answer.
type Sample struct {
	Query  Query
	Answer Answer
}

// maxSampleUnits bounds the units tried per county when sampling.
const maxSampleUnits = 50

// Samples picks, from the registry and the units seen in inspection
// events, one query answered accept and one answered may_refuse (a visit
// cap reached when there is one), each at 10:00 on the middle day of the
// code's validity. A verdict with no example is missing from the result.
// It serves `make run`, which shows one of each on simulated data.
func (ix *Index) Samples(loc *time.Location) map[bw.Verdict]Sample {
	out := map[bw.Verdict]Sample{}
	ref := ix.Reference()
	codes := make([]string, 0, len(ref.codes))
	for c := range ref.codes {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, code := range codes {
		for _, e := range ref.codes[code] {
			if ix.sampleEntry(ref, e, loc, out) {
				return out
			}
		}
	}
	return out
}

// sampleEntry tries the units of entry e and reports whether both
// verdicts (the refusal by visit cap) have been found.
func (ix *Index) sampleEntry(ref *Reference, e *bw.InspectionCode, loc *time.Location, out map[bw.Verdict]Sample) bool {
	at := sampleTime(e, loc)
	for _, county := range ref.entryCounties(e) {
		if _, ok := ref.points[county]; !ok {
			continue
		}
		units := ix.Units(county)
		if len(units) > maxSampleUnits {
			units = units[:maxSampleUnits]
		}
		for _, u := range units {
			q := Query{Code: e.Code, Unit: u, At: at}
			a := ix.Verify(q)
			prev, seen := out[a.Verdict]
			byCap := a.Verdict == bw.VerdictMayRefuse && !check(a, CheckVisitCap).OK
			if !seen || (byCap && check(prev.Answer, CheckVisitCap).OK) {
				out[a.Verdict] = Sample{Query: q, Answer: a}
			}
			if r, ok := out[bw.VerdictMayRefuse]; ok && !check(r.Answer, CheckVisitCap).OK && out[bw.VerdictAccept].Query.Code != "" {
				return true
			}
		}
	}
	return false
}

// check returns the check id of a.
func check(a Answer, id string) Check {
	for _, c := range a.Checks {
		if c.ID == id {
			return c
		}
	}
	return Check{}
}

// SampleQueries returns up to n verify queries over the registry's codes
// and the units seen in events (round-robin over codes), each at the
// middle of its code's validity, with their answers: load for benchmarks.
func (ix *Index) SampleQueries(loc *time.Location, n int) []Sample {
	ref := ix.Reference()
	codes := make([]string, 0, len(ref.codes))
	for c := range ref.codes {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	var per [][]Query
	for _, code := range codes {
		for _, e := range ref.codes[code] {
			at := sampleTime(e, loc)
			var qs []Query
			for _, county := range ref.entryCounties(e) {
				for _, u := range ix.Units(county) {
					qs = append(qs, Query{Code: e.Code, Unit: u, At: at})
				}
			}
			if len(qs) > 0 {
				per = append(per, qs)
			}
		}
	}
	var out []Sample
	for i := 0; len(out) < n; i++ {
		added := false
		for _, qs := range per {
			if i < len(qs) && len(out) < n {
				out = append(out, Sample{Query: qs[i], Answer: ix.Verify(qs[i])})
				added = true
			}
		}
		if !added {
			break
		}
	}
	return out
}

// sampleTime is 10:00 on the middle day of the code's validity.
func sampleTime(e *bw.InspectionCode, loc *time.Location) time.Time {
	from := time.Date(e.ValidFrom.Year(), e.ValidFrom.Month(), e.ValidFrom.Day(), 10, 0, 0, 0, loc)
	days := int(e.ValidTo.Sub(e.ValidFrom).Hours() / 24)
	return from.AddDate(0, 0, days/2)
}
