package serve

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"sort"

	bw "github.com/burdenwatch/burdenwatch"
)

//go:embed templates/verify.html
var templates embed.FS

// maxUnitsPerCounty bounds the unit picker of one county, so the page of a
// code valid in ten counties stays small on a phone (other units are typed).
const maxUnitsPerCounty = 40

// checkNames are the Chinese names of the checks on the page.
var checkNames = map[string]string{
	CheckRegistered: "赋码登记", CheckValidPeriod: "有效期", CheckTarget: "督查对象", CheckPlanned: "计划内督查",
	CheckVisitCap: "频次限制", CheckNoMeetingMonth: "无会月", CheckExempt: "免督查", CheckCrowding: "扎堆提示",
}

// CheckName is the Chinese name of check id (e.g. 频次限制 for visit_cap).
func CheckName(id string) string { return checkNames[id] }

// VerdictText is the Chinese verdict shown to the unit.
func VerdictText(v bw.Verdict) string {
	if v == bw.VerdictAccept {
		return "可以接受"
	}
	return "可不予配合"
}

// pageRenderer renders the phone page.
type pageRenderer struct{ t *template.Template }

func newPageRenderer() (*pageRenderer, error) {
	t, err := template.New("verify.html").Funcs(template.FuncMap{
		"checkName":  func(id string) string { return checkNames[id] },
		"checkClass": checkClass,
		"checkIcon": func(c Check) string {
			return map[string]string{"pass": "✓", "fail": "✗", "warn": "!", "skip": "–"}[checkClass(c)]
		},
		"levelName": func(l string) string {
			return map[string]string{"county": "", "township": "·乡镇", "village": "·村"}[l]
		},
	}).ParseFS(templates, "templates/verify.html")
	if err != nil {
		return nil, err
	}
	return &pageRenderer{t: t}, nil
}

func checkClass(c Check) string {
	switch {
	case c.Skipped:
		return "skip"
	case c.OK:
		return "pass"
	case c.Refuse:
		return "fail"
	default:
		return "warn"
	}
}

// pageData is what the page template shows.
type pageData struct {
	Code   string
	Path   string
	Unit   string
	At     string // the at parameter as given, kept across forms
	Error  string
	Answer *Answer
	Groups []unitGroup
	// Checks are the answer's checks, failed ones first; Refused are the
	// failed refusing checks, shown in the verdict banner.
	Checks  []Check
	Refused []Check
	// Entry is the code's registry entry, shown before a unit is chosen.
	Entry *CodeInfo
}

// order puts failed checks first, then warnings, passed and skipped ones.
func (d *pageData) order() {
	rank := map[string]int{"fail": 0, "warn": 1, "pass": 2, "skip": 3}
	d.Checks = append([]Check(nil), d.Answer.Checks...)
	sort.SliceStable(d.Checks, func(i, j int) bool { return rank[checkClass(d.Checks[i])] < rank[checkClass(d.Checks[j])] })
	for _, c := range d.Checks {
		if checkClass(c) == "fail" {
			d.Refused = append(d.Refused, c)
		}
	}
}

// unitGroup is one county of the unit picker.
type unitGroup struct {
	County string
	Name   string
	Units  []unitOption
}

type unitOption struct {
	Code     string
	Label    string
	Selected bool
}

