package report

import (
	"context"
	"fmt"
	"html"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/internal/testenv"
	"github.com/burdenwatch/burdenwatch/rules"
)

// The scenario: province 43, three observation counties, October and
// November 2025; the report is for November.
var (
	oct = time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)
	nov = time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)
)

// scenarioIndicators: county → indicator → {Oct value, Nov value, Nov ytd}.
var scenarioIndicators = map[string]map[string][3]float64{
	"430121": {"burden_index": {40, 55.5, math.NaN()}, "documents": {100, 110, 1000}, "meetings": {20, 18, 200},
		"inspections": {5, 7, 60}, "forms": {10, 10, 100}, "form_hours": {20.5, 25, 250}, "violations": {1, 2, 10},
		"documents_over_baseline": {1.05, 1.10, math.NaN()}, "meetings_over_baseline": {0.97, 0.95, math.NaN()},
		"inspections_over_baseline": {1.10, 1.20, math.NaN()}},
	"430181": {"burden_index": {70, 62, math.NaN()}, "documents": {120, 130, 1200}, "meetings": {25, 22, 240},
		"inspections": {6, 8, 70}, "forms": {12, 12, 120}, "form_hours": {30, 35.5, 300.5}, "violations": {2, 1, 12},
		"documents_over_baseline": {0.97, 0.95, math.NaN()}, "meetings_over_baseline": {1.00, 1.02, math.NaN()},
		"inspections_over_baseline": {0.92, 0.90, math.NaN()}},
	"431024": {"burden_index": {60, 68.4, math.NaN()}, "documents": {80, 90, 800}, "meetings": {15, 14, 150},
		"inspections": {4, 5, 40}, "forms": {8, 8, 80}, "form_hours": {10, 12, 150}, "violations": {0, 1, 8},
		"documents_over_baseline": {0.88, 0.90, math.NaN()}, "meetings_over_baseline": {0.82, 0.80, math.NaN()},
		"inspections_over_baseline": {1.07, 1.05, math.NaN()}},
}

