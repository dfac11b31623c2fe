// Package rules checks the provinces' burden-reduction regulations (SPEC §5)
// against one province-year of deduplicated events.
//
// The rules themselves are code (one check per rule id, listed by Catalog);
// which rules apply in a province, with what parameters and citations, is
// data: a rule pack file per province (see LoadPacks). Evaluate runs a pack
// over columnar.Events and returns the results sorted by county, rule and
// scope. Every result carries a stable Scope key, so re-evaluating a year
// replaces earlier results instead of adding to them.
package rules

import (
	"strings"

	bw "github.com/burdenwatch/burdenwatch"
)

// ScopeKind says what one result of a rule stands for.
type ScopeKind string

// Scope kinds of SPEC §5.
const (
	ScopeEvent              ScopeKind = "event"                 // one result per offending event
	ScopeIssuerCountyYear   ScopeKind = "issuer×county×year"    // aggregate per issuer, county and year
	ScopeIssuerPlanUnitYear ScopeKind = "issuer×plan×unit×year" // aggregate per plan item and bearing unit
	ScopeCountyYear         ScopeKind = "county×year"           // aggregate per county and year
	ScopeCountyWindow       ScopeKind = "county×window"         // one result per inspection closing a crowded window
)

// Seed files of the regulation texts (shared/seeds).
const (
	SeedHunan    = "000_41b96235f6a46a2b.txt" // 湖南 无扰督查若干措施 (2024)
	SeedShandong = "001_b53232500d8a8d17.txt" // 山东 统筹规范督查检查考核具体措施32条 (2018)
	SeedJilin    = "002_ecc8a7bf9bc02654.txt" // 吉林 吉政办明电〔2018〕49号
	SeedZhejiang = "003_2e0efb4cb93086e6.txt" // 浙江 为基层减负若干措施40条 (2020)
	SeedPractice = "004_787fca5203d8c2f2.txt" // 衡阳、嘉禾、长沙 无扰督查 practice reports (2025)
)

// Titles of the regulations as cited (Simplified Chinese).
const (
	titleHunan    = "湖南《关于全面推行无扰督查进一步提高抓落实质量和效果的若干措施》"
	titleShandong = "山东《关于统筹规范全省督查检查考核工作的具体措施》"
	titleJilin    = "吉林《关于进一步规范政府督查工作的通知》（吉政办明电〔2018〕49号）"
	titleZhejiang = "浙江《关于持续解决形式主义突出问题为基层减负的若干措施》"
	titlePractice = "新华社《湖南探索“无扰督查”深化基层减负》（2025年5月23日，长沙实践）"
)

// Citation names the regulation clause a rule encodes: the seed file and
// the clause text in Simplified Chinese, starting with the regulation.
type Citation struct {
	Seed string `json:"seed"` // file name under shared/seeds
	Text string `json:"text"` // e.g. 湖南《…若干措施》一、1 无计划不督
}

// ParamSpec describes one numeric parameter of a rule.
type ParamSpec struct {
	Name    string  // key in the pack's "params" object
	Default float64 // value when the pack does not set it
	Min     float64 // smallest allowed value
	Max     float64 // largest allowed value
	Integer bool    // the value must be a whole number
	Doc     string  // meaning, English
}

// RuleInfo describes one rule: identity, Chinese display name, default
// severity, scope, parameters and citations.
type RuleInfo struct {
	ID        string
	Name      string // 中文名称
	Check     string // what is checked, English
	Severity  bw.Severity
	Scope     ScopeKind
	Limit     string // the default limit in words (parameters or reference data)
	Params    []ParamSpec
	Citations []Citation
}

// CitationText joins the citations' texts with "；", the form stored in
// Violation.Citation.
func CitationText(cs []Citation) string {
	texts := make([]string, len(cs))
	for i, c := range cs {
		texts[i] = c.Text
	}
	return strings.Join(texts, "；")
}

