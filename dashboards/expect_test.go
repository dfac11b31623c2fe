package dashboards

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// expectations are the rows each panel must return on the fixture, keyed
// by "dashboard uid/panel title". Time series rows are (t ms, series,
// value), sorted.
func expectations() map[string][][]string {
	want := map[string][][]string{}
	provinceExpectations(want)
	countyExpectations(want)
	ruleExpectations(want)
	healthExpectations(want)
	liveExpectations(want)
	return want
}

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func monthMS(m int) string { return ms(time.Date(2025, time.Month(m), 1, 0, 0, 0, 0, cst)) }

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func sorted(rows [][]string) [][]string {
	sort.Slice(rows, func(i, j int) bool { return strings.Join(rows[i], "\x00") < strings.Join(rows[j], "\x00") })
	return rows
}

// The province-43 counties of the fixture and the months in range.
var (
	province43 = fixtureCounties[:2]
	inRange    = []int{2, 3}
)

func provinceExpectations(want map[string][][]string) {
	sum := func(id string) string {
		var s float64
		for _, c := range province43 {
			for _, m := range inRange {
				s += indicatorValue(c.index, m, id)
			}
		}
		return num(s)
	}
	want[UIDProvince+"/本期概况"] = [][]string{{"2", sum("documents"), sum("meetings"), sum("inspections"), sum("violations")}}
	var ranking [][]string
	for i := len(province43) - 1; i >= 0; i-- { // higher index, higher burden
		c := province43[i]
		ranking = append(ranking, []string{c.name, c.code,
			num(indicatorValue(c.index, 3, "burden_index")),
			num(indicatorValue(c.index, 3, "documents_quota_used") * 100),
			num(indicatorValue(c.index, 3, "meetings_quota_used") * 100),
			num(indicatorValue(c.index, 2, "violations") + indicatorValue(c.index, 3, "violations"))})
	}
	want[UIDProvince+"/观测点负担指数排名"] = ranking
	for title, id := range map[string]string{
		"负担指数月度趋势": "burden_index", "违规数月度趋势": "violations",
		"发文配额使用率（年累计）": "documents_quota_used", "会议配额使用率（年累计）": "meetings_quota_used",
		"收文数月度趋势": "documents", "会议数月度趋势": "meetings", "督查检查考核数月度趋势": "inspections",
	} {
		var rows [][]string
		for _, c := range province43 {
			for _, m := range inRange {
				rows = append(rows, []string{monthMS(m), c.name, num(indicatorValue(c.index, m, id))})
			}
		}
		want[UIDProvince+"/"+title] = sorted(rows)
	}
}

func countyExpectations(want map[string][][]string) {
	want[UIDCounty+"/规则检查结果"] = [][]string{
		{"2025-03", "inspection.uncoded", "违规", "省应急管理厅", "1", "0", "HN 一.2", "e2, e2b"},
		{"2025-02", "document.length", "违规", "省发改委", "12", "10", "ZJ 5", "e1, e1b"},
	}
	for _, g := range indicatorGroups() {
		for _, ind := range g.indicators {
			var rows [][]string
			for _, m := range inRange {
				v := indicatorValue(1, m, ind.id)
				rows = append(rows, []string{monthMS(m), "当月", num(v)})
				if hasYTD(ind.id) {
					rows = append(rows, []string{monthMS(m), "年累计", num(v * 10)})
				}
			}
			want[UIDCounty+"/"+ind.title] = sorted(rows)
		}
	}
}

func ruleExpectations(want map[string][][]string) {
	want[UIDRules+"/各规则结果数"] = [][]string{
		{"document.length", "1", "0"}, {"document.upward_report", "0", "1"}, {"inspection.uncoded", "1", "0"},
		{"meeting.no_meeting_day", "0", "1"},
	}
	want[UIDRules+"/各责任单位结果数"] = [][]string{{"省发改委", "1", "1"}, {"（未注明）", "0", "1"}, {"省应急管理厅", "1", "0"}}
	want[UIDRules+"/每月规则结果数"] = sorted([][]string{
		{monthMS(2), "违规", "1"}, {monthMS(3), "提醒", "2"}, {monthMS(3), "违规", "1"},
	})
	want[UIDRules+"/规则检查明细"] = [][]string{
		{"天心区", "2025-03", "document.upward_report", "提醒", "省发改委", "1", "0", "ZJ 6", "e3, e3b"},
		{"芙蓉区", "2025-03", "inspection.uncoded", "违规", "省应急管理厅", "1", "0", "HN 一.2", "e2, e2b"},
		{"天心区", "2025-03", "meeting.no_meeting_day", "提醒", "（未注明）", "1", "0", "HN 二", "m1, m1b"},
		{"芙蓉区", "2025-02", "document.length", "违规", "省发改委", "12", "10", "ZJ 5", "e1, e1b"},
	}
}

func healthExpectations(want map[string][][]string) {
	minute := func(s string) string { return ms(at(s)) }
	want[UIDHealth+"/接入概况"] = [][]string{{"5", "210", "9", minute("2025-03-01 10:01:10")}}
	want[UIDHealth+"/消费积压（每分钟最大值）"] = sorted([][]string{
		{minute("2025-03-01 10:00:00"), "burden.events / burdenwatch", "50"},
		{minute("2025-03-01 10:01:00"), "burden.events / burdenwatch", "5"},
	})
	want[UIDHealth+"/吞吐量（每分钟平均，条/秒）"] = sorted([][]string{
		{minute("2025-03-01 10:00:00"), "事件/秒", "3"}, {minute("2025-03-01 10:00:00"), "死信/秒", "0.1"},
		{minute("2025-03-01 10:01:00"), "事件/秒", "0.5"}, {minute("2025-03-01 10:01:00"), "死信/秒", "0.05"},
	})
	want[UIDHealth+"/死信原因分布"] = [][]string{{"bad_json", "2"}, {"unknown_county", "1"}}
	want[UIDHealth+"/最近死信"] = [][]string{
		{"2025-03-01 10:01:00", "burden.events", "1", "9", "bad_json", "payload", "不是合法的 JSON", `{"bad":9`},
		{"2025-03-01 10:00:20", "burden.events", "1", "8", "unknown_county", "payload", "county_code 不是观测点", `{"bad":8`},
		{"2025-03-01 10:00:10", "burden.events", "1", "7", "bad_json", "payload", "不是合法的 JSON", `{"bad":7`},
	}
}

func liveExpectations(want map[string][][]string) {
	want[UIDProvince+"/预警与超限"] = [][]string{
		{"超限", "芙蓉区", "documents.quota", "30", "24", "40", "2025-03", "2025-03-05 10:00:00"},
		{"预警", "天心区", "meetings.quota", "10", "12", "15", "2025-02", "2025-03-05 10:00:00"},
	}
	day := func(s string) string { return ms(at(s + " 00:00:00")) }
	want[UIDProvince+"/每日扫码次数"] = sorted([][]string{
		{day("2025-03-01"), "可以接受", "1"}, {day("2025-03-01"), "可不予配合", "1"}, {day("2025-03-02"), "可不予配合", "1"},
	})
	want[UIDProvince+"/可不予配合的原因"] = [][]string{
		{"未登记的督查编码（registered）", "2"}, {"近期督查扎堆（crowding，仅提醒）", "1"}, {"超过到同一单位的次数上限（visit_cap）", "1"},
	}
}
