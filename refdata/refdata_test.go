package refdata

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseDefault(t *testing.T) {
	ref, err := ParseDir("default")
	if err != nil {
		t.Fatalf("ParseDir(default): %v", err)
	}
	perProvince := map[string]int{}
	for _, p := range ref.ObservationPoints {
		perProvince[p.ProvinceCode]++
	}
	for _, p := range []string{"43", "37", "22", "33"} {
		if n := perProvince[p]; n < 8 || n > 12 {
			t.Errorf("province %s has %d observation points, want 8–12", p, n)
		}
	}
	if len(ref.Quotas) == 0 || len(ref.Baselines) == 0 || len(ref.Plan) == 0 || len(ref.VetoList) == 0 ||
		len(ref.Exemptions) == 0 || len(ref.Calendar) == 0 {
		t.Errorf("default reference data has an empty file: %+v", countsOf(ref.Quotas, ref.Baselines, ref.Plan, ref.VetoList, ref.Exemptions, ref.Calendar))
	}
	issuers, err := ParseIssuers(filepath.Join("default", FileIssuers))
	if err != nil {
		t.Fatalf("ParseIssuers: %v", err)
	}
	if err := CheckPlanIssuers(ref.Plan, issuers); err != nil {
		t.Errorf("CheckPlanIssuers: %v", err)
	}
	if _, err := ParseFS(Default()); err != nil {
		t.Errorf("ParseFS(Default()): %v", err)
	}
	if _, err := ParseIssuersFS(Default(), FileIssuers); err != nil {
		t.Errorf("ParseIssuersFS(Default()): %v", err)
	}
}

func countsOf(xs ...any) []any { return xs }

func TestDatesInShanghai(t *testing.T) {
	ref, err := ParseFS(Default())
	if err != nil {
		t.Fatal(err)
	}
	p := ref.ObservationPoints[0]
	if p.DesignatedFrom.Location().String() != TimeZone || p.DesignatedFrom.Hour() != 0 {
		t.Errorf("designated_from = %v, want midnight %s", p.DesignatedFrom, TimeZone)
	}
	want := time.Date(2024, 1, 1, 0, 0, 0, 0, p.DesignatedFrom.Location())
	if !p.DesignatedFrom.Equal(want) {
		t.Errorf("designated_from of %s = %v, want %v", p.CountyCode, p.DesignatedFrom, want)
	}
}

// validFiles is a small valid reference directory.
func validFiles() map[string]string {
	return map[string]string{
		FileObservationPoints: "province_code,county_code,county_name,designated_from\n" +
			"43,431024,嘉禾县,2024-01-01\n" +
			"33,330122,桐庐县,2024-01-01\n",
		FileQuotas: "year,county_code,documents,meetings,inspections\n" +
			"2025,431024,2000,500,\n" +
			"2025,330122,,,\n",
		FileBaselines: "year,county_code,documents,meetings,inspections\n" +
			"2024,431024,2600,600,120\n",
		FilePlan: "year,issuer_code,plan_code,title,category,max_visits_per_unit\n" +
			"2025,HN-YJT,HN-2025-YJT-01,2025年安全生产大检查,special,2\n" +
			"2025,HN-YJT,HN-2025-YJT-02,2025年安全生产日常执法检查,routine,\n",
		FileVetoList: "province_code,item,basis\n" +
			"43,安全生产,\"《安全生产法》,《地方党政领导干部安全生产责任制规定》\"\n",
		FileExemptions: "year,county_code,reason\n" +
			"2025,431024,免督查\n",
		FileCalendar: "province_code,rule,value\n" +
			"33,no_meeting_weekday,3\n" +
			"37,no_meeting_month,2025-08\n",
		FileIssuers: "province_code,issuer_code,name,level,kind\n" +
			"00,ZY-YJB,应急管理部,central,department\n" +
			"43,HN-YJT,湖南省应急管理厅,province,department\n" +
			"43,HN-4310-YJJ,郴州市应急管理局,city,department\n" +
			"43,HN-431024-XWB,嘉禾县委办公室,county,party\n",
	}
}

