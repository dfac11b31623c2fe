package report

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
)

// AlertRow is one early warning (预警, SPEC §8.5) the report lists in its
// section 预警提示: a scope of a county near or over its limit by the
// report month, at its highest level.
type AlertRow struct {
	CountyCode, County string
	Level              bw.AlertLevel
	LevelText          string // 已超限 / 接近上限
	Scope              string
	Item               string // what is limited, in Chinese
	MonthText          string // the month first crossed, 2025年3月
	ValueText          string // the value when first crossed
	LimitText          string // the threshold it crossed
	ProjectedText      string // year-end value at the pace of the report month
}

// alertScopes describes the count scopes: the indicator whose
// year-to-date count they compare, the item and the unit.
var alertScopes = map[string]struct{ indicator, item, unit string }{
	"documents.quota":      {"documents", "发文配额", "件"},
	"meetings.quota":       {"meetings", "会议配额", "次"},
	"inspections.quota":    {"inspections", "督查检查考核配额", "次"},
	"documents.baseline":   {"documents", "发文较基数年（只减不增）", "件"},
	"meetings.baseline":    {"meetings", "会议较基数年（只减不增）", "次"},
	"inspections.baseline": {"inspections", "督查检查考核较基数年（只减不增）", "次"},
}

// CapsReached counts the visit-cap and issuer-cap scopes that reached
// their cap without exceeding it: the report counts them instead of
// listing them (with caps of 1 every first visit reaches its cap).
type CapsReached struct {
	Visits        int // visit_cap notices: the next visit of the item to the unit would exceed
	Comprehensive int // comprehensive_cap notices
	Appraisal     int // appraisal_cap notices
}

// Total is the number of scopes counted.
func (c CapsReached) Total() int { return c.Visits + c.Comprehensive + c.Appraisal }

// alertRows lists the alerts of the report year first crossed by month,
// one per county and scope (the breach when there is one), breaches
// first, then by county and scope; cap notices are only counted. Count
// scopes are projected from the report month's year-to-date indicator;
// visit and issuer caps keep the projection of their latest computation.
func alertRows(alerts []bw.Alert, ix indicatorIndex, counties []county, issuers map[string]string, month time.Time) ([]AlertRow, CapsReached) {
	names := map[string]string{}
	for _, c := range counties {
		names[c.code] = c.name
	}
	best := map[string]bw.Alert{}
	for _, a := range alerts {
		if _, ok := names[a.CountyCode]; !ok || a.Year != month.Year() || a.Month.After(month) {
			continue
		}
		k := a.CountyCode + " " + a.Scope
		if cur, ok := best[k]; !ok || (cur.Level == bw.AlertNotice && a.Level == bw.AlertBreach) {
			best[k] = a
		}
	}
	rows := make([]AlertRow, 0, len(best))
	var caps CapsReached
	for _, a := range best {
		if _, counted := alertScopes[a.Scope]; !counted && a.Level == bw.AlertNotice {
			switch strings.SplitN(a.Scope, ":", 2)[0] {
			case "visit_cap":
				caps.Visits++
			case "comprehensive_cap":
				caps.Comprehensive++
			default:
				caps.Appraisal++
			}
			continue
		}
		rows = append(rows, alertRow(a, ix, names[a.CountyCode], issuers, month))
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Level != b.Level {
			return a.Level == bw.AlertBreach
		}
		if a.CountyCode != b.CountyCode {
			return a.CountyCode < b.CountyCode
		}
		return a.Scope < b.Scope
	})
	return rows, caps
}

func alertRow(a bw.Alert, ix indicatorIndex, name string, issuers map[string]string, month time.Time) AlertRow {
	r := AlertRow{CountyCode: a.CountyCode, County: name, Level: a.Level, Scope: a.Scope,
		MonthText: fmt.Sprintf("%d年%d月", a.Month.Year(), int(a.Month.Month())), LevelText: "接近上限"}
	if a.Level == bw.AlertBreach {
		r.LevelText = "已超限"
	}
	if s, ok := alertScopes[a.Scope]; ok {
		r.Item = s.item
		r.ValueText, r.LimitText = number(a.Value)+s.unit, number(a.Limit)+s.unit
		if strings.HasSuffix(a.Scope, ".baseline") && a.Level == bw.AlertNotice {
			r.ValueText, r.LimitText = "进度"+fixed2(a.Value)+"倍", "进度"+fixed2(a.Limit)+"倍"
		}
		projected := a.Projected
		if ytd := ix.ytd(a.CountyCode, month, s.indicator); !math.IsNaN(ytd) {
			projected = ytd * 12 / float64(month.Month())
		}
		r.ProjectedText = number(math.Round(projected)) + s.unit
		return r
	}
	r.Item = capItem(a.Scope, issuers)
	r.ValueText, r.LimitText, r.ProjectedText = number(a.Value)+"次", number(a.Limit)+"次", number(math.Round(a.Projected))+"次"
	return r
}

// capItem says a visit-cap or issuer-cap scope in Chinese, naming the
// issuer when the report knows its name.
func capItem(scope string, issuers map[string]string) string {
	parts := strings.Split(scope, ":")
	name := func(code string) string {
		if n := issuers[code]; n != "" {
			return n
		}
		return code
	}
	switch {
	case parts[0] == "visit_cap" && len(parts) == 4:
		return fmt.Sprintf("%s计划事项%s对%s的检查频次", name(parts[1]), parts[2], parts[3])
	case parts[0] == "comprehensive_cap" && len(parts) == 2:
		return name(parts[1]) + "综合性督查检查次数"
	case parts[0] == "appraisal_cap" && len(parts) == 2:
		return name(parts[1]) + "观摩评比次数"
	}
	return scope
}

// issuerNames maps issuer codes to names from the month's rule results.
func issuerNames(results []Result) map[string]string {
	out := map[string]string{}
	for _, r := range results {
		if r.IssuerCode != "" && r.IssuerName != "" {
			out[r.IssuerCode] = r.IssuerName
		}
	}
	return out
}

// alertsText is the section's opening sentence.
func alertsText(m *Model) string {
	caps := ""
	if c := m.CapsReached; c.Total() > 0 {
		caps = fmt.Sprintf("另有%d项已达频次上限、再开展即超限（计划事项对基层单位的检查%d项、综合性督查检查%d项、观摩评比%d项），未逐项列出。",
			c.Total(), c.Visits, c.Comprehensive, c.Appraisal)
	}
	if len(m.Alerts) == 0 {
		return fmt.Sprintf("截至%s，各观测点均未超出或接近配额、基数和频次限额。", m.MonthLabel) + caps
	}
	counties := map[string]bool{}
	breaches := 0
	for _, r := range m.Alerts {
		counties[r.CountyCode] = true
		if r.Level == bw.AlertBreach {
			breaches++
		}
	}
	return fmt.Sprintf("截至%s，共有%d个观测点触及预警阈值，涉及%d项：已超限%d项、接近上限%d项。预计全年数按%s累计数的进度（累计数×12÷已过月数）测算，请有关地方和单位提前统筹、严格控制。",
		m.MonthLabel, len(counties), len(m.Alerts), breaches, len(m.Alerts)-breaches, m.PeriodLabel) + caps
}
