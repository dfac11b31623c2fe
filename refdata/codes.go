package refdata

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/burdenwatch/burdenwatch"
)

// FileInspectionCodes is the code registry (赋码, 一事一码) of SPEC §3.
const FileInspectionCodes = "inspection_codes.csv"

var headerInspectionCodes = []string{"year", "inspection_code", "plan_code", "issuer_code", "title", "valid_from", "valid_to", "counties"}

// ParseInspectionCodes parses inspection_codes.csv of fsys (optional;
// missing = no registry, so inspection.code_invalid is not evaluated).
//
// Each entry's ProvinceCode, the province whose registry it belongs to, is
// the province of its counties when it lists any (they must all lie in one
// province), else the province of its issuer in issuerProvince (from
// issuers.csv). An entry with neither — no counties and an issuer that is
// central or unknown — is an error: a registry is kept per province.
// Codes are unique within a year; valid_from ≤ valid_to, and the window
// touches the year. The plan code is not checked against the plan list: an
// entry naming an unplanned item is what the verify check "planned" finds.
func ParseInspectionCodes(fsys fs.FS, loc *time.Location, issuerProvince map[string]string) ([]burdenwatch.InspectionCode, error) {
	f, recs, _ := readFile(fsys, FileInspectionCodes, headerInspectionCodes, false)
	var out []burdenwatch.InspectionCode
	seen := map[string]int{}
	for _, r := range recs {
		c := burdenwatch.InspectionCode{
			Year:       r.year(0),
			Code:       r.code(1),
			PlanCode:   r.code(2),
			IssuerCode: r.code(3),
			Title:      r.text(4, true),
			ValidFrom:  r.date(5, loc),
			ValidTo:    r.date(6, loc),
			Counties:   r.counties(7),
		}
		r.validity(c)
		c.ProvinceCode = r.codeProvince(c, issuerProvince)
		r.unique(seen, strconv.Itoa(c.Year)+"/"+c.Code, 1, "year and inspection_code")
		out = append(out, c)
	}
	return out, f.err()
}

// counties returns column col, a ';'-separated list of distinct county
// codes of one province; empty = any county.
func (r record) counties(col int) []string {
	s := r.fields[col]
	if s == "" {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if !allDigits(part, 6) || part[4:] == "00" || part[2:4] == "00" || !provinceCodes[part[:2]] {
			r.fail(col, fmt.Sprintf("%q is not a 6-digit county-level code (list county codes separated by ';')", part))
			continue
		}
		if seen[part] {
			r.fail(col, fmt.Sprintf("county %s listed twice", part))
			continue
		}
		if len(out) > 0 && out[0][:2] != part[:2] {
			r.fail(col, fmt.Sprintf("counties %s and %s lie in different provinces; a code is registered in one province", out[0], part))
			continue
		}
		seen[part] = true
		out = append(out, part)
	}
	sort.Strings(out)
	return out
}

// validity checks that the window is ordered and touches the year.
func (r record) validity(c burdenwatch.InspectionCode) {
	if c.ValidFrom.IsZero() || c.ValidTo.IsZero() || c.Year == 0 {
		return // already reported
	}
	if c.ValidTo.Before(c.ValidFrom) {
		r.fail(6, "is before valid_from "+r.fields[5])
		return
	}
	if c.ValidFrom.Year() > c.Year || c.ValidTo.Year() < c.Year {
		r.fail(5, fmt.Sprintf("window %s..%s does not touch year %d", r.fields[5], r.fields[6], c.Year))
	}
}

// codeProvince derives the province of the entry (see ParseInspectionCodes).
func (r record) codeProvince(c burdenwatch.InspectionCode, issuerProvince map[string]string) string {
	if len(c.Counties) > 0 {
		p := c.Counties[0][:2]
		if ip := issuerProvince[c.IssuerCode]; ip != "" && ip != CentralProvince && ip != p {
			r.fail(7, fmt.Sprintf("counties lie in province %s but issuer %s belongs to province %s", p, c.IssuerCode, ip))
		}
		return p
	}
	switch ip := issuerProvince[c.IssuerCode]; ip {
	case "":
		r.fail(7, fmt.Sprintf("must list the counties: issuer %s is not in %s, so the code's province is unknown", c.IssuerCode, FileIssuers))
	case CentralProvince:
		r.fail(7, fmt.Sprintf("must list the counties: issuer %s is central, so the code's province is unknown", c.IssuerCode))
	default:
		return ip
	}
	return ""
}

// issuerProvinces reads issuers.csv of fsys when present and maps each
// issuer code to its province (CentralProvince for central issuers).
func issuerProvinces(fsys fs.FS) (map[string]string, error) {
	if _, err := fs.Stat(fsys, FileIssuers); errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	issuers, err := ParseIssuersFS(fsys, FileIssuers)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(issuers))
	for _, is := range issuers {
		out[is.Code] = is.ProvinceCode
	}
	return out, nil
}

// Registry indexes the code registry of one province-year by code.
type Registry map[string]*burdenwatch.InspectionCode

// RegistryFor returns the registry entries of province and year in ref, by
// code; nil when the province-year has no registry (SPEC §3: the checks
// that need one are then not evaluated).
func RegistryFor(ref *burdenwatch.ReferenceData, province string, year int) Registry {
	var reg Registry
	for i := range ref.InspectionCodes {
		c := &ref.InspectionCodes[i]
		if c.ProvinceCode == province && c.Year == year {
			if reg == nil {
				reg = Registry{}
			}
			reg[c.Code] = c
		}
	}
	return reg
}