func TestReport(t *testing.T) {
	db, _ := testenv.ClickHouse(t)
	ctx := context.Background()
	loadScenario(t, ctx, db)
	opts := Options{Province: "43", Month: mustMonth(t, "2025-11"), Date: time.Date(2025, 12, 5, 0, 0, 0, 0, bw.Location())}
	if err := opts.Validate(); err != nil {
		t.Fatal(err)
	}
	data, err := Load(ctx, db, opts.Province, opts.Month)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Build(data, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("model", func(t *testing.T) { checkModel(t, m) })
	page, err := Render(m)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("html", func(t *testing.T) { checkHTML(t, string(page)) })
	t.Run("pdf", func(t *testing.T) { checkPDF(t, ctx, m, opts) })
}

func TestReportWithoutIndicators(t *testing.T) {
	db, _ := testenv.ClickHouse(t)
	_, err := Generate(context.Background(), db, Options{Province: "43", Month: mustMonth(t, "2025-11")}, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "no indicators") {
		t.Fatalf("Generate without indicators: err = %v, want a 'no indicators' error", err)
	}
}

func checkModel(t *testing.T, m *Model) {
	if m.Counties != 3 {
		t.Errorf("Counties = %d, want 3 (one point designated later, one in another province)", m.Counties)
	}
	wantFig := map[string][3]float64{ // month, prev, ytd
		"documents": {330, 300, 3000}, "meetings": {54, 60, 590}, "inspections": {20, 15, 170},
		"forms": {30, 30, 300}, "form_hours": {72.5, 60.5, 700.5}, "violations": {4, 3, 30},
	}
	if len(m.Figures) != len(wantFig) {
		t.Errorf("%d headline figures, want %d", len(m.Figures), len(wantFig))
	}
	for id, w := range wantFig {
		i := slices.IndexFunc(m.Figures, func(f Figure) bool { return f.ID == id })
		if i < 0 {
			t.Errorf("no headline figure %s", id)
			continue
		}
		if f := m.Figures[i]; !near(f.Month, w[0]) || !near(f.Prev, w[1]) || !near(f.YTD, w[2]) {
			t.Errorf("figure %s = %v/%v/%v, want %v", f.ID, f.Month, f.Prev, f.YTD, w)
		}
	}
	wantRank := []struct {
		code          string
		index, change float64
	}{{"431024", 68.4, 8.4}, {"430181", 62, -8}, {"430121", 55.5, 15.5}}
	if len(m.Ranking) != len(wantRank) || len(m.Paces) != 3 || len(m.Baseline) != 3 {
		t.Fatalf("%d ranking rows, %d paces, %d baseline rows, want 3 each", len(m.Ranking), len(m.Paces), len(m.Baseline))
	}
	for i, w := range wantRank {
		r := m.Ranking[i]
		if r.Code != w.code || r.Rank != i+1 || !near(r.Index, w.index) || !near(r.IndexChange(), w.change) {
			t.Errorf("ranking[%d] = %s rank %d index %v change %v, want %+v", i, r.Code, r.Rank, r.Index, r.IndexChange(), w)
		}
	}
	wantPace := []float64{3000.0 / 3080, 590.0 / 605, 170.0 / 165}
	for i, p := range m.Paces {
		if !near(p.Ratio, wantPace[i]) {
			t.Errorf("pace %s = %v, want %v", p.ID, p.Ratio, wantPace[i])
		}
	}
	if m.Found != 5 || len(m.Groups) != 3 {
		t.Fatalf("Found = %d in %d groups, want 5 in 3", m.Found, len(m.Groups))
	}
	wantGroups := []struct {
		name  string
		rules []string
	}{
		{"湖南省应急管理厅", []string{"inspection.unplanned", "inspection.crowding", "inspection.principal_accompanied"}},
		{"湖南省生态环境厅", []string{"document.length"}},
		{noIssuer, []string{"document.quota"}},
	}
	for i, w := range wantGroups {
		g := m.Groups[i]
		var rules []string
		for _, f := range g.Items {
			rules = append(rules, f.RuleID)
		}
		if g.Name != w.name || strings.Join(rules, ",") != strings.Join(w.rules, ",") {
			t.Errorf("group %d = %s %v, want %s %v", i, g.Name, rules, w.name, w.rules)
		}
	}
	if len(m.Warnings) != 1 || m.Warnings[0].RuleID != "document.upward_report" || m.Warnings[0].Count != 1 {
		t.Errorf("Warnings = %+v, want one document.upward_report", m.Warnings)
	}
	// Names and citations as the regulations write them, not as the
	// catalog the report reads them from.
	if f := m.Groups[1].Items[0]; f.RuleName != "文件篇幅超长" || f.Citation != lengthCitation || f.ValueText != "14页" || f.LimitText != "10页" {
		t.Errorf("document.length finding = %+v, want 文件篇幅超长, 14页 over 10页, citing %s", f, lengthCitation)
	}
	if f := m.Groups[0].Items[0]; f.RuleName != "计划外督查" || !strings.HasPrefix(f.Citation, "湖南《关于全面推行无扰督查进一步提高抓落实质量和效果的若干措施》一、1 无计划不督") {
		t.Errorf("inspection.unplanned finding = %s citing %q", f.RuleName, f.Citation)
	}
	checkAlerts(t, m)
}

// lengthCitation is ZJ 5 as document.length cites it.
const lengthCitation = "浙江《关于持续解决形式主义突出问题为基层减负的若干措施》第5条 政策性文件正文篇幅原则上控制在10页之内"

// wantAlerts are the report's 预警提示 rows, hand-computed: the breaches
// first (the visit cap's notice gives way to its breach, the
// comprehensive-cap notice is only counted); the projections of count scopes from November's year-to-date
// (长沙县 documents 1000 × 12 ÷ 11 ≈ 1091, 嘉禾县 inspections 40 × 12 ÷ 11
// ≈ 44); the December crossing and the 2024 alert left out.
var wantAlerts = []AlertRow{
	{CountyCode: "430121", County: "长沙县", Level: bw.AlertBreach, LevelText: "已超限", Scope: "documents.quota", Item: "发文配额",
		MonthText: "2025年10月", ValueText: "960件", LimitText: "950件", ProjectedText: "1091件"},
	{CountyCode: "430181", County: "浏阳市", Level: bw.AlertBreach, LevelText: "已超限", Scope: "visit_cap:HN-YJT:HN-2025-YJT-01:430181001",
		Item: "湖南省应急管理厅计划事项HN-2025-YJT-01对430181001的检查频次", MonthText: "2025年10月", ValueText: "3次", LimitText: "2次", ProjectedText: "3次"},
	{CountyCode: "431024", County: "嘉禾县", Level: bw.AlertNotice, LevelText: "接近上限", Scope: "inspections.baseline", Item: "督查检查考核较基数年（只减不增）",
		MonthText: "2025年5月", ValueText: "进度1.25倍", LimitText: "进度1.00倍", ProjectedText: "44次"},
}

func checkAlerts(t *testing.T, m *Model) {
	if len(m.Alerts) != len(wantAlerts) {
		t.Fatalf("%d alert rows, want %d: %+v", len(m.Alerts), len(wantAlerts), m.Alerts)
	}
	for i, w := range wantAlerts {
		if m.Alerts[i] != w {
			t.Errorf("alert row %d = %+v\nwant %+v", i, m.Alerts[i], w)
		}
	}
	if want := "截至2025年11月，共有3个观测点触及预警阈值，涉及3项：已超限2项、接近上限1项。"; !strings.HasPrefix(m.Text.Alerts, want) {
		t.Errorf("alerts text = %q, want it to start %q", m.Text.Alerts, want)
	}
	if m.CapsReached != (CapsReached{Comprehensive: 1}) || !strings.HasSuffix(m.Text.Alerts, "另有1项已达频次上限、再开展即超限（计划事项对基层单位的检查0项、综合性督查检查1项、观摩评比0项），未逐项列出。") {
		t.Errorf("caps reached = %+v, text %q", m.CapsReached, m.Text.Alerts)
	}
}

// textWants are strings the HTML and the PDF text must hold: headings,
// paragraphs and table cells that fit on one line.
func textWants(t *testing.T) []string {
	return []string{
		"湖南省整治形式主义为基层减负专项工作机制办公室",
		"湖南省基层减负观测点负担情况月度通报（2025年11月）",
		"2025年第11期", "2025年12月5日",
		"收到发文330件，较上月增加30件、增长10.0%",
		"参加会议54次，较上月减少6次、下降10.0%",
		"迎接督查检查考核20次，较上月增加5次、增长33.3%",
		"填报报表30张，与上月持平",
		"填表工时72.5小时，较上月增加12小时、增长19.8%",
		"发现违规问题4个，较上月增加1个、增长33.3%",
		"2025年1—11月累计收到发文3000件",
		"分别为基数进度的0.97倍、0.98倍、1.03倍",
		"本月负担最重的是嘉禾县（68.4），较上月+8.4；负担指数上升最多的是长沙县（+15.5）；下降最多的是浏阳市（-8.0）",
		"发文累计数超出基数进度的观测点有1个：长沙县（1.10倍，较上月+0.05）",
		"督查检查考核累计数超出基数进度的观测点有2个：长沙县（1.20倍，较上月+0.10）、嘉禾县（1.05倍，较上月-0.02）",
		"本月共发现违规问题5个，涉及3个（类）单位",
		"（一）湖南省应急管理厅（3个）", "（二）湖南省生态环境厅（1个）", "（三）涉及多个单位的事项（1个）",
		ruleNameOf(t, "inspection.unplanned"), ruleNameOf(t, "inspection.crowding"), ruleNameOf(t, "document.length"),
		ruleNameOf(t, "document.quota"), "依据：" + citationOf(t, "inspection.unplanned"), "依据：" + citationOf(t, "document.length"),
		"此外，本月有提醒事项1个（" + ruleNameOf(t, "document.upward_report") + "1个）",
		"计划外督查", "依据：" + lengthCitation,
		"五、预警提示", "截至2025年11月，共有3个观测点触及预警阈值，涉及3项：已超限2项、接近上限1项。",
		"表4　观测点预警提示（截至2025年11月）", "六、有关要求",
	}
}

func checkHTML(t *testing.T, page string) {
	page = html.UnescapeString(page) // html/template writes + as &#43;
	for _, w := range textWants(t) {
		if !strings.Contains(page, w) {
			t.Errorf("HTML lacks %q", w)
		}
	}
	rank := section(t, page, `id="ranking-table"`, "</table>")
	inOrder(t, rank, "嘉禾县", "68.4", "+8.4", "浏阳市", "62.0", "-8.0", "长沙县", "55.5", "+15.5")
	if strings.Contains(rank, "99.0") {
		t.Error("ranking holds the superseded burden index 99.0")
	}
	yjt := section(t, page, `data-issuer="HN-YJT"`, "</div>")
	inOrder(t, yjt, ruleNameOf(t, "inspection.unplanned"), "长沙县", "1件", "EV-001", "<td>—</td><td>—</td>",
		citationOf(t, "inspection.unplanned"),
		ruleNameOf(t, "inspection.crowding"), "浏阳市", "4件", "EV-010、EV-011、EV-012等", "<td>4</td><td>2</td>",
		citationOf(t, "inspection.crowding"),
		ruleNameOf(t, "inspection.principal_accompanied"), "嘉禾县", citationOf(t, "inspection.principal_accompanied"))
	sthjt := section(t, page, `data-issuer="HN-STHJT"`, "</div>")
	inOrder(t, sthjt, ruleNameOf(t, "document.length"), "嘉禾县", "<td>14页</td><td>10页</td>", citationOf(t, "document.length"))
	inOrder(t, section(t, page, `data-issuer=""`, "</div>"), "涉及多个单位的事项", ruleNameOf(t, "document.quota"), "长沙县",
		"2件", "EV-030、EV-031", "<td>1000</td><td>950</td>", citationOf(t, "document.quota"))
	for _, absent := range []string{"inspection.uncoded", "inspection.sampling", "桐庐县", "330122", "浏阳市新"} {
		if strings.Contains(page, absent) {
			t.Errorf("HTML holds %q, which the scenario excludes", absent)
		}
	}
	alerts := section(t, page, `id="alerts-table"`, "</table>")
	inOrder(t, alerts, `data-scope="documents.quota"`, "长沙县", "发文配额", `class="over"`, "已超限", "2025年10月", "960件", "950件", "1091件",
		`data-scope="visit_cap:HN-YJT:HN-2025-YJT-01:430181001"`, "浏阳市", "湖南省应急管理厅计划事项HN-2025-YJT-01对430181001的检查频次", "已超限",
		`data-scope="inspections.baseline"`, "嘉禾县", "进度1.25倍", "44次")
	if strings.Contains(alerts, "meetings.quota") || strings.Contains(alerts, "comprehensive_cap") {
		t.Error("alerts table holds meetings.quota, first crossed after the report month or in another year")
	}
	if strings.Contains(page, "<script") {
		t.Error("HTML holds a script")
	}
	for _, svg := range []string{`aria-label="各观测点负担指数"`, `aria-label="各月合计"`, "<polyline"} {
		if !strings.Contains(page, svg) {
			t.Errorf("HTML lacks chart element %q", svg)
		}
	}
}

func checkPDF(t *testing.T, ctx context.Context, m *Model, opts Options) {
	if _, err := FindChromium(""); err != nil {
		if os.Getenv("BURDENWATCH_TEST_SKIP_SERVICES") != "" {
			t.Skipf("%v; skipped because BURDENWATCH_TEST_SKIP_SERVICES is set", err)
		}
		t.Fatal(err)
	}
	out := t.ArtifactDir()
	files, err := Write(ctx, m, opts, out)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{files.HTML, files.HTMLCopy, files.PDF, files.PDFCopy} {
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", p, err)
		}
	}
	if filepath.Base(files.Dir) != "43-2025-11" {
		t.Errorf("output dir = %s, want …/43-2025-11", files.Dir)
	}
	text := squeeze(runTool(t, "pdftotext", "-raw", "-enc", "UTF-8", files.PDF, "-"))
	for _, n := range []string{"—1—", "—2—", "—3—"} {
		if !strings.Contains(text, n) {
			t.Errorf("PDF text lacks page number %q", n)
		}
	}
	text = pageNumber.ReplaceAllString(text, "") // paragraphs run across pages
	for _, w := range textWants(t) {
		if !strings.Contains(text, squeeze(w)) {
			t.Errorf("PDF text lacks %q", w)
		}
	}
	inOrder(t, text, "表2", "嘉禾县68.4+8.4", "浏阳市62.0-8.0", "长沙县55.5+15.5")
	inOrder(t, text, "表4", "长沙县", "发文配额", "已超限", "2025年10月", "960件", "950件", "1091件",
		"浏阳市", "已超限", "2025年10月", "3次", "2次", "嘉禾县", "接近上限", "2025年5月", "进度1.25倍", "进度1.00倍", "44次")
	checkFonts(t, files.PDF)
	inOrder(t, text, "（一）湖南省应急管理厅（3个）", ruleNameOf(t, "inspection.unplanned"), "长沙县", "EV-001",
		squeeze(citationOf(t, "inspection.unplanned")), ruleNameOf(t, "inspection.crowding"), "浏阳市",
		"（二）湖南省生态环境厅（1个）", ruleNameOf(t, "document.length"), "嘉禾县", "14页", "10页",
		squeeze(citationOf(t, "document.length")),
		"（三）涉及多个单位的事项（1个）", ruleNameOf(t, "document.quota"), "长沙县", "1000", "950",
		squeeze(citationOf(t, "document.quota")))
	runTool(t, "pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", files.PDF, filepath.Join(out, "page1"))
	t.Logf("PDF %s; page 1 rendered to %s", files.PDF, filepath.Join(out, "page1.png"))
}

