package rules

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	bw "github.com/burdenwatch/burdenwatch"
)

// DefaultPackFile is the file name of the central pack, which applies to
// every province that has no file of its own.
const DefaultPackFile = "default.json"

//go:embed packs/*.json
var shippedPacks embed.FS

// RuleConfig is one rule as a pack configures it: whether it applies,
// its severity, parameters and citations. Params holds every parameter of
// the rule's ParamSpecs, defaults filled in.
type RuleConfig struct {
	ID        string
	Enabled   bool
	Severity  bw.Severity
	Params    map[string]float64
	Citations []Citation
}

// Param returns the value of parameter name (0 when the rule has none).
func (c RuleConfig) Param(name string) float64 { return c.Params[name] }

// Citation returns the citation text stored in rule results.
func (c RuleConfig) Citation() string { return CitationText(c.Citations) }

// Pack is the rule selection of one province: every rule of the catalog,
// in catalog order, enabled or not, with its parameters.
type Pack struct {
	Province     string // two-digit province code; "" for the central pack
	Name         string // display name, e.g. 湖南省
	BaselineYear int    // year of the 只减不增 baseline; 0 = latest baseline year before the evaluated year
	Rules        []RuleConfig
	Source       string // file the pack was read from; "" when built in
}

// Rule returns the configuration of rule id, and whether the id is known.
func (p Pack) Rule(id string) (RuleConfig, bool) {
	for _, r := range p.Rules {
		if r.ID == id {
			return r, true
		}
	}
	return RuleConfig{}, false
}

// Enabled reports whether rule id applies under the pack.
func (p Pack) Enabled(id string) bool {
	r, ok := p.Rule(id)
	return ok && r.Enabled
}

// DefaultPack is the built-in central pack: every rule on, default
// parameters, severities and citations, no baseline year.
func DefaultPack() Pack {
	p := Pack{Name: "默认（中央）规则包"}
	for _, info := range catalog {
		p.Rules = append(p.Rules, defaultConfig(info))
	}
	return p
}

func defaultConfig(info RuleInfo) RuleConfig {
	c := RuleConfig{
		ID:        info.ID,
		Enabled:   true,
		Severity:  info.Severity,
		Params:    make(map[string]float64, len(info.Params)),
		Citations: append([]Citation(nil), info.Citations...),
	}
	for _, ps := range info.Params {
		c.Params[ps.Name] = ps.Default
	}
	return c
}

// Packs holds the central pack and the provinces' packs.
type Packs struct {
	Default    Pack
	ByProvince map[string]Pack
}

// For returns the pack of province, or the central pack (with Province
// set to province) when the province has none.
func (p Packs) For(province string) Pack {
	if pk, ok := p.ByProvince[province]; ok {
		return pk
	}
	d := p.Default
	if d.Rules == nil {
		d = DefaultPack()
	}
	d.Province = province
	return d
}

// LoadPacks reads every *.json rule pack of dir: default.json (optional;
// the built-in DefaultPack otherwise) and one file per province named
// after its code, e.g. 43.json. Files in other formats (*.yaml, *.yml,
// *.toml) are rejected; other files are ignored. Every problem of every
// file is reported, each with the file and line.
func LoadPacks(dir string) (Packs, error) {
	p, err := loadPacksFS(os.DirFS(dir), dir)
	if err != nil {
		return Packs{}, fmt.Errorf("load rule packs from %s: %w", dir, err)
	}
	return p, nil
}

// ShippedPacks returns the packs shipped with BurdenWatch (rules/packs):
// the central pack and Hunan 43, Shandong 37, Jilin 22, Zhejiang 33.
func ShippedPacks() (Packs, error) {
	sub, err := fs.Sub(shippedPacks, "packs")
	if err != nil {
		return Packs{}, fmt.Errorf("shipped rule packs: %w", err)
	}
	p, err := loadPacksFS(sub, "rules/packs")
	if err != nil {
		return Packs{}, fmt.Errorf("shipped rule packs: %w", err)
	}
	return p, nil
}

