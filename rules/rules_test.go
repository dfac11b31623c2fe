package rules

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
)

// ruleCase is a scenario that triggers one rule, and one just under its
// limit that does not.
type ruleCase struct {
	rule    string
	trigger []bw.Event
	near    []bw.Event
	want    want              // of the first result (in output order) of the rule
	ref     *bw.ReferenceData // nil: testRef()
}

type want struct {
	n            int // results of the rule
	month        time.Month
	value, limit float64
	ids          []string
	issuer       string
}

// modify returns ev changed by f.
func modify(ev bw.Event, f func(*bw.Event)) bw.Event {
	f(&ev)
	return ev
}

func insp(id string, t time.Time, f func(*bw.Event)) bw.Event {
	return modify(cleanInspection(id, t), f)
}

func doc(id string, t time.Time, f func(*bw.Event)) bw.Event {
	return modify(cleanDocument(id, t), f)
}

func meet(id string, t time.Time, f func(*bw.Event)) bw.Event {
	return modify(cleanMeeting(id, t), f)
}

func form(id, formID string, t time.Time, f func(*bw.Event)) bw.Event {
	return modify(cleanForm(id, formID, t), f)
}

func keep(*bw.Event) {}

// onSiteGrassroots makes an on-site inspection of the township in mode.
func onSiteGrassroots(mode string) func(*bw.Event) {
	return func(e *bw.Event) {
		e.UnitCode, e.TargetLevel = township, bw.LevelTownship
		e.Inspection.OnSite, e.Inspection.Mode = true, mode
	}
}