func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestParseValid(t *testing.T) {
	files := validFiles()
	files[FileObservationPoints] = "\ufeff" + files[FileObservationPoints] // spreadsheet BOM
	ref, err := ParseDir(writeDir(t, files))
	if err != nil {
		t.Fatalf("ParseDir: %v", err)
	}
	q := ref.Quotas[0]
	if q.Documents == nil || *q.Documents != 2000 || q.Inspections != nil {
		t.Errorf("quota = %+v, want documents 2000 and no inspection cap", q)
	}
	if ref.Plan[1].MaxVisitsPerUnit != 0 || ref.Plan[0].MaxVisitsPerUnit != 2 {
		t.Errorf("plan caps = %d, %d, want 2, 0", ref.Plan[0].MaxVisitsPerUnit, ref.Plan[1].MaxVisitsPerUnit)
	}
	if !strings.Contains(ref.VetoList[0].Basis, ",") {
		t.Errorf("quoted basis = %q, want the comma kept", ref.VetoList[0].Basis)
	}
}

func TestOptionalFilesMissing(t *testing.T) {
	files := validFiles()
	ref, err := ParseDir(writeDir(t, map[string]string{FileObservationPoints: files[FileObservationPoints]}))
	if err != nil {
		t.Fatalf("ParseDir with only observation points: %v", err)
	}
	if len(ref.ObservationPoints) != 2 || len(ref.Quotas)+len(ref.Baselines)+len(ref.Plan)+len(ref.VetoList)+len(ref.Exemptions)+len(ref.Calendar) != 0 {
		t.Errorf("got %+v, want 2 points and nothing else", ref)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		content string
		want    []string // substrings of the error
	}{
		{"missing observation points", FileObservationPoints, "", []string{"observation_points.csv: required file is missing"}},
		{"header", FileQuotas, "year,county,documents,meetings,inspections\n",
			[]string{`quotas.csv:1: header "year,county,documents,meetings,inspections", want "year,county_code,documents,meetings,inspections"`}},
		{"empty file", FileCalendar, "", []string{"calendar.csv:1: file is empty"}},
		{"negative count", FileQuotas, "year,county_code,documents,meetings,inspections\n2025,431024,2000,500,\n2025,330122,-3,,\n",
			[]string{`quotas.csv:3: column documents: value "-3": must be a non-negative integer or empty`}},
		{"fraction", FileBaselines, "year,county_code,documents,meetings,inspections\n2024,431024,2600,60.5,120\n",
			[]string{`baselines.csv:2: column meetings: value "60.5": must be a non-negative integer or empty`}},
		{"short county code", FileQuotas, "year,county_code,documents,meetings,inspections\n2025,43102,1,1,1\n",
			[]string{`quotas.csv:2: column county_code: value "43102": must be 6 digits`}},
		{"city code as county", FileObservationPoints, "province_code,county_code,county_name,designated_from\n43,431000,郴州市,2024-01-01\n",
			[]string{`observation_points.csv:2: column county_code: value "431000": is not a county-level code`}},
		{"county in other province", FileObservationPoints, "province_code,county_code,county_name,designated_from\n37,431024,嘉禾县,2024-01-01\n",
			[]string{`observation_points.csv:2: column county_code: value "431024": does not lie in province 37`}},
		{"bad province", FileVetoList, "province_code,item,basis\n4,安全生产,x\n99,安全生产,x\n",
			[]string{`veto_list.csv:2: column province_code: value "4": must be 2 digits`, `veto_list.csv:3: column province_code: value "99": is not a GB/T 2260 province code`}},
		{"bad year", FileExemptions, "year,county_code,reason\n25,431024,x\n",
			[]string{`exemptions.csv:2: column year: value "25": must be 4 digits (year)`}},
		{"bad date", FileObservationPoints, "province_code,county_code,county_name,designated_from\n43,431024,嘉禾县,2024/01/01\n33,330122,桐庐县,2024-02-30\n",
			[]string{`observation_points.csv:2: column designated_from: value "2024/01/01": must be a date YYYY-MM-DD`,
				`observation_points.csv:3: column designated_from: value "2024-02-30"`}},
		{"bad category", FilePlan, "year,issuer_code,plan_code,title,category,max_visits_per_unit\n2025,HN-YJT,HN-2025-YJT-01,检查,inspection,1\n",
			[]string{`inspection_plan.csv:2: column category: value "inspection": must be one of comprehensive, special, appraisal, research, routine`}},
		{"bad plan code and cap", FilePlan, "year,issuer_code,plan_code,title,category,max_visits_per_unit\n2025,HN-YJT,HN 2025,检查,special,-1\n",
			[]string{`inspection_plan.csv:2: column plan_code: value "HN 2025": must be 1–64 characters`,
				`inspection_plan.csv:2: column max_visits_per_unit: value "-1": must be a non-negative integer or empty`}},
		{"empty title", FilePlan, "year,issuer_code,plan_code,title,category,max_visits_per_unit\n2025,HN-YJT,HN-2025-YJT-01,,special,1\n",
			[]string{`inspection_plan.csv:2: column title: value "": must not be empty`}},
		{"duplicate plan code", FilePlan, "year,issuer_code,plan_code,title,category,max_visits_per_unit\n2025,HN-YJT,P-1,a,special,1\n2025,HN-YJT,P-1,b,special,1\n2026,HN-YJT,P-1,c,special,1\n",
			[]string{`inspection_plan.csv:3: column plan_code: value "P-1": duplicate year and plan_code (first on line 2)`}},
		{"weekday", FileCalendar, "province_code,rule,value\n33,no_meeting_weekday,8\n33,no_meeting_weekday,0\n",
			[]string{`calendar.csv:2: column value: value "8": must be a weekday 1 (Monday) … 7 (Sunday)`, `calendar.csv:3: column value: value "0"`}},
		{"month", FileCalendar, "province_code,rule,value\n37,no_meeting_month,2025-13\n37,no_meeting_month,2025-8\n",
			[]string{`calendar.csv:2: column value: value "2025-13": must be a month YYYY-MM`, `calendar.csv:3: column value: value "2025-8": must be a month YYYY-MM`}},
		{"unknown rule", FileCalendar, "province_code,rule,value\n33,no_meeting_day,3\n",
			[]string{`calendar.csv:2: column rule: value "no_meeting_day": must be one of no_meeting_weekday, no_meeting_month`}},
		{"duplicate calendar", FileCalendar, "province_code,rule,value\n33,no_meeting_weekday,3\n33,no_meeting_weekday,3\n",
			[]string{`calendar.csv:3: column value: value "3": duplicate province_code, rule and value (first on line 2)`}},
		{"duplicate quota", FileQuotas, "year,county_code,documents,meetings,inspections\n2025,431024,1,1,1\n2026,431024,1,1,1\n2025,431024,2,2,2\n",
			[]string{`quotas.csv:4: column county_code: value "431024": duplicate year and county_code (first on line 2)`}},
		{"duplicate point", FileObservationPoints, "province_code,county_code,county_name,designated_from\n43,431024,嘉禾县,2024-01-01\n43,431024,嘉禾县,2024-01-01\n",
			[]string{`observation_points.csv:3: column county_code: value "431024": duplicate county_code (first on line 2)`}},
		{"duplicate veto item", FileVetoList, "province_code,item,basis\n43,安全生产,a\n43,安全生产,b\n",
			[]string{`veto_list.csv:3: column item: value "安全生产": duplicate province_code and item (first on line 2)`}},
		{"quota county not observed", FileQuotas, "year,county_code,documents,meetings,inspections\n2025,430121,1,1,1\n",
			[]string{`quotas.csv:2: column county_code: value "430121": is not an observation point (observation_points.csv)`}},
		{"baseline county not observed", FileBaselines, "year,county_code,documents,meetings,inspections\n2024,430121,1,1,1\n",
			[]string{`baselines.csv:2: column county_code: value "430121": is not an observation point`}},
		{"exempt county not observed", FileExemptions, "year,county_code,reason\n2025,370783,x\n",
			[]string{`exemptions.csv:2: column county_code: value "370783": is not an observation point`}},
		{"field count", FileQuotas, "year,county_code,documents,meetings,inspections\n2025,431024,1,1\n",
			[]string{`quotas.csv:2: 4 fields, want 5`}},
		{"bare quote", FileVetoList, "province_code,item,basis\n43,安全\"生产,x\n",
			[]string{`veto_list.csv:2: malformed CSV`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := validFiles()
			if tt.content == "" && tt.file == FileObservationPoints {
				delete(files, tt.file)
			} else {
				files[tt.file] = tt.content
			}
			wantParseErrors(t, files, tt.want)
		})
	}
}

