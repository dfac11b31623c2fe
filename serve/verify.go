package serve

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/rules"
)

// Check ids of SPEC §8.2, in the order they are reported.
const (
	CheckRegistered     = "registered"
	CheckValidPeriod    = "valid_period"
	CheckTarget         = "target"
	CheckPlanned        = "planned"
	CheckVisitCap       = "visit_cap"
	CheckNoMeetingMonth = "no_meeting_month"
	CheckExempt         = "exempt"
	CheckCrowding       = "crowding"
)

// CheckIDs lists every check in report order.
var CheckIDs = []string{CheckRegistered, CheckValidPeriod, CheckTarget, CheckPlanned,
	CheckVisitCap, CheckNoMeetingMonth, CheckExempt, CheckCrowding}

// Query is one verify request: the code shown, the bearing unit that
// scans it and the moment of the scan.
type Query struct {
	Code string
	Unit string
	At   time.Time
}

// Check is the outcome of one check of SPEC §8.2.
type Check struct {
	ID       string `json:"id"`
	OK       bool   `json:"ok"`
	Reason   string `json:"reason"`
	Citation string `json:"citation"`
	// Refuse is true for checks whose failure allows refusing (all but
	// crowding, which only warns).
	Refuse bool `json:"refuse"`
	// Skipped is true when the check could not be evaluated because the
	// code is not registered for the year; it then counts as not passed.
	Skipped bool `json:"skipped,omitempty"`
}

// CodeInfo is the registry entry of the code as answered.
type CodeInfo struct {
	Year         int      `json:"year"`
	Code         string   `json:"inspection_code"`
	ProvinceCode string   `json:"province_code"`
	PlanCode     string   `json:"plan_code"`
	PlanTitle    string   `json:"plan_title,omitempty"`
	Category     string   `json:"category,omitempty"`
	IssuerCode   string   `json:"issuer_code"`
	IssuerName   string   `json:"issuer_name,omitempty"`
	Title        string   `json:"title"`
	ValidFrom    string   `json:"valid_from"`
	ValidTo      string   `json:"valid_to"`
	Counties     []string `json:"counties"`
}

// UnitInfo describes the bearing unit.
type UnitInfo struct {
	Code         string `json:"code"`
	Level        string `json:"level"`
	CountyCode   string `json:"county_code"`
	CountyName   string `json:"county_name"`
	ProvinceCode string `json:"province_code"`
}

// Visits is the visit count of the plan item to the unit before the scan
// in its year, and the plan's cap (nil = no cap).
type Visits struct {
	Made int  `json:"made"`
	Cap  *int `json:"cap"`
}

// Answer is the verify answer of SPEC §8.2.
type Answer struct {
	Verdict bw.Verdict `json:"verdict"`
	Code    *CodeInfo  `json:"code"`
	Unit    UnitInfo   `json:"unit"`
	At      string     `json:"at"`
	Visits  Visits     `json:"visits"`
	Checks  []Check    `json:"checks"`
}

// Failed returns the ids of the checks that did not pass and were
// evaluated (the reasons stored with a scan).
func (a *Answer) Failed() []string {
	var out []string
	for _, c := range a.Checks {
		if !c.OK && !c.Skipped {
			out = append(out, c.ID)
		}
	}
	return out
}

// InputError is a malformed verify parameter; its message names the
// parameter and the value.
type InputError struct {
	Param string
	Value string
	Msg   string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("参数 %s = %q 无效：%s", e.Param, e.Value, e.Msg)
}

// ParseQuery validates the raw parameters of a verify request against the
// reference data: code 1–64 characters of A-Z a-z 0-9 . _ : -; unit a
// 6-, 9- or 12-digit code inside an observation county (as SPEC §2 checks
// county_code and unit_code); at RFC 3339, now when empty.
func ParseQuery(r *Reference, code, unit, at string, now time.Time, loc *time.Location) (Query, error) {
	q := Query{Code: code, Unit: unit}
	if code == "" {
		return q, &InputError{"code", code, "缺少督查编码"}
	}
	if !validCode(code) {
		return q, &InputError{"code", truncate(code, 80), "督查编码应为 1–64 位字母、数字或 . _ : -"}
	}
	if err := checkUnit(r, unit); err != nil {
		return q, err
	}
	if at == "" {
		q.At = now.In(loc)
		return q, nil
	}
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return q, &InputError{"at", truncate(at, 80), "时间应为 RFC 3339 格式，如 2025-05-06T09:30:00+08:00"}
	}
	q.At = t.In(loc)
	return q, nil
}

