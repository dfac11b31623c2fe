package rules

import (
	"os"
	"strings"
	"testing"
)

const (
	docsPath       = "../docs/rules.md"
	tableBeginMark = "<!-- rules-table:begin (generated: go test ./rules -run TestDocsTable -update) -->"
	tableEndMark   = "<!-- rules-table:end -->"
)

// docsTable renders the catalog as the Markdown table of docs/rules.md.
func docsTable() string {
	var b strings.Builder
	b.WriteString("| id | 中文名称 | scope | default limit | severity | citation (seed file) |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, r := range Catalog() {
		var cites []string
		for _, c := range r.Citations {
			cites = append(cites, c.Text+" (`"+c.Seed+"`)")
		}
		b.WriteString("| `" + r.ID + "` | " + r.Name + " | " + string(r.Scope) + " | " + r.Limit + " | " +
			string(r.Severity) + " | " + strings.Join(cites, "<br>") + " |\n")
	}
	return b.String()
}

// TestDocsTable keeps the rule table of docs/rules.md in step with the
// catalog.
func TestDocsTable(t *testing.T) {
	data, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	begin, end := strings.Index(doc, tableBeginMark), strings.Index(doc, tableEndMark)
	if begin < 0 || end < begin {
		t.Fatalf("%s lacks the table markers", docsPath)
	}
	want := doc[:begin] + tableBeginMark + "\n" + docsTable() + doc[end:]
	if *update {
		if err := os.WriteFile(docsPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if doc != want {
		t.Errorf("%s rule table is stale; run go test ./rules -run TestDocsTable -update", docsPath)
	}
}