// verifyPage is GET /verify/{code}[?unit=U&at=…]: the phone page a unit
// sees after scanning the QR code.
func (s *Server) verifyPage(w http.ResponseWriter, r *http.Request) string {
	if s.notReady(w) {
		return ""
	}
	code := r.PathValue("code")
	d := pageData{Code: code, Path: r.URL.Path, Unit: r.URL.Query().Get("unit"), At: r.URL.Query().Get("at")}
	status, verdict := http.StatusOK, ""
	if d.Unit != "" || d.At != "" {
		q, err := s.query(r, code)
		var ie *InputError
		switch {
		case errors.As(err, &ie):
			status, d.Error = http.StatusBadRequest, ie.Error()
		case err != nil:
			status, d.Error = http.StatusBadRequest, err.Error()
		default:
			a := s.cfg.Index.Verify(q)
			d.Answer, verdict = &a, string(a.Verdict)
			d.order()
		}
	} else if !validCode(code) {
		status, d.Error = http.StatusBadRequest, (&InputError{"code", truncate(code, 80), "督查编码应为 1–64 位字母、数字或 . _ : -"}).Error()
	}
	d.Groups = s.unitGroups(code, d.Unit)
	if d.Answer == nil {
		d.Entry = s.entryInfo(code)
	}
	var buf bytes.Buffer
	if err := s.page.t.Execute(&buf, d); err != nil {
		s.cfg.Log.Error("render verify page", "code", code, "err", err)
		writeError(w, http.StatusInternalServerError, "", "", "页面生成失败")
		return ""
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; form-action 'self'")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return verdict
}

// unitGroups lists the counties the code may visit (its counties, else
// the observation counties of its province) with the units seen in their
// inspection events.
func (s *Server) unitGroups(code, selected string) []unitGroup {
	ref, entry := s.pageEntry(code)
	if entry == nil {
		return nil
	}
	var out []unitGroup
	for _, c := range ref.entryCounties(entry) {
		p, ok := ref.points[c]
		if !ok {
			continue
		}
		g := unitGroup{County: c, Name: p.CountyName}
		units := s.cfg.Index.Units(c)
		if len(units) == 0 || units[0] != c {
			units = append([]string{c}, units...)
		}
		for i, u := range units {
			if i >= maxUnitsPerCounty && u != selected {
				continue
			}
			label := u + " " + levelLabel(u, p.CountyName)
			g.Units = append(g.Units, unitOption{Code: u, Label: label, Selected: u == selected})
		}
		out = append(out, g)
	}
	return out
}

// pageEntry is the entry the page describes before a unit is chosen: the
// code's entry of the current year, else of the latest year it has one.
func (s *Server) pageEntry(code string) (*Reference, *bw.InspectionCode) {
	ref := s.cfg.Index.Reference()
	e, _ := ref.entry(code, s.cfg.Now().In(s.cfg.Location).Year())
	if e == nil {
		e = ref.anyEntry(code)
	}
	return ref, e
}

// entryInfo describes the code's entry of the current year (else of its
// latest year) for the page shown before a unit is chosen.
func (s *Server) entryInfo(code string) *CodeInfo {
	ref, e := s.pageEntry(code)
	if e == nil {
		return nil
	}
	c := &CodeInfo{Year: e.Year, Code: e.Code, PlanCode: e.PlanCode, IssuerCode: e.IssuerCode,
		IssuerName: s.cfg.Index.IssuerName(e.IssuerCode), Title: e.Title, ValidFrom: day(e.ValidFrom), ValidTo: day(e.ValidTo)}
	if p, ok := ref.plan[planKey{e.Year, e.IssuerCode, e.PlanCode}]; ok {
		c.PlanTitle = p.Title
	}
	return c
}

func levelLabel(unit, countyName string) string {
	switch len(unit) {
	case 6:
		return countyName + "（县级）"
	case 9:
		return "乡镇/街道"
	default:
		return "村/社区"
	}
}

// entryCounties are the counties code entry e may visit: its list, else
// the observation counties of its province, sorted.
func (r *Reference) entryCounties(e *bw.InspectionCode) []string {
	if len(e.Counties) > 0 {
		return e.Counties
	}
	var out []string
	for c, p := range r.points {
		if p.ProvinceCode == e.ProvinceCode {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

// anyEntry returns the code's entry of the latest year it is registered
// in, for the unit picker when the current year has none.
func (r *Reference) anyEntry(code string) *bw.InspectionCode {
	var best *bw.InspectionCode
	for _, c := range r.codes[code] {
		if best == nil || c.Year > best.Year {
			best = c
		}
	}
	return best
}