// Rule ids (SPEC §5).
const (
	InspectionUnplanned             = "inspection.unplanned"
	InspectionUncoded               = "inspection.uncoded"
	InspectionUnapproved            = "inspection.unapproved"
	InspectionTooSoon               = "inspection.too_soon"
	InspectionVisitCap              = "inspection.visit_cap"
	InspectionCovertShare           = "inspection.covert_share"
	InspectionPrincipalAccompanied  = "inspection.principal_accompanied"
	InspectionCrowding              = "inspection.crowding"
	InspectionSampling              = "inspection.sampling"
	InspectionComprehensiveCap      = "inspection.comprehensive_cap"
	InspectionAppraisalCap          = "inspection.appraisal_cap"
	InspectionNoMeetingMonth        = "inspection.no_meeting_month"
	InspectionExemptCounty          = "inspection.exempt_county"
	InspectionAccountability        = "inspection.accountability"
	InspectionComprehensiveMaterial = "inspection.comprehensive_material"
	InspectionYoY                   = "inspection.yoy"
	DocumentQuota                   = "document.quota"
	DocumentYoY                     = "document.yoy"
	DocumentLength                  = "document.length"
	DocumentUpwardReport            = "document.upward_report"
	DocumentCascade                 = "document.cascade"
	MeetingQuota                    = "meeting.quota"
	MeetingNoMeetingDay             = "meeting.no_meeting_day"
	MeetingCascade                  = "meeting.cascade"
	VetoUnlisted                    = "veto.unlisted"
	VetoByProvinceDept              = "veto.by_province_dept"
	FormDuplicate                   = "form.duplicate"
	FormMultiplePerIssuer           = "form.multiple_per_issuer"
	FormUnapprovedSurvey            = "form.unapproved_survey"
	InspectionCodeInvalid           = "inspection.code_invalid"
)

// Parameter names.
const (
	ParamDays     = "days"      // inspection.too_soon
	ParamMinShare = "min_share" // inspection.covert_share
	ParamK        = "k"         // inspection.crowding
	ParamD        = "d"         // inspection.crowding
	ParamMaxShare = "max_share" // inspection.sampling
	ParamMax      = "max"       // caps: comprehensive_cap, appraisal_cap, form.multiple_per_issuer
	ParamMaxPages = "max_pages" // document.length
)

func hn(clause string) Citation { return Citation{SeedHunan, titleHunan + clause} }
func sd(clause string) Citation { return Citation{SeedShandong, titleShandong + clause} }
func jl(clause string) Citation { return Citation{SeedJilin, titleJilin + clause} }
func zj(clause string) Citation { return Citation{SeedZhejiang, titleZhejiang + clause} }

// Clause citations shared by several rules.
var (
	hn11 = hn("一、1 无计划不督（实行年度计划管理，未列入计划清单的事项不得开展督查；以2024年统筹规范后的数量为基数，只减不增）")
	jl1  = jl("一、切实加强立项管理，进一步规范政府督查活动")
	zj3  = zj("第3条 严格执行发文配额管理，发文数量控制在配额之内，比2019年只减不增")
	zj7  = zj("第7条 严格落实会议配额管理制度，执行“周三无会日”等制度，会议数量比2019年只减不增")
	zj18 = zj("第18条 严格执行统计调查项目审批制度，省直各单位实行一个单位（系统）一张数据报表")
	sd7  = sd("第7条 综合性督查检查考核原则上每年不超过1次，观摩评比性质的督查检查考核原则上每年不超过2次")
)

