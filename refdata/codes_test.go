package refdata

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const codesHeader = "year,inspection_code,plan_code,issuer_code,title,valid_from,valid_to,counties\n"

func TestParseInspectionCodesValid(t *testing.T) {
	files := validFiles()
	files[FileInspectionCodes] = codesHeader +
		"2025,DC43-2025-0001,HN-2025-YJT-01,HN-YJT,2025年安全生产大检查,2025-03-01,2025-06-30,\n" +
		"2025,DC43-2025-0002,ZY-2025-YJB-01,ZY-YJB,2025年安全生产明查暗访,2025-01-01,2025-12-31,431024;430121\n"
	ref, err := ParseDir(writeDir(t, files))
	if err != nil {
		t.Fatalf("ParseDir: %v", err)
	}
	if len(ref.InspectionCodes) != 2 {
		t.Fatalf("got %d codes, want 2", len(ref.InspectionCodes))
	}
	a, b := ref.InspectionCodes[0], ref.InspectionCodes[1]
	loc, _ := time.LoadLocation(TimeZone)
	if a.ProvinceCode != "43" || a.Counties != nil || !a.ValidFrom.Equal(time.Date(2025, 3, 1, 0, 0, 0, 0, loc)) ||
		!a.ValidTo.Equal(time.Date(2025, 6, 30, 0, 0, 0, 0, loc)) || a.PlanCode != "HN-2025-YJT-01" || a.IssuerCode != "HN-YJT" {
		t.Errorf("province issuer entry = %+v, want province 43 from issuers.csv, any county, 2025-03-01..2025-06-30", a)
	}
	if b.ProvinceCode != "43" || strings.Join(b.Counties, ";") != "430121;431024" {
		t.Errorf("central issuer entry = %+v, want province 43 from its counties, sorted", b)
	}
	reg := RegistryFor(ref, "43", 2025)
	if len(reg) != 2 || reg["DC43-2025-0002"].Title != "2025年安全生产明查暗访" {
		t.Errorf("RegistryFor(43, 2025) = %v, want both codes", reg)
	}
	if RegistryFor(ref, "43", 2026) != nil || RegistryFor(ref, "33", 2025) != nil {
		t.Error("RegistryFor of a province-year without codes is not nil")
	}
}

func TestParseInspectionCodesErrors(t *testing.T) {
	tests := []struct {
		name, rows string
		want       []string
	}{
		{"bad code", "2025,DC 1,P-1,HN-YJT,t,2025-01-01,2025-12-31,\n",
			[]string{`inspection_codes.csv:2: column inspection_code: value "DC 1": must be 1–64 characters`}},
		{"empty plan and title", "2025,DC-1,,HN-YJT,,2025-01-01,2025-12-31,\n",
			[]string{`inspection_codes.csv:2: column plan_code: value "": must be 1–64`, `inspection_codes.csv:2: column title: value "": must not be empty`}},
		{"bad date", "2025,DC-1,P-1,HN-YJT,t,2025-02-30,2025-12-31,\n",
			[]string{`inspection_codes.csv:2: column valid_from: value "2025-02-30": must be a date YYYY-MM-DD`}},
		{"reversed window", "2025,DC-1,P-1,HN-YJT,t,2025-05-01,2025-04-30,\n",
			[]string{`inspection_codes.csv:2: column valid_to: value "2025-04-30": is before valid_from 2025-05-01`}},
		{"window outside year", "2025,DC-1,P-1,HN-YJT,t,2026-01-01,2026-03-31,\n",
			[]string{`inspection_codes.csv:2: column valid_from: value "2026-01-01": window 2026-01-01..2026-03-31 does not touch year 2025`}},
		{"bad county", "2025,DC-1,P-1,HN-YJT,t,2025-01-01,2025-12-31,431024;4310\n",
			[]string{`inspection_codes.csv:2: column counties: value "431024;4310": "4310" is not a 6-digit county-level code`}},
		{"two provinces", "2025,DC-1,P-1,ZY-YJB,t,2025-01-01,2025-12-31,431024;330122\n",
			[]string{`column counties: value "431024;330122": counties 431024 and 330122 lie in different provinces`}},
		{"county twice", "2025,DC-1,P-1,ZY-YJB,t,2025-01-01,2025-12-31,431024;431024\n",
			[]string{`column counties: value "431024;431024": county 431024 listed twice`}},
		{"central without counties", "2025,DC-1,P-1,ZY-YJB,t,2025-01-01,2025-12-31,\n",
			[]string{`inspection_codes.csv:2: column counties: value "": must list the counties: issuer ZY-YJB is central`}},
		{"unknown issuer without counties", "2025,DC-1,P-1,XX-1,t,2025-01-01,2025-12-31,\n",
			[]string{`column counties: value "": must list the counties: issuer XX-1 is not in issuers.csv`}},
		{"counties outside issuer province", "2025,DC-1,P-1,HN-YJT,t,2025-01-01,2025-12-31,330122\n",
			[]string{`column counties: value "330122": counties lie in province 33 but issuer HN-YJT belongs to province 43`}},
		{"duplicate", "2025,DC-1,P-1,HN-YJT,t,2025-01-01,2025-12-31,\n2026,DC-1,P-1,HN-YJT,t,2026-01-01,2026-12-31,\n2025,DC-1,P-2,HN-YJT,t,2025-01-01,2025-12-31,\n",
			[]string{`inspection_codes.csv:4: column inspection_code: value "DC-1": duplicate year and inspection_code (first on line 2)`}},
		{"field count", "2025,DC-1,P-1,HN-YJT,t,2025-01-01,2025-12-31\n",
			[]string{`inspection_codes.csv:2: 7 fields, want 8`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := validFiles()
			files[FileInspectionCodes] = codesHeader + tt.rows
			wantParseErrors(t, files, tt.want)
		})
	}
}