func TestFormat(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{changeText(330, 300, "件"), "较上月增加30件、增长10.0%"},
		{changeText(54, 60, "次"), "较上月减少6次、下降10.0%"},
		{changeText(5, 0, "次"), "较上月增加5次（上月为0）"},
		{changeText(5, 5, "次"), "与上月持平"},
		{changeText(5, math.NaN(), "次"), "上月无数据"},
		{signed(15.5, 1), "+15.5"}, {signed(-8, 1), "-8.0"}, {signed(-0.001, 1), "0.0"}, {signed(math.NaN(), 1), "—"},
		{number(72.5), "72.5"}, {number(330), "330"}, {percent(1.0 / 3), "33.3%"}, {percent(0.5), "50%"},
		{chineseNumber(1), "一"}, {chineseNumber(10), "十"}, {chineseNumber(12), "十二"}, {chineseNumber(21), "二十一"},
		{officeSize("湖南省整治形式主义为基层减负专项工作机制办公室"), "18.5pt"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	for v, want := range map[float64]float64{0: 1, 7: 10, 330: 500, 72.5: 100, 3: 5, 21: 25} {
		if got := niceCeil(v); got != want {
			t.Errorf("niceCeil(%v) = %v, want %v", v, got, want)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, o := range []Options{{Province: "99", Month: nov}, {Province: "4", Month: nov}, {Province: "43"}} {
		if err := o.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", o)
		}
	}
	if _, err := ParseMonth("2025-13"); err == nil {
		t.Error("ParseMonth(2025-13) = nil error")
	}
}

func loadScenario(t *testing.T, ctx context.Context, db *clickhouse.DB) {
	t.Helper()
	date := func(s string) time.Time { d, _ := time.ParseInLocation(time.DateOnly, s, bw.Location()); return d }
	ptr := func(v int) *int { return &v }
	ref := &bw.ReferenceData{
		ObservationPoints: []bw.ObservationPoint{
			{ProvinceCode: "43", CountyCode: "430121", CountyName: "长沙县", DesignatedFrom: date("2024-01-01")},
			{ProvinceCode: "43", CountyCode: "430181", CountyName: "浏阳市", DesignatedFrom: date("2024-01-01")},
			{ProvinceCode: "43", CountyCode: "431024", CountyName: "嘉禾县", DesignatedFrom: date("2024-01-01")},
			{ProvinceCode: "43", CountyCode: "430182", CountyName: "浏阳市新", DesignatedFrom: date("2026-01-01")},
			{ProvinceCode: "33", CountyCode: "330122", CountyName: "桐庐县", DesignatedFrom: date("2024-01-01")},
		},
		Baselines: []bw.Baseline{
			{Year: 2024, CountyCode: "430121", Documents: ptr(1200), Meetings: ptr(240), Inspections: ptr(60)},
			{Year: 2024, CountyCode: "430181", Documents: ptr(1200), Meetings: ptr(240), Inspections: ptr(72)},
			{Year: 2024, CountyCode: "431024", Documents: ptr(960), Meetings: ptr(180), Inspections: ptr(48)},
			{Year: 2019, CountyCode: "430121", Documents: ptr(5000), Meetings: ptr(900), Inspections: ptr(300)},
		},
	}
	if err := db.LoadReferenceData(ctx, ref, "report test"); err != nil {
		t.Fatal(err)
	}
	insertIndicators(t, ctx, db)
	insertResults(t, ctx, db)
	if _, err := db.SaveAlerts(ctx, scenarioAlerts()); err != nil {
		t.Fatal(err)
	}
}

// scenarioAlerts are early warnings of the scenario: three by November,
// one first crossed in December (after the report month), one of 2024.
func scenarioAlerts() []bw.Alert {
	loc := bw.Location()
	mk := func(county, scope string, level bw.AlertLevel, year int, month time.Month, value, limit, projected float64) bw.Alert {
		return bw.Alert{ID: county + "/" + fmt.Sprint(year) + "/" + scope + "/" + string(level), Level: level,
			ProvinceCode: county[:2], CountyCode: county, Year: year, Scope: scope, Value: value, Limit: limit,
			Projected: projected, Month: time.Date(year, month, 1, 0, 0, 0, 0, loc), FirstSeen: time.Date(2025, 12, 1, 8, 0, 0, 0, loc)}
	}
	return []bw.Alert{
		mk("430121", "documents.quota", bw.AlertNotice, 2025, 8, 800, 760, 1200),
		mk("430121", "documents.quota", bw.AlertBreach, 2025, 10, 960, 950, 1200),
		mk("430181", "visit_cap:HN-YJT:HN-2025-YJT-01:430181001", bw.AlertNotice, 2025, 9, 2, 2, 3.3),
		mk("430181", "visit_cap:HN-YJT:HN-2025-YJT-01:430181001", bw.AlertBreach, 2025, 10, 3, 2, 3.3),
		mk("431024", "comprehensive_cap:HN-SWBGT", bw.AlertNotice, 2025, 6, 1, 1, 1.1), // counted, not listed
		mk("431024", "inspections.baseline", bw.AlertNotice, 2025, 5, 1.25, 1, 50),
		mk("431024", "meetings.quota", bw.AlertBreach, 2025, 12, 200, 190, 200),
		mk("430121", "meetings.quota", bw.AlertBreach, 2024, 6, 300, 250, 400),
	}
}

func insertIndicators(t *testing.T, ctx context.Context, db *clickhouse.DB) {
	t.Helper()
	b, err := db.Conn().PrepareBatch(ctx, "INSERT INTO indicators (province_code, county_code, month, indicator, value, ytd, computed_at, version)")
	if err != nil {
		t.Fatal(err)
	}
	add := func(county string, month time.Time, id string, value, ytd float64, version uint64) {
		if err := b.Append(county[:2], county, month, id, nullable(value), nullable(ytd), time.Now(), version); err != nil {
			t.Fatal(err)
		}
	}
	for county, ins := range scenarioIndicators {
		for id, v := range ins {
			add(county, oct, id, v[0], math.NaN(), 2)
			add(county, nov, id, v[1], v[2], 2)
		}
	}
	add("430121", nov, "burden_index", 99, math.NaN(), 1) // superseded by version 2
	add("330122", nov, "burden_index", 90, math.NaN(), 1) // another province
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
}

func nullable(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	return &v
}

// result is a rule_results row of the scenario.
type result struct {
	rule, severity, county string
	month                  time.Time
	issuer, issuerName     string
	scope                  string
	value, limit           float64
	events                 []string
	active                 uint8
	version                uint64
}

var scenarioResults = []result{
	{"inspection.unplanned", "violation", "430121", nov, "HN-YJT", "湖南省应急管理厅", "event=EV-001", 1, 0, []string{"EV-001"}, 1, 1},
	{"inspection.crowding", "violation", "430181", nov, "HN-YJT", "湖南省应急管理厅", "event=EV-013", 4, 2, []string{"EV-010", "EV-011", "EV-012", "EV-013"}, 1, 1},
	{"document.length", "violation", "431024", nov, "HN-STHJT", "湖南省生态环境厅", "event=EV-020", 14, 10, []string{"EV-020"}, 1, 1},
	{"document.quota", "violation", "430121", nov, "", "", "county=430121;year=2025", 1000, 950, []string{"EV-030", "EV-031"}, 1, 1},
	{"document.upward_report", "warning", "430181", nov, "HN-STHJT", "湖南省生态环境厅", "event=EV-040", 1, 0, []string{"EV-040"}, 1, 1},
	// switched off by a recomputation
	{"inspection.uncoded", "violation", "430121", nov, "HN-YJT", "湖南省应急管理厅", "event=EV-002", 1, 0, []string{"EV-002"}, 1, 1},
	{"inspection.uncoded", "violation", "430121", nov, "HN-YJT", "湖南省应急管理厅", "event=EV-002", 1, 0, []string{"EV-002"}, 0, 2},
	// moved from October to November by a corrected event
	{"inspection.principal_accompanied", "violation", "431024", oct, "HN-YJT", "湖南省应急管理厅", "event=EV-050", 1, 0, []string{"EV-050"}, 1, 1},
	{"inspection.principal_accompanied", "violation", "431024", nov, "HN-YJT", "湖南省应急管理厅", "event=EV-050", 1, 0, []string{"EV-050"}, 1, 2},
	// another month, another province
	{"inspection.sampling", "violation", "430121", oct, "HN-YJT", "湖南省应急管理厅", "event=EV-060", 0.5, 1.0 / 3, []string{"EV-060"}, 1, 1},
	{"inspection.sampling", "violation", "330122", nov, "ZJ-X", "浙江省某厅", "event=EV-070", 0.5, 1.0 / 3, []string{"EV-070"}, 1, 1},
}

func insertResults(t *testing.T, ctx context.Context, db *clickhouse.DB) {
	t.Helper()
	b, err := db.Conn().PrepareBatch(ctx, "INSERT INTO rule_results (rule_id, severity, province_code, county_code, year, month, "+
		"issuer_code, issuer_name, scope, value, `limit`, event_ids, citation, active, computed_at, version)")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range scenarioResults {
		if err := b.Append(r.rule, r.severity, r.county[:2], r.county, uint16(r.month.Year()), r.month, r.issuer, r.issuerName,
			r.scope, r.value, r.limit, r.events, citationOf(t, r.rule), r.active, time.Now(), r.version); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
}

func mustMonth(t *testing.T, s string) time.Time {
	t.Helper()
	m, err := ParseMonth(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// ruleNameOf is the catalog's Chinese name of a rule.
func ruleNameOf(t *testing.T, id string) string {
	t.Helper()
	for _, r := range rules.Catalog() {
		if r.ID == id && r.Name != "" {
			return r.Name
		}
	}
	t.Fatalf("rule %s has no name in rules.Catalog()", id)
	return ""
}

// citationOf is the catalog's citation of a rule, as stored in results.
func citationOf(t *testing.T, id string) string {
	t.Helper()
	for _, r := range rules.Catalog() {
		if r.ID == id {
			return rules.CitationText(r.Citations)
		}
	}
	t.Fatalf("rule %s not in rules.Catalog()", id)
	return ""
}

// pageNumber matches a page number in squeezed PDF text.
var pageNumber = regexp.MustCompile(`—[0-9]+—`)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// section returns the part of s from the first start marker to the next
// end marker.
func section(t *testing.T, s, start, end string) string {
	t.Helper()
	i := strings.Index(s, start)
	if i < 0 {
		t.Fatalf("no %s in output", start)
	}
	j := strings.Index(s[i:], end)
	if j < 0 {
		return s[i:]
	}
	return s[i : i+j]
}

// inOrder checks that the wants occur in s one after another.
func inOrder(t *testing.T, s string, wants ...string) {
	t.Helper()
	rest := s
	for _, w := range wants {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("%q missing or out of order (after the previous of %q)", w, wants)
			return
		}
		rest = rest[i+len(w):]
	}
}

// squeeze drops all white space, so that text broken across lines by
// the PDF layout compares with the HTML's.
func squeeze(s string) string {
	return strings.Join(strings.Fields(s), "")
}

func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("BURDENWATCH_TEST_SKIP_SERVICES") != "" {
			t.Skipf("%s not installed (deploy/install-report-tools.sh); skipped because BURDENWATCH_TEST_SKIP_SERVICES is set", name)
		}
		t.Fatalf("%s not installed: run deploy/install-report-tools.sh", name)
	}
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v: %s", name, args, err, out)
	}
	return string(out)
}

// checkFonts checks with pdffonts that the PDF embeds a CJK font (the
// Chinese text is not left to the reader's fonts).
func checkFonts(t *testing.T, pdf string) {
	t.Helper()
	out := runTool(t, "pdffonts", pdf)
	cjk := regexp.MustCompile(`(?i)cjk|han|hei|song|ming|wenquanyi|wqy|droid ?sans ?fallback`)
	for _, line := range strings.Split(out, "\n")[2:] {
		f := strings.Fields(line)
		// name type [encoding…] emb sub uni object ID: emb is the 5th field from the end
		if len(f) >= 7 && cjk.MatchString(f[0]) && f[len(f)-5] == "yes" {
			t.Logf("CJK font embedded: %s", line)
			return
		}
	}
	t.Errorf("PDF %s embeds no CJK font:\n%s", pdf, out)
}