func ruleCases() []ruleCase {
	mar := func(d int) time.Time { return at(2025, 3, d, 10) }
	onSite := func(issuer bw.Issuer) func(*bw.Event) {
		return func(e *bw.Event) { e.Issuer = issuer; e.Inspection.OnSite = true; e.Inspection.Mode = "overt" }
	}
	category := func(c string) func(*bw.Event) {
		return func(e *bw.Event) { e.Inspection.Category = c }
	}
	n := func(k int, mk func(i int) bw.Event) []bw.Event {
		out := make([]bw.Event, k)
		for i := range out {
			out[i] = mk(i)
		}
		return out
	}
	return []ruleCase{
		{rule: InspectionUnplanned,
			trigger: []bw.Event{insp("i1", mar(2), func(e *bw.Event) { e.Inspection.PlanCode = "" }),
				insp("i2", mar(3), func(e *bw.Event) { e.Inspection.PlanCode = "P9" })},
			near: []bw.Event{insp("i1", mar(2), keep)},
			want: want{n: 2, month: 3, value: 1, ids: []string{"i1"}, issuer: issuerA.Code}},
		{rule: InspectionUncoded,
			trigger: []bw.Event{insp("i1", mar(2), func(e *bw.Event) { e.Inspection.InspectionCode = "" })},
			near:    []bw.Event{insp("i1", mar(2), keep)},
			want:    want{n: 1, month: 3, value: 1, ids: []string{"i1"}, issuer: issuerA.Code}},
		{rule: InspectionUnapproved,
			trigger: []bw.Event{insp("i1", mar(2), func(e *bw.Event) { e.Inspection.Approved = false })},
			near:    []bw.Event{insp("i1", mar(2), keep)},
			want:    want{n: 1, month: 3, value: 1, ids: []string{"i1"}, issuer: issuerA.Code}},
		{rule: InspectionTooSoon,
			trigger: []bw.Event{doc("d1", at(2025, 3, 1, 9), keep),
				insp("i1", at(2025, 3, 31, 23), func(e *bw.Event) { e.Inspection.DeploymentDocID = "d1" })},
			near: []bw.Event{doc("d1", at(2025, 3, 1, 9), keep),
				insp("i1", at(2025, 4, 1, 8), func(e *bw.Event) { e.Inspection.DeploymentDocID = "d1" })},
			want: want{n: 1, month: 3, value: 30, limit: 30, ids: []string{"i1"}, issuer: issuerA.Code}},
		{rule: InspectionVisitCap,
			trigger: n(3, func(i int) bw.Event {
				return insp(fmt.Sprintf("v%d", i), at(2025, time.Month(2+2*i), 1, 9), func(e *bw.Event) {
					e.UnitCode, e.TargetLevel, e.Inspection.PlanCode = township, bw.LevelTownship, "PV"
				})
			}),
			near: append(n(2, func(i int) bw.Event {
				return insp(fmt.Sprintf("v%d", i), at(2025, time.Month(2+2*i), 1, 9), func(e *bw.Event) {
					e.UnitCode, e.TargetLevel, e.Inspection.PlanCode = township, bw.LevelTownship, "PV"
				})
			}), insp("v9", mar(9), func(e *bw.Event) { e.Inspection.PlanCode = "PV" })), // another bearing unit
			want: want{n: 1, month: 6, value: 3, limit: 2, ids: []string{"v0", "v1", "v2"}, issuer: issuerA.Code}},
		{rule: InspectionCovertShare,
			trigger: []bw.Event{insp("c1", at(2025, 1, 10, 9), onSiteGrassroots("overt")),
				insp("c2", at(2025, 2, 10, 9), onSiteGrassroots("covert")),
				insp("c3", at(2025, 3, 10, 9), onSiteGrassroots("overt"))},
			near: []bw.Event{insp("c1", at(2025, 1, 10, 9), onSiteGrassroots("overt")),
				insp("c2", at(2025, 2, 10, 9), onSiteGrassroots("covert")),
				insp("c3", at(2025, 3, 10, 9), func(e *bw.Event) { e.Inspection.OnSite = true; e.Inspection.Mode = "overt" })}, // county level
			want: want{n: 1, month: 3, value: 1.0 / 3, limit: 0.5, ids: []string{"c1", "c2", "c3"}, issuer: issuerA.Code}},
		{rule: InspectionPrincipalAccompanied,
			trigger: []bw.Event{insp("i1", mar(2), func(e *bw.Event) { e.Inspection.PrincipalAccompanied = true })},
			near:    []bw.Event{insp("i1", mar(2), func(e *bw.Event) { e.Inspection.Accompanying = 3 })},
			want:    want{n: 1, month: 3, value: 1, ids: []string{"i1"}, issuer: issuerA.Code}},
		{rule: InspectionCrowding,
			trigger: []bw.Event{insp("k1", at(2025, 3, 1, 9), onSite(issuerA)), insp("k2", at(2025, 3, 8, 20), onSite(issuerB))},
			near: []bw.Event{insp("k1", at(2025, 3, 1, 9), onSite(issuerA)), insp("k2", at(2025, 3, 9, 9), onSite(issuerB)),
				insp("k3", at(2025, 3, 10, 9), onSite(issuerB)),                           // same issuer as k2: not a crowd
				insp("k4", at(2025, 3, 10, 9), func(e *bw.Event) { e.Issuer = issuerC })}, // not on site
			want: want{n: 1, month: 3, value: 2, limit: 2, ids: []string{"k1", "k2"}, issuer: issuerB.Code}},
		{rule: InspectionSampling,
			trigger: []bw.Event{insp("i1", mar(2), func(e *bw.Event) { e.Inspection.SampledUnits, e.Inspection.TotalUnits = 4, 9 })},
			near:    []bw.Event{insp("i1", mar(2), func(e *bw.Event) { e.Inspection.SampledUnits, e.Inspection.TotalUnits = 3, 9 })},
			want:    want{n: 1, month: 3, value: 4.0 / 9, limit: 1.0 / 3, ids: []string{"i1"}, issuer: issuerA.Code}},
		{rule: InspectionComprehensiveCap,
			trigger: []bw.Event{insp("q1", mar(2), category("comprehensive")), insp("q2", at(2025, 5, 2, 9), category("comprehensive"))},
			near: []bw.Event{insp("q1", mar(2), category("comprehensive")),
				insp("q2", at(2025, 5, 2, 9), func(e *bw.Event) { e.Inspection.Category = "comprehensive"; e.Issuer = issuerB })},
			want: want{n: 1, month: 5, value: 2, limit: 1, ids: []string{"q1", "q2"}, issuer: issuerA.Code}},
		{rule: InspectionAppraisalCap,
			trigger: n(3, func(i int) bw.Event {
				return insp(fmt.Sprintf("a%d", i), at(2025, time.Month(10-i), 1, 9), category("appraisal"))
			}),
			near: n(2, func(i int) bw.Event {
				return insp(fmt.Sprintf("a%d", i), at(2025, time.Month(10-i), 1, 9), category("appraisal"))
			}),
			want: want{n: 1, month: 10, value: 3, limit: 2, ids: []string{"a0", "a1", "a2"}, issuer: issuerA.Code}},
		{rule: InspectionNoMeetingMonth,
			trigger: []bw.Event{insp("i1", at(2025, 8, 31, 23), onSite(issuerA))},
			near: []bw.Event{insp("i1", at(2025, 9, 1, 0), onSite(issuerA)),
				insp("i2", at(2025, 8, 15, 9), keep)}, // not on site
			want: want{n: 1, month: 8, value: 1, ids: []string{"i1"}, issuer: issuerA.Code}},
		{rule: InspectionExemptCounty,
			trigger: []bw.Event{insp("i1", mar(2), func(e *bw.Event) { e.CountyCode = county2; e.Inspection.Category = "comprehensive" })},
			near: []bw.Event{insp("i1", mar(2), func(e *bw.Event) { e.CountyCode = county2 }),
				insp("i2", mar(2), category("comprehensive"))},
			want: want{n: 1, month: 3, value: 1, ids: []string{"i1"}, issuer: issuerA.Code}},
		{rule: InspectionAccountability,
			trigger: []bw.Event{insp("i1", mar(2), func(e *bw.Event) { e.Inspection.AccountabilityDemanded = true })},
			near:    []bw.Event{insp("i1", mar(2), keep)},
			want:    want{n: 1, month: 3, value: 1, ids: []string{"i1"}, issuer: issuerA.Code}},
		{rule: InspectionComprehensiveMaterial,
			trigger: []bw.Event{insp("i1", mar(2), func(e *bw.Event) { e.Inspection.ComprehensiveMaterial = true })},
			near:    []bw.Event{insp("i1", mar(2), func(e *bw.Event) { e.Inspection.MaterialsRequested = 2 })},
			want:    want{n: 1, month: 3, value: 1, ids: []string{"i1"}, issuer: issuerA.Code}},
		{rule: InspectionYoY,
			trigger: n(6, func(i int) bw.Event {
				return insp(fmt.Sprintf("y%d", i), at(2025, time.Month(1+i), 3, 9), keep)
			}),
			near: n(5, func(i int) bw.Event {
				return insp(fmt.Sprintf("y%d", i), at(2025, time.Month(1+i), 3, 9), keep)
			}),
			want: want{n: 1, month: 6, value: 6, limit: 5, ids: []string{"y0", "y1", "y2", "y3", "y4", "y5"}}},
		{rule: DocumentQuota,
			trigger: n(4, func(i int) bw.Event {
				return doc(fmt.Sprintf("d%d", i), at(2025, time.Month(1+i), 3, 9), keep)
			}),
			near: n(3, func(i int) bw.Event {
				return doc(fmt.Sprintf("d%d", i), at(2025, time.Month(1+i), 3, 9), keep)
			}),
			want: want{n: 1, month: 4, value: 4, limit: 3, ids: []string{"d0", "d1", "d2", "d3"}}},
		{rule: DocumentYoY,
			trigger: n(5, func(i int) bw.Event {
				return doc(fmt.Sprintf("d%d", i), at(2025, time.Month(1+i), 3, 9), keep)
			}),
			near: n(4, func(i int) bw.Event {
				return doc(fmt.Sprintf("d%d", i), at(2025, time.Month(1+i), 3, 9), keep)
			}),
			want: want{n: 1, month: 5, value: 5, limit: 4, ids: []string{"d0", "d1", "d2", "d3", "d4"}}},
		{rule: DocumentLength,
			trigger: []bw.Event{doc("d1", mar(2), func(e *bw.Event) { e.Document.DocType, e.Document.Pages = "policy", 11 })},
			near: []bw.Event{doc("d1", mar(2), func(e *bw.Event) { e.Document.DocType, e.Document.Pages = "policy", 10 }),
				doc("d2", mar(2), func(e *bw.Event) { e.Document.DocType, e.Document.Pages = "plan", 40 })},
			want: want{n: 1, month: 3, value: 11, limit: 10, ids: []string{"d1"}, issuer: issuerA.Code}},
		{rule: DocumentUpwardReport,
			trigger: []bw.Event{doc("d1", mar(2), func(e *bw.Event) { e.Document.RequiresUpwardReport = true })},
			near:    []bw.Event{doc("d1", mar(2), keep)},
			want:    want{n: 1, month: 3, value: 1, ids: []string{"d1"}, issuer: issuerA.Code}},
		{rule: DocumentCascade,
			trigger: []bw.Event{doc("d1", mar(2), func(e *bw.Event) { e.Document.RequiresSupportingDocs = true })},
			near:    []bw.Event{doc("d1", mar(2), keep)},
			want:    want{n: 1, month: 3, value: 1, ids: []string{"d1"}, issuer: issuerA.Code}},
		{rule: MeetingQuota,
			trigger: n(3, func(i int) bw.Event {
				return meet(fmt.Sprintf("m%d", i), at(2025, time.Month(3+i), 4, 9), keep)
			}),
			near: n(2, func(i int) bw.Event {
				return meet(fmt.Sprintf("m%d", i), at(2025, time.Month(3+i), 4, 9), keep)
			}),
			want: want{n: 1, month: 5, value: 3, limit: 2, ids: []string{"m0", "m1", "m2"}}},
		{rule: MeetingNoMeetingDay, // 2025-03-05 is a Wednesday in Asia/Shanghai (Tuesday in UTC at 00:30)
			trigger: []bw.Event{meet("m1", time.Date(2025, 3, 5, 0, 30, 0, 0, shanghai), keep)},
			near:    []bw.Event{meet("m1", time.Date(2025, 3, 4, 23, 30, 0, 0, shanghai), keep)},
			want:    want{n: 1, month: 3, value: 1, ids: []string{"m1"}, issuer: issuerA.Code}},
		{rule: MeetingCascade,
			trigger: []bw.Event{meet("m1", mar(4), func(e *bw.Event) { e.Meeting.CascadeRequired = true })},
			near:    []bw.Event{meet("m1", mar(4), keep)},
			want:    want{n: 1, month: 3, value: 1, ids: []string{"m1"}, issuer: issuerA.Code}},
		{rule: VetoUnlisted,
			trigger: []bw.Event{doc("d1", mar(2), func(e *bw.Event) {
				e.Issuer, e.Document.VetoItems = issuerC, []string{"安全生产", "招商引资"}
			})},
			near: []bw.Event{doc("d1", mar(2), func(e *bw.Event) { e.Issuer, e.Document.VetoItems = issuerC, []string{"安全生产"} })},
			want: want{n: 1, month: 3, value: 1, ids: []string{"d1"}, issuer: issuerC.Code}},
		{rule: VetoByProvinceDept,
			trigger: []bw.Event{doc("d1", mar(2), func(e *bw.Event) { e.Document.VetoItems = []string{"安全生产"} })},
			near: []bw.Event{doc("d1", mar(2), func(e *bw.Event) { e.Issuer, e.Document.VetoItems = issuerC, []string{"安全生产"} }),
				doc("d2", mar(2), func(e *bw.Event) {
					e.Issuer = bw.Issuer{Code: "HN-ZF", Level: "province", Kind: "government"}
					e.Document.VetoItems = []string{"安全生产"}
				})},
			want: want{n: 1, month: 3, value: 1, ids: []string{"d1"}, issuer: issuerA.Code}},
		{rule: FormDuplicate,
			trigger: []bw.Event{form("f1", "F1", mar(2), func(e *bw.Event) { e.DataReport.DuplicateFields = 2 })},
			near:    []bw.Event{form("f1", "F1", mar(2), keep)},
			want:    want{n: 1, month: 3, value: 2, ids: []string{"f1"}, issuer: issuerA.Code}},
		{rule: FormMultiplePerIssuer,
			trigger: []bw.Event{form("f1", "F1", at(2025, 1, 5, 9), keep), form("f2", "F1", at(2025, 2, 5, 9), keep),
				form("f3", "F2", at(2025, 4, 5, 9), keep)},
			near: []bw.Event{form("f1", "F1", at(2025, 1, 5, 9), keep), form("f2", "F1", at(2025, 2, 5, 9), keep),
				form("f3", "F2", at(2025, 4, 5, 9), func(e *bw.Event) { e.Issuer = issuerB })},
			want: want{n: 1, month: 4, value: 2, limit: 1, ids: []string{"f1", "f2", "f3"}, issuer: issuerA.Code}},
		{rule: InspectionCodeInvalid, ref: registryRef(),
			trigger: []bw.Event{insp("i1", mar(2), func(e *bw.Event) { e.Inspection.InspectionCode = "HN-2025-0009" })},
			near:    []bw.Event{insp("i1", mar(2), func(e *bw.Event) { e.Inspection.InspectionCode = "HN-2025-0001" })},
			want:    want{n: 1, month: 3, value: 1, ids: []string{"i1"}, issuer: issuerA.Code}},
		{rule: FormUnapprovedSurvey,
			trigger: []bw.Event{form("f1", "F1", mar(2), func(e *bw.Event) { e.DataReport.ApprovedSurvey = false })},
			near:    []bw.Event{form("f1", "F1", mar(2), keep)},
			want:    want{n: 1, month: 3, value: 1, ids: []string{"f1"}, issuer: issuerA.Code}},
	}
}