// TestDefaultRegistry checks the shipped registry against the shipped plan
// list: every plan item an issuer of the four provinces (or a central
// issuer) approved has exactly one code in each province it serves, with
// the item's issuer, a window inside the plan year and counties the issuer
// serves.
func TestDefaultRegistry(t *testing.T) {
	ref, err := ParseFS(Default())
	if err != nil {
		t.Fatal(err)
	}
	issuers, err := ParseIssuersFS(Default(), FileIssuers)
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]Issuer{}
	for _, is := range issuers {
		byCode[is.Code] = is
	}
	type key struct{ province, plan string }
	codes := map[key]int{}
	for _, c := range ref.InspectionCodes {
		codes[key{c.ProvinceCode, c.PlanCode}]++
		is := byCode[c.IssuerCode]
		if is.ProvinceCode != CentralProvince && is.ProvinceCode != c.ProvinceCode {
			t.Errorf("code %s: issuer %s of province %s in the registry of %s", c.Code, c.IssuerCode, is.ProvinceCode, c.ProvinceCode)
		}
		if c.ValidFrom.Year() != c.Year || c.ValidTo.Year() != c.Year {
			t.Errorf("code %s: window %v..%v outside plan year %d", c.Code, c.ValidFrom, c.ValidTo, c.Year)
		}
		for _, county := range c.Counties {
			if !is.Serves(county) {
				t.Errorf("code %s: issuer %s does not serve county %s", c.Code, c.IssuerCode, county)
			}
		}
		if !strings.HasPrefix(c.Code, "DC"+c.ProvinceCode+"-") {
			t.Errorf("code %s does not carry its province %s", c.Code, c.ProvinceCode)
		}
	}
	provinces := map[string]bool{"43": true, "37": true, "22": true, "33": true}
	perProvince := map[string]int{}
	for _, p := range ref.Plan {
		is := byCode[p.IssuerCode]
		for prov := range provinces {
			want := 0
			if is.ProvinceCode == prov || is.ProvinceCode == CentralProvince {
				want = 1
			}
			if n := codes[key{prov, p.PlanCode}]; n != want {
				t.Errorf("plan item %s (%s) has %d codes in province %s, want %d", p.PlanCode, p.IssuerCode, n, prov, want)
			}
			perProvince[prov] += want
		}
	}
	if len(ref.InspectionCodes) != 1676 {
		t.Errorf("registry has %d codes, want 1676 (one per plan item and province)", len(ref.InspectionCodes))
	}
	t.Logf("codes per province: %v", perProvince)
}

func TestRegistryMissingIssuersFile(t *testing.T) {
	files := validFiles()
	delete(files, FileIssuers)
	files[FileInspectionCodes] = codesHeader + "2025,DC-1,P-1,HN-YJT,t,2025-01-01,2025-12-31,431024\n"
	dir := writeDir(t, files)
	ref, err := ParseDir(dir)
	if err != nil || len(ref.InspectionCodes) != 1 || ref.InspectionCodes[0].ProvinceCode != "43" {
		t.Fatalf("ParseDir without issuers.csv, counties given: %v, %+v", err, ref)
	}
	if err := os.WriteFile(filepath.Join(dir, FileInspectionCodes), []byte(codesHeader+"2025,DC-1,P-1,HN-YJT,t,2025-01-01,2025-12-31,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseDir(dir); err == nil || !strings.Contains(err.Error(), "issuer HN-YJT is not in issuers.csv") {
		t.Errorf("ParseDir without issuers.csv and counties: %v, want the counties error", err)
	}
}