func loadPacksFS(fsys fs.FS, dir string) (Packs, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return Packs{}, fmt.Errorf("list directory: %w", err)
	}
	packs := Packs{Default: DefaultPack(), ByProvince: map[string]Pack{}}
	var errs []error
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := e.Name()
		switch path.Ext(name) {
		case ".yaml", ".yml", ".toml":
			errs = append(errs, fmt.Errorf("%s: unsupported rule pack format (packs are JSON)", path.Join(dir, name)))
			continue
		case ".json":
		default:
			continue
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("read %s: %w", path.Join(dir, name), err))
			continue
		}
		pk, err := ParsePack(path.Join(dir, name), data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := checkFileName(name, pk); err != nil {
			errs = append(errs, err)
			continue
		}
		if pk.Province == "" {
			packs.Default = pk
		} else {
			packs.ByProvince[pk.Province] = pk
		}
	}
	if len(errs) > 0 {
		return Packs{}, errors.Join(errs...)
	}
	return packs, nil
}

func checkFileName(name string, pk Pack) error {
	stem := strings.TrimSuffix(name, ".json")
	switch {
	case name == DefaultPackFile && pk.Province != "":
		return fmt.Errorf("%s: the central pack must not set \"province\" (got %q)", pk.Source, pk.Province)
	case name != DefaultPackFile && stem != pk.Province:
		return fmt.Errorf("%s: file name must be the province code: \"province\" is %q, want %q", pk.Source, pk.Province, stem)
	}
	return nil
}

// packJSON is the on-disk form of a pack, used to write the shipped files.
type packJSON struct {
	Province     string     `json:"province,omitempty"`
	Name         string     `json:"name,omitempty"`
	BaselineYear int        `json:"baseline_year,omitempty"`
	Rules        []ruleJSON `json:"rules"`
}

// ruleJSON is the on-disk form of one rule entry.
type ruleJSON struct {
	ID        string                     `json:"id"`
	Enabled   *bool                      `json:"enabled,omitempty"`
	Severity  bw.Severity                `json:"severity,omitempty"`
	Params    map[string]json.RawMessage `json:"params,omitempty"`
	Citations []Citation                 `json:"citations,omitempty"`
}

// jsonFile locates byte offsets of one file as lines for error messages.
type jsonFile struct {
	name string
	data []byte
}

func (f *jsonFile) line(off int64) int {
	if off > int64(len(f.data)) {
		off = int64(len(f.data))
	}
	if off < 0 {
		off = 0
	}
	return 1 + bytes.Count(f.data[:off], []byte{'\n'})
}

func (f *jsonFile) errorf(off int64, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", f.name, f.line(off), fmt.Sprintf(format, args...))
}

// skip returns the offset of the next token at or after off, past
// white space and the separators ':' and ','.
func (f *jsonFile) skip(off int64) int64 {
	for off < int64(len(f.data)) && strings.IndexByte(" \t\r\n:,", f.data[off]) >= 0 {
		off++
	}
	return off
}

// ParsePack parses and validates one JSON rule pack; name is used in
// error messages, which carry the line of each problem. Rules the file
// does not list stay enabled with their defaults.
func ParsePack(name string, data []byte) (Pack, error) {
	f := &jsonFile{name: name, data: data}
	var probe json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return Pack{}, f.errorf(se.Offset, "malformed JSON: %v", err)
		}
		return Pack{}, fmt.Errorf("%s: malformed JSON: %w", name, err)
	}
	pk, errs := f.parse()
	if len(errs) > 0 {
		return Pack{}, errors.Join(errs...)
	}
	pk.Source = name
	return pk, nil
}

