package dashboards

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// sdkModule is the Grafana foundation SDK, whose generated types are
// Grafana 12's panel schemas (public/app/plugins/panel/*/panelcfg.cue).
const sdkModule = "github.com/grafana/grafana-foundation-sdk/go"

// schemaEnums reads the SDK's sources and returns, for each enum type of
// the panel schemas (a named string type with constants), its values:
// "common.VizOrientation" → {"auto", "vertical", "horizontal"}.
func schemaEnums(t *testing.T) map[string]map[string]bool {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", sdkModule).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", sdkModule, err)
	}
	dir := strings.TrimSpace(string(out))
	enums := map[string]map[string]bool{}
	for _, pkg := range []string{"common", "dashboard", "stat", "table", "timeseries", "barchart", "piechart"} {
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, pkg, "types_gen.go"), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				v := spec.(*ast.ValueSpec)
				typ, ok := v.Type.(*ast.Ident)
				if !ok || len(v.Values) != 1 {
					continue
				}
				lit, ok := v.Values[0].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				s, _ := strconv.Unquote(lit.Value)
				key := pkg + "." + typ.Name
				if enums[key] == nil {
					enums[key] = map[string]bool{}
				}
				enums[key][s] = true
			}
		}
	}
	if len(enums["common.VizOrientation"]) != 3 {
		t.Fatalf("common.VizOrientation from the SDK: %v", enums["common.VizOrientation"])
	}
	return enums
}

// TestPanelOptionsInSchema: every enum-typed option of every panel
// (options and field config) holds a value of Grafana's schema, never ""
// (an empty stat orientation makes Grafana show one value per row).
func TestPanelOptionsInSchema(t *testing.T) {
	enums := schemaEnums(t)
	checked := map[string]int{}
	for _, p := range Plugins() {
		for _, d := range buildAll(t, p) {
			for _, panel := range allPanels(d.Model) {
				where := p.Short() + " " + d.UID + "/" + *panel.Title
				if panel.Options == nil {
					t.Errorf("%s: no options", where)
				}
				checkEnums(t, where+" options", reflect.ValueOf(panel.Options), enums, checked)
				if panel.FieldConfig != nil {
					checkEnums(t, where+" fieldConfig", reflect.ValueOf(panel.FieldConfig.Defaults.Custom), enums, checked)
				}
			}
		}
	}
	for _, typ := range []string{"common.VizOrientation", "common.BigValueTextMode", "common.BigValueJustifyMode",
		"common.BigValueColorMode", "common.BigValueGraphMode", "common.LegendDisplayMode", "common.LegendPlacement"} {
		if checked[typ] == 0 {
			t.Errorf("no %s checked", typ)
		}
	}
	t.Logf("enum values checked: %v", checked)
}

// checkEnums walks v and checks each value of an SDK enum type.
func checkEnums(t *testing.T, where string, v reflect.Value, enums map[string]map[string]bool, checked map[string]int) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				checkEnums(t, where+"."+v.Type().Field(i).Name, v.Field(i), enums, checked)
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			checkEnums(t, where, v.Index(i), enums, checked)
		}
	case reflect.String:
		typ := v.Type()
		if !strings.HasPrefix(typ.PkgPath(), sdkModule+"/") {
			return
		}
		key := filepath.Base(typ.PkgPath()) + "." + typ.Name()
		values, ok := enums[key]
		if !ok {
			return
		}
		checked[key]++
		if !values[v.String()] {
			t.Errorf("%s: %s %q is not one of Grafana's %v", where, key, v.String(), keys(values))
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
