package alert

import "github.com/burdenwatch/burdenwatch/rules"

// ParamsFromPack returns the alert parameters of a province's rule pack:
// the max of inspection.comprehensive_cap and inspection.appraisal_cap (0,
// scope off, when the pack disables the rule) and the baseline year. A pack
// without rules means the central defaults, as in rules.Evaluate.
func ParamsFromPack(p rules.Pack) Params {
	if len(p.Rules) == 0 {
		p.Rules = rules.DefaultPack().Rules
	}
	capOf := func(id string) int {
		r, ok := p.Rule(id)
		if !ok || !r.Enabled {
			return 0
		}
		return int(r.Param(rules.ParamMax))
	}
	return Params{
		ComprehensiveCap: capOf(rules.InspectionComprehensiveCap),
		AppraisalCap:     capOf(rules.InspectionAppraisalCap),
		BaselineYear:     p.BaselineYear,
	}
}