// parse walks the top-level object of a syntactically valid file.
func (f *jsonFile) parse() (Pack, []error) {
	dec := json.NewDecoder(bytes.NewReader(f.data))
	if tok, _ := dec.Token(); tok != json.Delim('{') {
		return Pack{}, []error{f.errorf(0, "a rule pack must be a JSON object")}
	}
	pk := DefaultPack()
	pk.Name = ""
	var errs []error
	seenRules := false
	for dec.More() {
		keyOff := f.skip(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return Pack{}, []error{f.errorf(keyOff, "%v", err)}
		}
		key, _ := tok.(string)
		valOff := f.skip(dec.InputOffset())
		switch key {
		case "province":
			err = f.decodeProvince(dec, valOff, &pk.Province)
		case "name":
			err = f.decodeValue(dec, valOff, key, &pk.Name)
		case "baseline_year":
			err = f.decodeBaselineYear(dec, valOff, &pk.BaselineYear)
		case "rules":
			seenRules = true
			var rerrs []error
			pk.Rules, rerrs = f.parseRules(dec, valOff)
			errs = append(errs, rerrs...)
			continue
		default:
			return Pack{}, append(errs, f.errorf(keyOff, "unknown field %q (want province, name, baseline_year, rules)", key))
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if !seenRules {
		errs = append(errs, f.errorf(0, "missing \"rules\" list"))
	}
	return pk, errs
}

func (f *jsonFile) decodeValue(dec *json.Decoder, off int64, key string, v any) error {
	if err := dec.Decode(v); err != nil {
		return f.errorf(off, "field %q: %v", key, err)
	}
	return nil
}

func (f *jsonFile) decodeProvince(dec *json.Decoder, off int64, dst *string) error {
	if err := f.decodeValue(dec, off, "province", dst); err != nil {
		return err
	}
	if s := *dst; s != "" && (len(s) != 2 || strings.Trim(s, "0123456789") != "") {
		return f.errorf(off, "field \"province\": %q is not a two-digit province code", s)
	}
	return nil
}

func (f *jsonFile) decodeBaselineYear(dec *json.Decoder, off int64, dst *int) error {
	if err := f.decodeValue(dec, off, "baseline_year", dst); err != nil {
		return err
	}
	if y := *dst; y != 0 && (y < 2000 || y > 2100) {
		return f.errorf(off, "field \"baseline_year\": %d out of range (0 or 2000–2100)", y)
	}
	return nil
}

// parseRules reads the "rules" array: each entry is decoded strictly and
// validated; the result holds every catalog rule in catalog order.
func (f *jsonFile) parseRules(dec *json.Decoder, off int64) ([]RuleConfig, []error) {
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return DefaultPack().Rules, []error{f.errorf(off, "field \"rules\" must be a list of rule entries")}
	}
	byID := map[string]RuleConfig{}
	var errs, unknown []error
	for dec.More() {
		entryOff := f.skip(dec.InputOffset())
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return DefaultPack().Rules, append(errs, f.errorf(entryOff, "rule entry: %v", err))
		}
		rc, err := f.parseRule(raw, entryOff)
		switch {
		case errors.Is(err, errUnknownRule):
			unknown = append(unknown, err)
		case err != nil:
			errs = append(errs, err)
		case byID[rc.ID].ID != "":
			errs = append(errs, f.errorf(entryOff, "rule %q listed twice", rc.ID))
		default:
			byID[rc.ID] = rc
		}
	}
	if _, err := dec.Token(); err != nil {
		errs = append(errs, f.errorf(off, "field \"rules\": %v", err))
	}
	out := make([]RuleConfig, 0, len(catalog))
	for _, info := range catalog {
		if rc, ok := byID[info.ID]; ok {
			out = append(out, rc)
		} else {
			out = append(out, defaultConfig(info))
		}
	}
	return out, append(unknown, errs...)
}

var errUnknownRule = errors.New("unknown rule id")

// parseRule decodes and validates one rule entry found at offset off.
func (f *jsonFile) parseRule(raw json.RawMessage, off int64) (RuleConfig, error) {
	var rj ruleJSON
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&rj); err != nil {
		return RuleConfig{}, f.errorf(off, "rule entry: %v", err)
	}
	info, ok := ruleInfo(rj.ID)
	if !ok {
		return RuleConfig{}, fmt.Errorf("%w: %s", errUnknownRule, f.errorf(off, "unknown rule id %q", rj.ID))
	}
	rc := defaultConfig(info)
	if rj.Enabled != nil {
		rc.Enabled = *rj.Enabled
	}
	if err := f.applySeverity(&rc, rj.Severity, off); err != nil {
		return RuleConfig{}, err
	}
	if err := f.applyParams(&rc, info, rj.Params, raw, off); err != nil {
		return RuleConfig{}, err
	}
	if err := f.applyCitations(&rc, rj.Citations, off); err != nil {
		return RuleConfig{}, err
	}
	return rc, nil
}

func (f *jsonFile) applySeverity(rc *RuleConfig, s bw.Severity, off int64) error {
	switch s {
	case "":
	case bw.SeverityViolation, bw.SeverityWarning:
		rc.Severity = s
	default:
		return f.errorf(off, "rule %s: severity %q (want violation or warning)", rc.ID, s)
	}
	return nil
}