func checkUnit(r *Reference, unit string) error {
	switch {
	case unit == "":
		return &InputError{"unit", unit, "缺少单位代码（6 位县级代码，或 9/12 位乡镇、村代码）"}
	case !digits(unit) || (len(unit) != 6 && len(unit) != 9 && len(unit) != 12):
		return &InputError{"unit", truncate(unit, 80), "单位代码应为 6 位县级代码，或 9/12 位乡镇、村统计区划代码"}
	}
	if _, ok := r.points[unit[:6]]; !ok {
		return &InputError{"unit", unit, "所在县 " + unit[:6] + " 不是基层减负观测点"}
	}
	return nil
}

func validCode(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Verify answers q from the index: every check of SPEC §8.2 and the
// verdict. It reads the index under its read lock and does no I/O. q must
// have passed ParseQuery.
func (ix *Index) Verify(q Query) Answer {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	v := verifier{ix: ix, r: ix.ref, q: q, loc: q.At.Location()}
	return v.run()
}

// verifier holds the state of one Verify.
type verifier struct {
	ix    *Index
	r     *Reference
	q     Query
	loc   *time.Location
	year  int
	point bw.ObservationPoint
	pack  *provinceRules
	entry *bw.InspectionCode
	item  *bw.PlanItem
}

func (v *verifier) run() Answer {
	v.year = v.q.At.Year()
	v.point = v.r.points[v.q.Unit[:6]]
	v.pack = v.r.rulesFor(v.point.ProvinceCode)
	var years []int
	v.entry, years = v.r.entry(v.q.Code, v.year)
	if v.entry != nil {
		if p, ok := v.r.plan[planKey{v.year, v.entry.IssuerCode, v.entry.PlanCode}]; ok {
			v.item = &p
		}
	}
	a := Answer{Unit: v.unitInfo(), At: v.q.At.Format(time.RFC3339), Code: v.codeInfo()}
	made, capacity := v.visits()
	a.Visits = Visits{Made: made, Cap: capacity}
	a.Checks = []Check{
		v.registered(years), v.validPeriod(), v.target(), v.planned(),
		v.visitCap(made, capacity), v.noMeetingMonth(), v.exempt(), v.crowding(),
	}
	a.Verdict = bw.VerdictAccept
	for _, c := range a.Checks {
		if c.Refuse && !c.OK {
			a.Verdict = bw.VerdictMayRefuse
		}
	}
	return a
}

func (v *verifier) unitInfo() UnitInfo {
	level := map[int]string{6: string(bw.LevelCounty), 9: string(bw.LevelTownship), 12: string(bw.LevelVillage)}[len(v.q.Unit)]
	return UnitInfo{Code: v.q.Unit, Level: level, CountyCode: v.point.CountyCode,
		CountyName: v.point.CountyName, ProvinceCode: v.point.ProvinceCode}
}

func (v *verifier) codeInfo() *CodeInfo {
	e := v.entry
	if e == nil {
		return nil
	}
	c := &CodeInfo{Year: e.Year, Code: e.Code, ProvinceCode: e.ProvinceCode, PlanCode: e.PlanCode,
		IssuerCode: e.IssuerCode, IssuerName: v.ix.issuerNames[e.IssuerCode], Title: e.Title,
		ValidFrom: day(e.ValidFrom), ValidTo: day(e.ValidTo), Counties: append([]string{}, e.Counties...)}
	if v.item != nil {
		c.PlanTitle, c.Category = v.item.Title, v.item.Category
	}
	return c
}

func day(t time.Time) string { return t.Format("2006-01-02") }

// citation returns the citation text of rule id in the unit's pack, or
// fallback's when the pack does not know id.
func (v *verifier) citation(id string, fallback ...string) string {
	if c, ok := v.pack.cites[id]; ok {
		return c
	}
	for _, r := range fallback {
		if c, ok := v.pack.cites[r]; ok {
			return c
		}
	}
	return ""
}

// codeCitation cites HN 一.2 (一事一码) for the registry checks.
func (v *verifier) codeCitation() string {
	return v.citation("inspection.code_invalid", rules.InspectionUncoded)
}

func refuse(id string, ok bool, reason, citation string) Check {
	return Check{ID: id, OK: ok, Reason: reason, Citation: citation, Refuse: true}
}

func (v *verifier) skipped(id, what, citation string) Check {
	return Check{ID: id, Reason: "编码 " + v.q.Code + " 未在 " + strconv.Itoa(v.year) + " 年度赋码清单中登记，无法核对" + what,
		Citation: citation, Refuse: true, Skipped: true}
}

func (v *verifier) registered(otherYears []int) Check {
	cite := v.codeCitation()
	y := strconv.Itoa(v.year)
	if v.entry != nil {
		return refuse(CheckRegistered, true, fmt.Sprintf("编码 %s 已在 %s 年度督查赋码清单中登记（%s）", v.q.Code, y, v.entry.Title), cite)
	}
	reason := fmt.Sprintf("编码 %s 未在 %s 年度督查赋码清单中登记", v.q.Code, y)
	if len(otherYears) > 0 {
		ys := make([]string, len(otherYears))
		for i, oy := range otherYears {
			ys[i] = strconv.Itoa(oy)
		}
		reason += "（仅登记于 " + strings.Join(ys, "、") + " 年度）"
	}
	return refuse(CheckRegistered, false, reason, cite)
}

func (v *verifier) validPeriod() Check {
	cite := v.codeCitation()
	if v.entry == nil {
		return v.skipped(CheckValidPeriod, "有效期", cite)
	}
	from := time.Date(v.entry.ValidFrom.Year(), v.entry.ValidFrom.Month(), v.entry.ValidFrom.Day(), 0, 0, 0, 0, v.loc)
	to := time.Date(v.entry.ValidTo.Year(), v.entry.ValidTo.Month(), v.entry.ValidTo.Day()+1, 0, 0, 0, 0, v.loc)
	ok := !v.q.At.Before(from) && v.q.At.Before(to)
	verb := "在"
	if !ok {
		verb = "不在"
	}
	return refuse(CheckValidPeriod, ok, fmt.Sprintf("核验时间 %s %s编码有效期 %s 至 %s 内",
		v.q.At.Format("2006-01-02 15:04"), verb, day(v.entry.ValidFrom), day(v.entry.ValidTo)), cite)
}

func (v *verifier) countyName() string {
	return v.point.CountyCode + "（" + v.point.CountyName + "）"
}

func (v *verifier) target() Check {
	cite := v.codeCitation()
	if v.entry == nil {
		return v.skipped(CheckTarget, "督查对象", cite)
	}
	county := v.point.CountyCode
	if len(v.entry.Counties) == 0 {
		ok := v.entry.ProvinceCode == "" || v.entry.ProvinceCode == v.point.ProvinceCode
		if ok {
			return refuse(CheckTarget, true, "该编码未限定督查对象县，本单位所在县 "+v.countyName()+"在其省份范围内", cite)
		}
		return refuse(CheckTarget, false, fmt.Sprintf("该编码登记于省份 %s，本单位所在县 %s 属省份 %s，不在督查对象范围内",
			v.entry.ProvinceCode, v.countyName(), v.point.ProvinceCode), cite)
	}
	list := strings.Join(v.entry.Counties, "、")
	for _, c := range v.entry.Counties {
		if c == county {
			return refuse(CheckTarget, true, "本单位所在县 "+v.countyName()+"在该编码的督查对象县（"+list+"）之中", cite)
		}
	}
	return refuse(CheckTarget, false, "本单位所在县 "+v.countyName()+"不在该编码的督查对象县（"+list+"）之中", cite)
}

func (v *verifier) planned() Check {
	cite := v.citation(rules.InspectionUnplanned)
	if v.entry == nil {
		return v.skipped(CheckPlanned, "督查计划", cite)
	}
	y := strconv.Itoa(v.year)
	if v.item != nil {
		return refuse(CheckPlanned, true, fmt.Sprintf("计划项目 %s（%s）在 %s 的 %s 年度督查计划清单中",
			v.entry.PlanCode, v.item.Title, v.issuer(), y), cite)
	}
	return refuse(CheckPlanned, false, fmt.Sprintf("计划项目 %s 不在 %s 的 %s 年度督查计划清单中",
		v.entry.PlanCode, v.issuer(), y), cite)
}

func (v *verifier) issuer() string {
	if n := v.ix.issuerNames[v.entry.IssuerCode]; n != "" {
		return n + "（" + v.entry.IssuerCode + "）"
	}
	return v.entry.IssuerCode
}

// visits counts, as inspection.visit_cap does, the inspections of the
// entry's plan item by its issuer to the unit, here those before the scan
// in the scan's year; and returns the plan's cap (nil = none).
func (v *verifier) visits() (int, *int) {
	if v.entry == nil {
		return 0, nil
	}
	start := time.Date(v.year, 1, 1, 0, 0, 0, 0, v.loc).Unix()
	made := len(between(v.ix.visits[visitKey{v.entry.IssuerCode, v.entry.PlanCode, v.q.Unit}], start, v.q.At.Unix()))
	if v.item == nil || v.item.MaxVisitsPerUnit <= 0 {
		return made, nil
	}
	c := v.item.MaxVisitsPerUnit
	return made, &c
}

func (v *verifier) visitCap(made int, capacity *int) Check {
	cite := v.citation(rules.InspectionVisitCap)
	if v.entry == nil {
		return v.skipped(CheckVisitCap, "督查频次", cite)
	}
	y := strconv.Itoa(v.year)
	if capacity == nil {
		return refuse(CheckVisitCap, true, fmt.Sprintf("该计划项目 %s 年度已到本单位 %s 督查 %d 次，计划清单未设频次上限", y, v.q.Unit, made), cite)
	}
	if made >= *capacity {
		return refuse(CheckVisitCap, false, fmt.Sprintf("该计划项目 %s 年度已到本单位 %s 督查 %d 次，已达每单位上限 %d 次，再次督查超出频次限制",
			y, v.q.Unit, made, *capacity), cite)
	}
	return refuse(CheckVisitCap, true, fmt.Sprintf("该计划项目 %s 年度已到本单位 %s 督查 %d 次，每单位上限 %d 次，本次为第 %d 次",
		y, v.q.Unit, made, *capacity, made+1), cite)
}

func (v *verifier) provinceName() string {
	if n := v.r.provinceNames[v.point.ProvinceCode]; n != "" {
		return n
	}
	return "省份 " + v.point.ProvinceCode
}

func (v *verifier) noMeetingMonth() Check {
	cite := v.citation(rules.InspectionNoMeetingMonth)
	m := v.q.At.Format("2006年1月")
	if v.r.noMeetingMonth[v.point.ProvinceCode][v.year*100+int(v.q.At.Month())] {
		return refuse(CheckNoMeetingMonth, false, m+" 是"+v.provinceName()+"“无会月”，原则上不得开展实地督查检查考核", cite)
	}
	return refuse(CheckNoMeetingMonth, true, m+" 不是"+v.provinceName()+"“无会月”", cite)
}

func (v *verifier) exempt() Check {
	cite := v.citation(rules.InspectionExemptCounty)
	if v.entry == nil {
		return v.skipped(CheckExempt, "免督查", cite)
	}
	y := strconv.Itoa(v.year)
	if v.item == nil {
		return refuse(CheckExempt, true, "计划清单中无此项目，无法确定督查类别；本项按未涉及免督查处理", cite)
	}
	reason, exempt := v.r.exempt[yearCounty{v.year, v.point.CountyCode}]
	if v.item.Category != "comprehensive" {
		return refuse(CheckExempt, true, "该项目为"+categoryName(v.item.Category)+"，不是综合性督查，不涉及免督查", cite)
	}
	if exempt {
		return refuse(CheckExempt, false, fmt.Sprintf("本单位所在县 %s%s 年度免于综合性督查（%s）", v.countyName(), y, reason), cite)
	}
	return refuse(CheckExempt, true, fmt.Sprintf("综合性督查；本单位所在县 %s不在 %s 年度免督查名单中", v.countyName(), y), cite)
}

func categoryName(c string) string {
	if n, ok := map[string]string{"comprehensive": "综合性督查", "special": "专项督查", "appraisal": "观摩评比",
		"research": "调研", "routine": "日常检查"}[c]; ok {
		return n
	}
	return c
}

// crowding counts, with the province pack's inspection.crowding
// parameters, the on-site inspections by other issuers than the entry's on
// the unit's county in the D calendar days before the scan (day − D … the
// scan's moment, as the rule's window), and warns when they come from
// K − 1 or more issuers.
func (v *verifier) crowding() Check {
	cite := v.citation(rules.InspectionCrowding)
	if !v.pack.crowding {
		return Check{ID: CheckCrowding, OK: true, Reason: v.provinceName() + "规则包未启用扎堆检查", Citation: cite}
	}
	k, d := v.pack.k, v.pack.d
	y, m, dd := v.q.At.Date()
	from := time.Date(y, m, dd-d, 0, 0, 0, 0, v.loc).Unix()
	own := ""
	if v.entry != nil {
		own = v.entry.IssuerCode
	}
	var issuers []string
	n := 0
	for _, s := range between(v.ix.onSite[v.point.CountyCode], from, v.q.At.Unix()) {
		if s.issuer != own {
			if !slices.Contains(issuers, s.issuer) {
				issuers = append(issuers, s.issuer)
			}
			n++
		}
	}
	okk := len(issuers) < k-1
	reason := fmt.Sprintf("前 %d 天内其他 %d 个单位到本县 %s实地督查检查 %d 次", d, len(issuers), v.countyName(), n)
	if okk {
		reason += fmt.Sprintf("，未达扎堆提示线（%d 个单位）", k-1)
	} else {
		reason += fmt.Sprintf("，达到扎堆提示线（%d 个单位），请督查组统筹安排（仅提示，不影响是否配合）", k-1)
	}
	return Check{ID: CheckCrowding, OK: okk, Reason: reason, Citation: cite}
}