func evaluate(t *testing.T, evs []bw.Event, batch int) []bw.Violation {
	t.Helper()
	return evaluateRef(t, evs, batch, testRef())
}

// evaluateRef evaluates the Hunan pack over evs of 43/2025 with ref.
func evaluateRef(t *testing.T, evs []bw.Event, batch int, ref *bw.ReferenceData) []bw.Violation {
	t.Helper()
	packs, err := ShippedPacks()
	if err != nil {
		t.Fatal(err)
	}
	vs, err := Evaluate(packs.For("43"), buildEvents(t, "43", 2025, evs, batch), ref, nil)
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func ofRule(vs []bw.Violation, rule string) []bw.Violation {
	var out []bw.Violation
	for _, v := range vs {
		if v.RuleID == rule {
			out = append(out, v)
		}
	}
	return out
}

func TestEveryRuleHasACase(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range ruleCases() {
		covered[c.rule] = true
	}
	for _, r := range Catalog() {
		if !covered[r.ID] {
			t.Errorf("rule %s has no test case", r.ID)
		}
	}
	if len(Catalog()) != 30 {
		t.Errorf("catalog has %d rules, SPEC §5 has 30", len(Catalog()))
	}
}

func TestRules(t *testing.T) {
	for _, c := range ruleCases() {
		t.Run(c.rule, func(t *testing.T) {
			ref := c.ref
			if ref == nil {
				ref = testRef()
			}
			got := ofRule(evaluateRef(t, c.trigger, 0, ref), c.rule)
			if len(got) != c.want.n {
				t.Fatalf("trigger: %d results, want %d: %+v", len(got), c.want.n, got)
			}
			checkResult(t, c, got[0])
			for _, v := range got {
				checkCommon(t, c.rule, v)
			}
			if near := ofRule(evaluateRef(t, c.near, 0, ref), c.rule); len(near) != 0 {
				t.Errorf("just under the limit: %d results, want none: %+v", len(near), near)
			}
		})
	}
}

func checkResult(t *testing.T, c ruleCase, v bw.Violation) {
	t.Helper()
	info, _ := ruleInfo(c.rule)
	if v.Severity != info.Severity {
		t.Errorf("severity %s, want %s", v.Severity, info.Severity)
	}
	if wantMonth := time.Date(2025, c.want.month, 1, 0, 0, 0, 0, shanghai); !v.Month.Equal(wantMonth) {
		t.Errorf("month %v, want %v", v.Month, wantMonth)
	}
	if math.Abs(v.Value-c.want.value) > 1e-9 || math.Abs(v.Limit-c.want.limit) > 1e-9 {
		t.Errorf("value/limit %v/%v, want %v/%v", v.Value, v.Limit, c.want.value, c.want.limit)
	}
	if !slices.Equal(v.EventIDs, c.want.ids) {
		t.Errorf("evidence %v, want %v", v.EventIDs, c.want.ids)
	}
	if v.IssuerCode != c.want.issuer {
		t.Errorf("issuer %q, want %q", v.IssuerCode, c.want.issuer)
	}
}

// checkCommon checks what every result of rule shares: severity, scope,
// county and the citation of the Hunan pack, literally for the rules
// whose Hunan clause is pinned in hunanCitations.
func checkCommon(t *testing.T, rule string, v bw.Violation) {
	t.Helper()
	info, _ := ruleInfo(rule)
	if v.RuleID != rule || v.Severity != info.Severity {
		t.Errorf("result of %s: rule %s severity %s, want %s", rule, v.RuleID, v.Severity, info.Severity)
	}
	if !strings.HasPrefix(v.Scope, "rule="+rule+";") || v.CountyCode == "" {
		t.Errorf("scope %q, county %q", v.Scope, v.CountyCode)
	}
	packs, err := ShippedPacks()
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := packs.For("43").Rule(rule)
	if v.Citation != rc.Citation() || v.Citation == "" {
		t.Errorf("citation %q, want the pack's %q", v.Citation, rc.Citation())
	}
	if want, ok := hunanCitations[rule]; ok && v.Citation != want {
		t.Errorf("citation %q, want %q", v.Citation, want)
	}
}

// hunanCitations are citations written out from the Hunan regulation
// (shared/seeds/000_41b96235f6a46a2b.txt), not derived from the catalog.
var hunanCitations = map[string]string{
	InspectionUncoded: "湖南《关于全面推行无扰督查进一步提高抓落实质量和效果的若干措施》一、2 无程序不督（嵌入督查赋码程序，实行“一事一码”）",
	InspectionCodeInvalid: "湖南《关于全面推行无扰督查进一步提高抓落实质量和效果的若干措施》一、2 无程序不督" +
		"（实行“一事一码”，接受督查时扫码验证，未经赋码或读码信息不符合有关要求的，有关地方和单位可不予配合）",
	InspectionComprehensiveMaterial: "湖南《关于全面推行无扰督查进一步提高抓落实质量和效果的若干措施》二、不查无必要的资料材料（一般不要求提供综合性材料）",
	InspectionCovertShare: "湖南《关于全面推行无扰督查进一步提高抓落实质量和效果的若干措施》三、可暗访不许明查" +
		"（面向基层的督查检查一般以暗访为主，“四不两直”检查和随机抽查时间不得少于50%）",
}

// allTriggers is every rule's trigger scenario, ids made unique per case.
func allTriggers() []bw.Event {
	var evs []bw.Event
	for i, c := range ruleCases() {
		for _, e := range c.trigger {
			e.ID = fmt.Sprintf("c%02d-%s", i, e.ID)
			if e.Inspection.DeploymentDocID != "" {
				e.Inspection.DeploymentDocID = fmt.Sprintf("c%02d-%s", i, e.Inspection.DeploymentDocID)
			}
			evs = append(evs, e)
		}
	}
	return evs
}

func TestDeterministicUnderShuffle(t *testing.T) {
	evs := allTriggers()
	base := evaluate(t, evs, 0)
	if len(base) == 0 {
		t.Fatal("no results")
	}
	for seed := int64(1); seed <= 5; seed++ {
		got := evaluate(t, shuffled(evs, seed), int(seed)+1)
		if !reflect.DeepEqual(got, base) {
			t.Fatalf("seed %d: results differ from the ordered run (%d vs %d results)", seed, len(got), len(base))
		}
	}
	for i := 1; i < len(base); i++ {
		a, b := base[i-1], base[i]
		if [3]string{a.CountyCode, a.RuleID, a.Scope} == [3]string{b.CountyCode, b.RuleID, b.Scope} {
			t.Errorf("duplicate scope %s", a.Scope)
		}
	}
}

func TestDisabledRuleAndZeroPack(t *testing.T) {
	evs := allTriggers()
	ev := buildEvents(t, "43", 2025, evs, 0)
	pk := DefaultPack()
	for i := range pk.Rules {
		if pk.Rules[i].ID == InspectionUncoded {
			pk.Rules[i].Enabled = false
		}
	}
	vs, err := Evaluate(pk, ev, testRef(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := ofRule(vs, InspectionUncoded); len(got) != 0 {
		t.Errorf("disabled rule gave %d results", len(got))
	}
	zero, err := Evaluate(Pack{}, ev, testRef(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ofRule(zero, InspectionUncoded)) == 0 {
		t.Error("zero Pack should mean the central defaults")
	}
}

func TestTooSoonLooksUpPreviousYearDocument(t *testing.T) {
	evs := []bw.Event{insp("i1", at(2025, 1, 10, 9), func(e *bw.Event) { e.Inspection.DeploymentDocID = "old" }),
		insp("i2", at(2025, 1, 10, 9), func(e *bw.Event) { e.Inspection.DeploymentDocID = "unknown" })}
	ev := buildEvents(t, "43", 2025, evs, 0)
	asked, err := ExternalDocuments(ev)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(asked, []string{"old", "unknown"}) {
		t.Errorf("external documents %v, want [old unknown]", asked)
	}
	docs := DocumentTimes{"old": at(2024, 12, 20, 9).UTC()}
	vs, err := Evaluate(DefaultPack(), ev, testRef(), docs)
	if err != nil {
		t.Fatal(err)
	}
	got := ofRule(vs, InspectionTooSoon)
	if len(got) != 1 || got[0].Value != 21 || got[0].EventIDs[0] != "i1" {
		t.Errorf("too_soon results %+v, want one for i1 at 21 days", got)
	}
	if none, _ := Evaluate(DefaultPack(), ev, testRef(), nil); len(ofRule(none, InspectionTooSoon)) != 0 {
		t.Errorf("too_soon without the document times: %+v, want none", ofRule(none, InspectionTooSoon))
	}
}

func TestCrowdingCountsDistinctIssuers(t *testing.T) {
	onSite := func(issuer bw.Issuer) func(*bw.Event) {
		return func(e *bw.Event) { e.Issuer = issuer; e.Inspection.OnSite = true }
	}
	evs := []bw.Event{
		insp("k1", at(2025, 3, 1, 9), onSite(issuerA)),
		insp("k2", at(2025, 3, 2, 9), onSite(issuerA)),
		insp("k3", at(2025, 3, 3, 9), onSite(issuerB)),
		insp("k4", at(2025, 3, 4, 9), onSite(issuerC)),
	}
	pk := DefaultPack()
	for i := range pk.Rules {
		if pk.Rules[i].ID == InspectionCrowding {
			pk.Rules[i].Params[ParamK] = 3
		}
	}
	vs, err := Evaluate(pk, buildEvents(t, "43", 2025, evs, 0), testRef(), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := ofRule(vs, InspectionCrowding)
	if len(got) != 1 || got[0].Value != 3 || !slices.Equal(got[0].EventIDs, []string{"k1", "k2", "k3", "k4"}) {
		t.Errorf("crowding %+v, want one result at k4 with 3 issuers and k1…k4", got)
	}
}

func TestYoYUsesPackBaselineYear(t *testing.T) {
	evs := make([]bw.Event, 5)
	for i := range evs {
		evs[i] = doc(fmt.Sprintf("d%d", i), at(2025, 2, 1+i, 9), keep)
	}
	ref := testRef()
	ref.Quotas = nil
	ref.Baselines = append(ref.Baselines, bw.Baseline{Year: 2019, CountyCode: county, Documents: intp(2)})
	packs, err := ShippedPacks()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		province string
		limit    float64
	}{{"43", 4}, {"33", 2}} {
		vs, err := Evaluate(packs.For(tc.province), buildEvents(t, tc.province, 2025, evs, 0), ref, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := ofRule(vs, DocumentYoY)
		if len(got) != 1 || got[0].Limit != tc.limit {
			t.Errorf("province %s: %+v, want one result against baseline %v", tc.province, got, tc.limit)
		}
	}
}