var catalog = []RuleInfo{
	{ID: InspectionUnplanned, Name: "计划外督查", Severity: bw.SeverityViolation, Scope: ScopeEvent,
		Check: "inspection with no plan code, or a code not in the issuer's plan for the year", Limit: "年度计划清单",
		Citations: []Citation{hn11, sd("第5条 实行年度计划和审批报备制度"), jl1}},
	{ID: InspectionUncoded, Name: "未赋码督查", Severity: bw.SeverityViolation, Scope: ScopeEvent,
		Check: "inspection with no inspection_code", Limit: "—",
		Citations: []Citation{hn("一、2 无程序不督（嵌入督查赋码程序，实行“一事一码”）")}},
	{ID: InspectionUnapproved, Name: "未经立项报批督查", Severity: bw.SeverityViolation, Scope: ScopeEvent,
		Check: "approved = false", Limit: "—",
		Citations: []Citation{jl1, sd("第6条 不得自行设置以下级党委和政府为对象的督查检查考核项目，确需开展的要一事一报")}},
	{ID: InspectionTooSoon, Name: "刚部署就督查", Severity: bw.SeverityViolation, Scope: ScopeEvent,
		Check: "inspection within N days after its deployment document", Limit: "30天",
		Params: []ParamSpec{{Name: ParamDays, Default: 30, Min: 1, Max: 366, Integer: true,
			Doc: "calendar days after the deployment document within which an inspection is too soon"}},
		Citations: []Citation{hn("五、不准任性督查（不得刚安排就开展督查督导、刚部署就催报贯彻落实情况）"),
			sd("第14条 不能工作刚安排就督查检查、刚部署就进行考核")}},
	{ID: InspectionVisitCap, Name: "超频次督查", Severity: bw.SeverityViolation, Scope: ScopeIssuerPlanUnitYear,
		Check: "visits of one plan item to one bearing unit in a year above max_visits_per_unit", Limit: "计划清单 max_visits_per_unit",
		Citations: []Citation{{SeedPractice, titlePractice + " 扫码查看是否超出接受督查频次限制，超频次的可直接拒绝"}}},
	{ID: InspectionCovertShare, Name: "暗访比例不足", Severity: bw.SeverityViolation, Scope: ScopeIssuerCountyYear,
		Check: "an issuer's on-site grassroots inspections of one county in a year: covert share below the limit", Limit: "50%",
		Params: []ParamSpec{{Name: ParamMinShare, Default: 0.5, Min: 0, Max: 1,
			Doc: "smallest allowed share of covert (四不两直) inspections"}},
		Citations: []Citation{hn("三、可暗访不许明查（面向基层的督查检查一般以暗访为主，“四不两直”检查和随机抽查时间不得少于50%）")}},
	{ID: InspectionPrincipalAccompanied, Name: "主要负责同志陪同", Severity: bw.SeverityViolation, Scope: ScopeEvent,
		Check: "principal leader accompanied", Limit: "—",
		Citations: []Citation{hn("三、无必要不许陪同（主要领导不陪）"),
			sd("第23条 被督查检查考核单位的主要负责同志一般不参加汇报或陪同")}},
	{ID: InspectionCrowding, Name: "督查扎堆", Severity: bw.SeverityViolation, Scope: ScopeCountyWindow,
		Check: "≥ K on-site inspections from different issuers on one county within D days", Limit: "D=7天内 K=2个督查主体",
		Params: []ParamSpec{
			{Name: ParamK, Default: 2, Min: 2, Max: 100, Integer: true, Doc: "distinct issuers that make a crowd"},
			{Name: ParamD, Default: 7, Min: 0, Max: 366, Integer: true, Doc: "days before the inspection that the window reaches back"}},
		Citations: []Citation{hn("三、要统筹不许扎堆（避免集中扎堆，防止多头轮番开展）"),
			sd("第8条 不得在同一地方、同一时段内开展内容相似度、关联度高的系列性督查检查考核活动"),
			jl("三、优化方式方法，提高督查效率（实地督查能合尽合、能并尽并，一般不搞单独督查）")}},
	{ID: InspectionSampling, Name: "抽查比例超标", Severity: bw.SeverityViolation, Scope: ScopeEvent,
		Check: "sampled_units > 1/3 × total_units", Limit: "1/3",
		Params: []ParamSpec{{Name: ParamMaxShare, Default: 1.0 / 3, Min: 0, Max: 1,
			Doc: "largest allowed share of sampled units; a string \"n/d\" is accepted"}},
		Citations: []Citation{sd("第10条 确需实地开展的，应当以抽查为主，每个项目的被抽查对象原则上不超过总数的三分之一")}},
	{ID: InspectionComprehensiveCap, Name: "综合性督查超次数", Severity: bw.SeverityViolation, Scope: ScopeIssuerCountyYear,
		Check: "comprehensive inspections by one issuer on one county in a year above the cap", Limit: "每年1次",
		Params: []ParamSpec{{Name: ParamMax, Default: 1, Min: 0, Max: 1000, Integer: true,
			Doc: "largest allowed number per issuer, county and year"}},
		Citations: []Citation{sd7}},
	{ID: InspectionAppraisalCap, Name: "观摩评比超次数", Severity: bw.SeverityViolation, Scope: ScopeIssuerCountyYear,
		Check: "appraisal inspections by one issuer on one county in a year above the cap", Limit: "每年2次",
		Params: []ParamSpec{{Name: ParamMax, Default: 2, Min: 0, Max: 1000, Integer: true,
			Doc: "largest allowed number per issuer, county and year"}},
		Citations: []Citation{sd7}},
	{ID: InspectionNoMeetingMonth, Name: "无会月实地督查", Severity: bw.SeverityViolation, Scope: ScopeEvent,
		Check: "on-site inspection in a no-meeting month of the province calendar", Limit: "calendar.csv no_meeting_month",
		Citations: []Citation{sd("第4条 “无会月”期间原则上不得开展实地督查检查考核活动")}},
	{ID: InspectionExemptCounty, Name: "对免督查县开展综合督查", Severity: bw.SeverityViolation, Scope: ScopeEvent,
		Check: "comprehensive inspection of a county exempt that year", Limit: "exemptions.csv",
		Citations: []Citation{sd("第29条 受到省政府经济社会发展综合督查表扬的市、县（市、区），在下一年度综合督查中“免督查”")}},
	{ID: InspectionAccountability, Name: "直接提出问责要求", Severity: bw.SeverityViolation, Scope: ScopeEvent,
		Check: "accountability_demanded", Limit: "—",
		Citations: []Citation{sd("第27条 严禁上一级督查检查考核组直接向下一级提出问责建议、问责要求")}},
	{ID: InspectionComprehensiveMaterial, Name: "索要综合性材料", Severity: bw.SeverityViolation, Scope: ScopeEvent,
		Check: "a comprehensive material (综合性材料) demanded", Limit: "—",
		Citations: []Citation{hn("二、不查无必要的资料材料（一般不要求提供综合性材料）")}},
	{ID: InspectionYoY, Name: "督查数量超基数", Severity: bw.SeverityWarning, Scope: ScopeCountyYear,
		Check: "year-to-date inspections above the baseline year's whole-year count (只减不增)", Limit: "baselines.csv",
		Citations: []Citation{hn11}},
	{ID: DocumentQuota, Name: "发文超配额", Severity: bw.SeverityViolation, Scope: ScopeCountyYear,
		Check: "year-to-date documents above the annual quota", Limit: "quotas.csv",
		Citations: []Citation{zj3}},
	{ID: DocumentYoY, Name: "发文数量超基数", Severity: bw.SeverityViolation, Scope: ScopeCountyYear,
		Check: "year-to-date documents above the baseline year's whole-year count (只减不增)", Limit: "baselines.csv",
		Citations: []Citation{zj3}},
	{ID: DocumentLength, Name: "文件篇幅超长", Severity: bw.SeverityViolation, Scope: ScopeEvent,
		Check: "policy document body above the page limit", Limit: "10页",
		Params: []ParamSpec{{Name: ParamMaxPages, Default: 10, Min: 1, Max: 10000, Integer: true,
			Doc: "largest allowed body pages of a policy document"}},
		Citations: []Citation{zj("第5条 政策性文件正文篇幅原则上控制在10页之内")}},
	{ID: DocumentUpwardReport, Name: "要求向上报文", Severity: bw.SeverityWarning, Scope: ScopeEvent,
		Check: "document requires a written report back", Limit: "—",
		Citations: []Citation{zj("第6条 严格限定要求下级向上级报文的范围，一般不得要求下级向上级报文")}},
	{ID: DocumentCascade, Name: "要求层层配套发文", Severity: bw.SeverityViolation, Scope: ScopeEvent,
		Check: "document requires supporting documents (层层配套)", Limit: "—",
		Citations: []Citation{zj("第4条 整治超对象范围发文、层层配套、照搬照抄等问题")}},
	{ID: MeetingQuota, Name: "会议超配额", Severity: bw.SeverityViolation, Scope: ScopeCountyYear,
		Check: "year-to-date meetings above the annual quota", Limit: "quotas.csv",
		Citations: []Citation{zj7}},
	{ID: MeetingNoMeetingDay, Name: "无会日开会", Severity: bw.SeverityViolation, Scope: ScopeEvent,
		Check: "meeting on the province's no-meeting weekday", Limit: "calendar.csv no_meeting_weekday",
		Citations: []Citation{zj7}},
	{ID: MeetingCascade, Name: "要求层层开会", Severity: bw.SeverityViolation, Scope: ScopeEvent,
		Check: "meeting requires lower levels to hold matching meetings", Limit: "—",
		Citations: []Citation{zj("第8条 加大会议统筹力度，避免层层开会、扎堆开会")}},
	{ID: VetoUnlisted, Name: "清单外“一票否决”", Severity: bw.SeverityViolation, Scope: ScopeEvent,
		Check: "a veto item not in the province's approved veto list", Limit: "veto_list.csv",
		Citations: []Citation{zj("第21条 “一票否决”事项实行清单化管理，一律不得新设立“一票否决”事项"),
			zj("第22条 省直单位不得对市县设置或变相设置“一票否决”事项")}},
	{ID: VetoByProvinceDept, Name: "省直部门对市县设“一票否决”", Severity: bw.SeverityViolation, Scope: ScopeEvent,
		Check: "a province-level department sets a veto item on a county", Limit: "—",
		Citations: []Citation{zj("第22条 省直单位不得对市县设置或变相设置“一票否决”和责任状（书）签订事项")}},
	{ID: FormDuplicate, Name: "重复填报数据", Severity: bw.SeverityViolation, Scope: ScopeEvent,
		Check: "form asks again for data already submitted (duplicate_fields > 0)", Limit: "—",
		Citations: []Citation{zj("第17条 部门所需基础数据除动态调整外“最多报一次”，避免基层重复填报相同数据")}},
	{ID: FormMultiplePerIssuer, Name: "一个单位多张报表", Severity: bw.SeverityViolation, Scope: ScopeIssuerCountyYear,
		Check: "one issuer sends more distinct form_ids than the cap to one county in a year", Limit: "每年1张",
		Params: []ParamSpec{{Name: ParamMax, Default: 1, Min: 1, Max: 1000, Integer: true,
			Doc: "largest allowed number of distinct forms per issuer, county and year"}},
		Citations: []Citation{zj18}},
	{ID: FormUnapprovedSurvey, Name: "未经审批的统计调查报表", Severity: bw.SeverityViolation, Scope: ScopeEvent,
		Check: "form not an approved statistical survey item", Limit: "—",
		Citations: []Citation{zj18}},
	{ID: InspectionCodeInvalid, Name: "督查码信息不符", Severity: bw.SeverityViolation, Scope: ScopeEvent,
		Check: "non-empty inspection_code not in the province-year's registry (value 1), or its entry names another " +
			"issuer (2) or plan code (3), or occurred_at outside the entry's validity (4); only where a registry is loaded",
		Limit:     "inspection_codes.csv",
		Citations: []Citation{hn("一、2 无程序不督（实行“一事一码”，接受督查时扫码验证，未经赋码或读码信息不符合有关要求的，有关地方和单位可不予配合）")}},
}

// IDs returns the id of every rule of SPEC §5, in catalog order: the one
// list of rule ids (the simulator and the report use it).
func IDs() []string {
	out := make([]string, len(catalog))
	for i, r := range catalog {
		out[i] = r.ID
	}
	return out
}

// Catalog returns every rule of SPEC §5 in a stable order, with its
// defaults. The slice is a copy; callers may keep or change it.
func Catalog() []RuleInfo {
	out := make([]RuleInfo, len(catalog))
	for i, r := range catalog {
		r.Params = append([]ParamSpec(nil), r.Params...)
		r.Citations = append([]Citation(nil), r.Citations...)
		out[i] = r
	}
	return out
}

// ruleInfo returns the catalog entry of id.
func ruleInfo(id string) (RuleInfo, bool) {
	for _, r := range catalog {
		if r.ID == id {
			return r, true
		}
	}
	return RuleInfo{}, false
}

// knownSeeds is the set of seed files a citation may name.
var knownSeeds = map[string]bool{
	SeedHunan: true, SeedShandong: true, SeedJilin: true, SeedZhejiang: true, SeedPractice: true,
}