// wantParseErrors parses files and checks that the error holds every
// string of want.
func wantParseErrors(t *testing.T, files map[string]string, want []string) {
	t.Helper()
	_, err := ParseDir(writeDir(t, files))
	if err == nil {
		t.Fatalf("ParseDir: no error, want %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q\ndoes not contain %q", err, w)
		}
	}
}

func TestFieldErrorIsInspectable(t *testing.T) {
	files := validFiles()
	files[FileQuotas] = "year,county_code,documents,meetings,inspections\n2025,431024,x,y,1\n"
	_, err := ParseDir(writeDir(t, files))
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v is not a *FieldError", err)
	}
	if fe.File != FileQuotas || fe.Line != 2 || fe.Column != "documents" || fe.Value != "x" {
		t.Errorf("FieldError = %+v, want quotas.csv line 2 column documents value x", fe)
	}
	if !strings.Contains(err.Error(), `column meetings: value "y"`) {
		t.Errorf("error %q does not report the second bad value of the line", err)
	}
}

func TestParseIssuersErrors(t *testing.T) {
	const header = "province_code,issuer_code,name,level,kind\n"
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{"bad level", "43,HN-YJT,湖南省应急管理厅,ministry,department\n", `issuers.csv:2: column level: value "ministry": must be one of central, province, city, county, township`},
		{"bad kind", "43,HN-YJT,湖南省应急管理厅,province,bureau\n", `issuers.csv:2: column kind: value "bureau": must be one of party, government, department, coordination_body`},
		{"central mismatch", "43,ZY-YJB,应急管理部,central,department\n", `issuers.csv:2: column level: value "central": level central goes with province_code 00`},
		{"no division", "43,HN-HY-YJJ,衡阳市应急管理局,city,department\n", `issuers.csv:2: column issuer_code: value "HN-HY-YJJ": a city issuer's code must contain its 4-digit division code of province 43`},
		{"division elsewhere", "43,HN-3304-YJJ,嘉兴市应急管理局,city,department\n", `value "HN-3304-YJJ": a city issuer's code must contain`},
		{"duplicate", "43,HN-YJT,a,province,department\n43,HN-YJT,b,province,department\n", `issuers.csv:3: column issuer_code: value "HN-YJT": duplicate issuer_code (first on line 2)`},
		{"empty name", "43,HN-YJT,,province,department\n", `issuers.csv:2: column name: value "": must not be empty`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeDir(t, map[string]string{FileIssuers: header + tt.content})
			_, err := ParseIssuers(filepath.Join(dir, FileIssuers))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseIssuers error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestIssuerServes(t *testing.T) {
	dir := writeDir(t, validFiles())
	issuers, err := ParseIssuers(filepath.Join(dir, FileIssuers))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]bool{ // code -> serves 431024, serves 330122
		"ZY-YJB":        {true, true},
		"HN-YJT":        {true, false},
		"HN-4310-YJJ":   {true, false},
		"HN-431024-XWB": {true, false},
	}
	for _, is := range issuers {
		w := want[is.Code]
		if got := [2]bool{is.Serves("431024"), is.Serves("330122")}; got != w {
			t.Errorf("%s serves 431024, 330122 = %v, want %v", is.Code, got, w)
		}
	}
	if issuers[2].Division != "4310" || issuers[3].Division != "431024" {
		t.Errorf("divisions = %q, %q, want 4310, 431024", issuers[2].Division, issuers[3].Division)
	}
}

func TestCheckPlanIssuers(t *testing.T) {
	files := validFiles()
	files[FilePlan] += "2025,HN-XXX,HN-2025-XXX-01,检查,special,1\n"
	dir := writeDir(t, files)
	ref, err := ParseDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	issuers, err := ParseIssuers(filepath.Join(dir, FileIssuers))
	if err != nil {
		t.Fatal(err)
	}
	err = CheckPlanIssuers(ref.Plan, issuers)
	if err == nil || !strings.Contains(err.Error(), `issuer "HN-XXX" is not in issuers.csv`) {
		t.Errorf("CheckPlanIssuers = %v, want unknown issuer HN-XXX", err)
	}
}