func (f *jsonFile) applyParams(rc *RuleConfig, info RuleInfo, params map[string]json.RawMessage, raw []byte, off int64) error {
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	sort.Strings(names)
	var errs []error
	for _, name := range names {
		at := off + int64(max(0, bytes.Index(raw, []byte(strconv.Quote(name)))))
		spec, ok := paramSpec(info, name)
		if !ok {
			errs = append(errs, f.errorf(at, "rule %s: unknown parameter %q (known: %s)", rc.ID, name, paramNames(info)))
			continue
		}
		v, err := paramValue(params[name])
		if err == nil {
			err = spec.check(v)
		}
		if err != nil {
			errs = append(errs, f.errorf(at, "rule %s: parameter %q: %v", rc.ID, name, err))
			continue
		}
		rc.Params[name] = v
	}
	return errors.Join(errs...)
}

func (f *jsonFile) applyCitations(rc *RuleConfig, cs []Citation, off int64) error {
	if cs == nil {
		return nil
	}
	if len(cs) == 0 {
		return f.errorf(off, "rule %s: \"citations\" is empty (omit it to use the catalog's)", rc.ID)
	}
	for _, c := range cs {
		if !knownSeeds[c.Seed] {
			return f.errorf(off, "rule %s: citation names unknown seed file %q", rc.ID, c.Seed)
		}
		if !strings.Contains(c.Text, "《") {
			return f.errorf(off, "rule %s: citation %q does not name a regulation 《…》", rc.ID, c.Text)
		}
	}
	rc.Citations = append([]Citation(nil), cs...)
	return nil
}

func paramSpec(info RuleInfo, name string) (ParamSpec, bool) {
	for _, ps := range info.Params {
		if ps.Name == name {
			return ps, true
		}
	}
	return ParamSpec{}, false
}

func paramNames(info RuleInfo) string {
	if len(info.Params) == 0 {
		return "none"
	}
	names := make([]string, len(info.Params))
	for i, ps := range info.Params {
		names[i] = ps.Name
	}
	return strings.Join(names, ", ")
}

// paramValue reads a JSON number or a string fraction "n/d".
func paramValue(raw json.RawMessage) (float64, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		num, den, ok := strings.Cut(s, "/")
		if !ok {
			return 0, fmt.Errorf("%q is not a number or a fraction n/d", s)
		}
		n, err1 := strconv.ParseFloat(strings.TrimSpace(num), 64)
		d, err2 := strconv.ParseFloat(strings.TrimSpace(den), 64)
		if err1 != nil || err2 != nil || d == 0 {
			return 0, fmt.Errorf("%q is not a fraction n/d", s)
		}
		return n / d, nil
	}
	var v float64
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, fmt.Errorf("%s is not a number", raw)
	}
	return v, nil
}

func (ps ParamSpec) check(v float64) error {
	switch {
	case math.IsNaN(v) || v < ps.Min || v > ps.Max:
		return fmt.Errorf("%v out of range [%v, %v]", v, ps.Min, ps.Max)
	case ps.Integer && v != math.Trunc(v):
		return fmt.Errorf("%v is not a whole number", v)
	}
	return nil
}

// encodePack writes a pack in the on-disk form, every rule listed with
// its parameters and citations (used to generate the shipped packs).
func encodePack(p Pack) ([]byte, error) {
	pj := packJSON{Province: p.Province, Name: p.Name, BaselineYear: p.BaselineYear}
	for _, rc := range p.Rules {
		enabled := rc.Enabled
		rj := ruleJSON{ID: rc.ID, Enabled: &enabled, Severity: rc.Severity, Citations: rc.Citations}
		info, _ := ruleInfo(rc.ID)
		for _, ps := range info.Params {
			if rj.Params == nil {
				rj.Params = map[string]json.RawMessage{}
			}
			rj.Params[ps.Name] = encodeParam(rc.Params[ps.Name])
		}
		pj.Rules = append(pj.Rules, rj)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(pj); err != nil {
		return nil, fmt.Errorf("encode pack %q: %w", p.Province, err)
	}
	return buf.Bytes(), nil
}

// encodeParam writes 1/3 as the fraction "1/3", other values as numbers.
func encodeParam(v float64) json.RawMessage {
	if v == 1.0/3 {
		return json.RawMessage(`"1/3"`)
	}
	return json.RawMessage(strconv.FormatFloat(v, 'f', -1, 64))
}
