package report

import (
	"sort"

	bw "github.com/burdenwatch/burdenwatch"
)

// noIssuer names the group of results whose scope has no single issuer
// (county-wide caps and baselines).
const noIssuer = "涉及多个单位的事项"

// issuerGroups groups the violations by issuer: most violations first,
// then by issuer name; findings by county and rule. It returns the groups
// and the number of violations.
func issuerGroups(results []Result, counties []county, names map[string]string) ([]IssuerGroup, int) {
	countyName := map[string]string{}
	for _, c := range counties {
		countyName[c.code] = c.name
	}
	byIssuer := map[string]*IssuerGroup{}
	var groups []*IssuerGroup
	n := 0
	for _, r := range results {
		if r.Severity != bw.SeverityViolation {
			continue
		}
		g := byIssuer[r.IssuerCode]
		if g == nil {
			g = &IssuerGroup{Code: r.IssuerCode, Name: issuerName(r)}
			byIssuer[r.IssuerCode] = g
			groups = append(groups, g)
		}
		g.Items = append(g.Items, finding(r, countyName, names))
		n++
	}
	out := make([]IssuerGroup, len(groups))
	for i, g := range groups {
		sortFindings(g.Items)
		out[i] = *g
	}
	sort.SliceStable(out, func(i, j int) bool {
		if len(out[i].Items) != len(out[j].Items) {
			return len(out[i].Items) > len(out[j].Items)
		}
		if (out[i].Code == "") != (out[j].Code == "") {
			return out[j].Code == "" // the group without an issuer last
		}
		return out[i].Name < out[j].Name
	})
	return out, n
}

func issuerName(r Result) string {
	switch {
	case r.IssuerName != "":
		return r.IssuerName
	case r.IssuerCode != "":
		return r.IssuerCode
	}
	return noIssuer
}

func finding(r Result, countyName map[string]string, names map[string]string) Finding {
	f := Finding{RuleID: r.RuleID, RuleName: ruleName(r.RuleID, names), CountyCode: r.CountyCode,
		County: countyName[r.CountyCode], Evidence: len(r.EventIDs), Citation: r.Citation}
	if f.County == "" {
		f.County = r.CountyCode
	}
	f.FirstEvents = r.EventIDs
	if len(f.FirstEvents) > firstEvents {
		f.FirstEvents = f.FirstEvents[:firstEvents]
	}
	f.ValueText, f.LimitText = measured(r, names)
	return f
}

// measured formats a result's value and limit by its rule's measure;
// names are the known rules.
func measured(r Result, names map[string]string) (value, limit string) {
	m, known := ruleMeasures[r.RuleID]
	if _, named := names[r.RuleID]; !known && !named && (r.Value != 0 || r.Limit != 0) {
		m = measureCount // a rule this package does not know: show its numbers
	}
	switch m {
	case measureShare:
		return percent(r.Value), percent(r.Limit)
	case measureDays:
		return number(r.Value) + "天", number(r.Limit) + "天"
	case measurePages:
		return number(r.Value) + "页", number(r.Limit) + "页"
	case measureCount:
		return number(r.Value), number(r.Limit)
	}
	return "—", "—"
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].CountyCode != fs[j].CountyCode {
			return fs[i].CountyCode < fs[j].CountyCode
		}
		return fs[i].RuleID < fs[j].RuleID
	})
}

// warnings counts the month's warnings by rule, most first.
func warnings(results []Result, names map[string]string) []RuleCount {
	count := map[string]int{}
	for _, r := range results {
		if r.Severity == bw.SeverityWarning {
			count[r.RuleID]++
		}
	}
	out := make([]RuleCount, 0, len(count))
	for id, n := range count {
		out = append(out, RuleCount{RuleID: id, Name: ruleName(id, names), Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].RuleID < out[j].RuleID
	})
	return out
}
