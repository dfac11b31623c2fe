package report

import "github.com/burdenwatch/burdenwatch/rules"

// measure says how a rule result's value and limit read.
type measure int

const (
	measureNone  measure = iota // event rule: the event itself is the finding
	measureCount                // a count (times, documents, visits…)
	measureShare                // a share in [0, 1], shown as a percentage
	measureDays                 // days
	measurePages                // pages
)

// ruleMeasures says how each rule's value and limit read; rules not
// listed have no measure. Chinese rule names come from the rules package's
// Catalog.
var ruleMeasures = map[string]measure{
	"inspection.too_soon":          measureDays,
	"inspection.visit_cap":         measureCount,
	"inspection.covert_share":      measureShare,
	"inspection.crowding":          measureCount,
	"inspection.sampling":          measureShare,
	"inspection.comprehensive_cap": measureCount,
	"inspection.appraisal_cap":     measureCount,
	"inspection.yoy":               measureCount,
	"document.quota":               measureCount,
	"document.yoy":                 measureCount,
	"document.length":              measurePages,
	"meeting.quota":                measureCount,
	"form.duplicate":               measureCount,
	"form.multiple_per_issuer":     measureCount,
}

// provinceNames are the provincial-level divisions of GB/T 2260 by code.
var provinceNames = map[string]string{
	"11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
	"21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
	"31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
	"41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区", "46": "海南省",
	"50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
	"61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区", "65": "新疆维吾尔自治区",
}

// DefaultOffice is the issuing office of a province's report when none is
// configured: the office of the province's 整治形式主义为基层减负专项工作机制.
func DefaultOffice(province string) string {
	return provinceNames[province] + "整治形式主义为基层减负专项工作机制办公室"
}

// ruleNames maps rule ids to Chinese names: the rules catalog, then
// overrides on top.
func ruleNames(overrides map[string]string) map[string]string {
	out := map[string]string{}
	for _, r := range rules.Catalog() {
		out[r.ID] = r.Name
	}
	for id, n := range overrides {
		if n != "" {
			out[id] = n
		}
	}
	return out
}

// ruleName is the Chinese name of a rule, or its id when it has none.
func ruleName(id string, names map[string]string) string {
	if n := names[id]; n != "" {
		return n
	}
	return id
}
