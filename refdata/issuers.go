package refdata

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/burdenwatch/burdenwatch"
)

// CentralProvince is the province_code of central issuers (国务院办公厅,
// 应急管理部 …) in issuers.csv: they act in every province.
const CentralProvince = "00"

// Issuer is an issuing body of issuers.csv: the burdenwatch.Issuer written
// in events, the province it belongs to and, below province level, the
// division it governs.
//
// The issuer code of a city, county or township issuer contains the
// statistical code of its division as one dash-separated part: 4 digits
// for a city (HN-4304-YJJ, 衡阳市应急管理局), 6 for a county
// (HN-431024-XWB, 嘉禾县委办公室), 9 for a township.
type Issuer struct {
	burdenwatch.Issuer
	ProvinceCode string // 2 digits; CentralProvince for central issuers
	Division     string // city, county or township code; empty for central and province issuers
}

// Serves reports whether the issuer's burdens can land on county: central
// issuers serve every county, the others the counties of their province,
// city or county (a township issuer serves its own county).
func (is Issuer) Serves(county string) bool {
	switch {
	case is.ProvinceCode == CentralProvince:
		return true
	case is.Division != "":
		n := min(len(is.Division), len(county))
		return strings.HasPrefix(county, is.Division[:n])
	default:
		return strings.HasPrefix(county, is.ProvinceCode)
	}
}

// divisionDigits is the length of the division code embedded in the
// issuer code of each level.
var divisionDigits = map[string]int{"city": 4, "county": 6, "township": 9}

// ParseIssuers reads and validates the issuers file at path
// (province_code,issuer_code,name,level,kind).
func ParseIssuers(path string) ([]Issuer, error) {
	out, err := ParseIssuersFS(os.DirFS(filepath.Dir(path)), filepath.Base(path))
	if err != nil {
		return nil, fmt.Errorf("issuers in %s: %w", filepath.Dir(path), err)
	}
	return out, nil
}

// ParseIssuersFS reads and validates the issuers file name of fsys. Codes
// are unique; central issuers have province_code 00 and level central;
// city, county and township issuers carry their division code in the
// issuer code, inside their province.
func ParseIssuersFS(fsys fs.FS, name string) ([]Issuer, error) {
	f, recs, ok := readFile(fsys, name, headerIssuers, true)
	if !ok {
		return nil, f.err()
	}
	var out []Issuer
	seen := map[string]int{}
	for _, r := range recs {
		is := Issuer{ProvinceCode: r.issuerProvince(0)}
		is.Code = r.code(1)
		is.Name = r.text(2, true)
		is.Level = r.enum(3, "central", "province", "city", "county", "township")
		is.Kind = r.enum(4, "party", "government", "department", "coordination_body")
		is.Division = r.issuerDivision(is)
		r.unique(seen, is.Code, 1, "issuer_code")
		out = append(out, is)
	}
	return out, f.err()
}

func (r record) issuerProvince(col int) string {
	if r.fields[col] == CentralProvince {
		return CentralProvince
	}
	return r.province(col)
}

// issuerDivision checks that the level agrees with the province code and
// returns the division code embedded in the issuer code.
func (r record) issuerDivision(is Issuer) string {
	central := is.ProvinceCode == CentralProvince
	if central != (is.Level == "central") {
		r.fail(3, "level central goes with province_code "+CentralProvince+" and only with it")
		return ""
	}
	n, ok := divisionDigits[is.Level]
	if !ok {
		return ""
	}
	for _, part := range strings.Split(is.Code, "-") {
		if allDigits(part, n) && strings.HasPrefix(part, is.ProvinceCode) {
			return part
		}
	}
	r.fail(1, fmt.Sprintf("a %s issuer's code must contain its %d-digit division code of province %s as a dash-separated part", is.Level, n, is.ProvinceCode))
	return ""
}

// CheckPlanIssuers reports plan items whose issuer is not in issuers.
func CheckPlanIssuers(plan []burdenwatch.PlanItem, issuers []Issuer) error {
	known := make(map[string]bool, len(issuers))
	for _, is := range issuers {
		known[is.Code] = true
	}
	var errs []error
	for _, p := range plan {
		if !known[p.IssuerCode] {
			errs = append(errs, fmt.Errorf("%s: plan item %s (%d): issuer %q is not in %s", FilePlan, p.PlanCode, p.Year, p.IssuerCode, FileIssuers))
		}
	}
	return errors.Join(errs...)
}
