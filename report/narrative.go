package report

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Narrative holds the report's sentences, in Chinese.
type Narrative struct {
	Overview   string // the month's headline figures with their changes
	YTD        string // year-to-date totals
	Pace       string // province-level over-baseline pace
	Ranking    string // heaviest county and largest changes
	Baseline   string // counties running ahead of the baseline
	Violations string // how many violations, how many issuers
	Warnings   string // the month's warnings, by rule
	Alerts     string // the early warnings (预警提示)
}

func narrative(m *Model) Narrative {
	return Narrative{
		Overview: overviewText(m), YTD: ytdText(m), Pace: paceText(m.Paces),
		Ranking: rankingText(m.Ranking), Baseline: baselineText(m.Baseline),
		Violations: violationsText(m), Warnings: warningsText(m.Warnings), Alerts: alertsText(m),
	}
}

func overviewText(m *Model) string {
	parts := make([]string, len(m.Figures))
	for i, f := range m.Figures {
		parts[i] = f.Verb + number(f.Month) + f.Unit + "，" + f.ChangeText()
	}
	return fmt.Sprintf("%s，全省%d个基层减负观测点共%s。", m.MonthLabel, m.Counties, strings.Join(parts, "；"))
}

func ytdText(m *Model) string {
	parts := make([]string, len(m.Figures))
	for i, f := range m.Figures {
		parts[i] = f.Verb + number(f.YTD) + f.Unit
	}
	return fmt.Sprintf("%d年%s累计%s。", m.Month.Year(), m.PeriodLabel, strings.Join(parts, "、"))
}

func paceText(ps []Pace) string {
	var labels, ratios []string
	for _, p := range ps {
		if !math.IsNaN(p.Ratio) {
			labels, ratios = append(labels, p.Label), append(ratios, fixed2(p.Ratio)+"倍")
		}
	}
	if len(labels) == 0 {
		return "各观测点尚无基数年数据，未测算超基数进度。"
	}
	return fmt.Sprintf("按基数年同期进度测算，全省%s累计数分别为基数进度的%s（大于1即快于基数年进度）。",
		strings.Join(labels, "、"), strings.Join(ratios, "、"))
}

func rankingText(rows []CountyRow) string {
	if len(rows) == 0 || rows[0].Rank == 0 {
		return "本月各观测点尚无负担指数。"
	}
	top := rows[0]
	s := fmt.Sprintf("按负担指数（0—100，数值越高负担越重）排序，本月负担最重的是%s（%s）", top.Name, fixed1(top.Index))
	if !math.IsNaN(top.PrevIndex) {
		s += "，较上月" + signed(top.IndexChange(), 1)
	}
	up, down := extremes(rows)
	if up != nil {
		s += fmt.Sprintf("；负担指数上升最多的是%s（%s）", up.Name, signed(up.IndexChange(), 1))
	}
	if down != nil {
		s += fmt.Sprintf("；下降最多的是%s（%s）", down.Name, signed(down.IndexChange(), 1))
	}
	return s + "。"
}

// extremes returns the rows with the largest rise and the largest fall of
// the burden index, nil where none rose or fell.
func extremes(rows []CountyRow) (up, down *CountyRow) {
	for i := range rows {
		d := rows[i].IndexChange()
		if math.IsNaN(d) {
			continue
		}
		if d > 0 && (up == nil || d > up.IndexChange()) {
			up = &rows[i]
		}
		if d < 0 && (down == nil || d < down.IndexChange()) {
			down = &rows[i]
		}
	}
	return up, down
}

func baselineText(rows []BaselineRow) string {
	parts := make([]string, len(paced))
	for i, p := range paced {
		var over []BaselineRow
		for _, r := range rows {
			if r.Cells[i].Over() {
				over = append(over, r)
			}
		}
		if len(over) == 0 {
			parts[i] = p.label + "累计数均未超出基数进度"
			continue
		}
		sort.SliceStable(over, func(a, b int) bool { return over[a].Cells[i].Ratio > over[b].Cells[i].Ratio })
		names := make([]string, len(over))
		for k, r := range over {
			c := r.Cells[i]
			names[k] = r.Name + "（" + fixed2(c.Ratio) + "倍"
			if !math.IsNaN(c.PrevRatio) {
				names[k] += "，较上月" + signed(c.RatioChange(), 2)
			}
			names[k] += "）"
		}
		parts[i] = fmt.Sprintf("%s累计数超出基数进度的观测点有%d个：%s", p.label, len(over), strings.Join(names, "、"))
	}
	return strings.Join(parts, "；") + "。"
}

func violationsText(m *Model) string {
	if m.Found == 0 {
		return "本月未发现违规问题。"
	}
	return fmt.Sprintf("本月共发现违规问题%d个，涉及%d个（类）单位，按单位逐项通报如下（“证据”为系统记录的事件编号）。",
		m.Found, len(m.Groups))
}

func warningsText(ws []RuleCount) string {
	if len(ws) == 0 {
		return ""
	}
	n := 0
	parts := make([]string, len(ws))
	for i, w := range ws {
		n += w.Count
		parts[i] = fmt.Sprintf("%s%d个", w.Name, w.Count)
	}
	return fmt.Sprintf("此外，本月有提醒事项%d个（%s），请有关单位注意改进。", n, strings.Join(parts, "，"))
}
