package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// Files written beside the Parquet files.
const (
	dictionaryMD  = "DATA_DICTIONARY.md"
	dictionaryCSV = "DATA_DICTIONARY.csv"
)

// manifestFormat identifies the layout of the dataset.
const manifestFormat = "burdenwatch-export/1"

// dictEntry is one line of the data dictionary.
type dictEntry struct {
	table    string
	col      column
	typ      string // Parquet type as written; empty when left out
	nullable bool
}

// dictionary lists every column of every table, in schema order, with the
// left-out columns last.
func dictionary(exps []exporter, f filter) []dictEntry {
	var out []dictEntry
	for _, e := range exps {
		schema := schemaOf(e.model, e.doc, f)
		for _, fld := range schema.Fields() {
			out = append(out, dictEntry{table: e.doc.name, col: docOf(e.doc, fld.Name()),
				typ: parquetType(fld), nullable: fld.Optional()})
		}
		for _, c := range e.doc.columns {
			if c.redact && f.redact {
				out = append(out, dictEntry{table: e.doc.name, col: c})
			}
		}
	}
	return out
}

// docOf finds the documentation of a column; a column without one is a
// programming error that the tests catch, shown here as "?".
func docOf(doc *tableDoc, name string) column {
	for _, c := range doc.columns {
		if c.name == name {
			return c
		}
	}
	return column{name: name, zh: "?", en: "?"}
}

// parquetType names the type of a schema field as a reader sees it.
func parquetType(n parquet.Node) string {
	var v format.LogicalTypeValue
	if lt := n.Type().LogicalType(); lt != nil {
		v = lt.Value
	}
	switch v.(type) {
	case *format.ListType:
		return "LIST<" + parquetType(n.Fields()[0].Fields()[0]) + ">"
	case *format.StringType:
		return "STRING"
	case *format.TimestampType:
		return "TIMESTAMP(MILLIS, UTC)"
	}
	return n.Type().Kind().String()
}

// writeDictionary writes DATA_DICTIONARY.md and DATA_DICTIONARY.csv.
func writeDictionary(root string, exps []exporter, f filter, sum *Summary) error {
	entries := dictionary(exps, f)
	if err := writeFile(filepath.Join(root, dictionaryMD), dictionaryMarkdown(exps, entries, f, sum)); err != nil {
		return err
	}
	data, err := dictionaryCSVBytes(entries)
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(root, dictionaryCSV), data)
}

// dictionaryCSVBytes is the CSV dictionary, UTF-8 with a byte order mark so
// that spreadsheet programs show the Chinese text.
func dictionaryCSVBytes(entries []dictEntry) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("\ufeff")
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"table", "column", "type", "nullable", "meaning_zh", "meaning_en", "unit", "included"})
	for _, e := range entries {
		included := "yes"
		if e.typ == "" {
			included = "no (redacted)"
		}
		_ = w.Write([]string{e.table, e.col.name, e.typ, yesNo(e.nullable), e.col.zh, e.col.en, e.col.unit, included})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("export: data dictionary CSV: %w", err)
	}
	return b.Bytes(), nil
}

// dictionaryMarkdown is the human-readable dictionary.
func dictionaryMarkdown(exps []exporter, entries []dictEntry, f filter, sum *Summary) []byte {
	var b strings.Builder
	b.WriteString("# BurdenWatch 研究数据集数据字典 / Research dataset data dictionary\n\n")
	fmt.Fprintf(&b, "- 省份 / province: %s\n", orAll(f.province))
	fmt.Fprintf(&b, "- 月份 / month: %s\n", orAll(sum.month))
	fmt.Fprintf(&b, "- 脱敏 / redacted: %s\n", yesNo(f.redact))
	b.WriteString("- 布局 / layout: `table=<表>/month=YYYY-MM/part-N.parquet`（Hive 分区 / Hive partitioning），zstd 压缩 / compression\n")
	b.WriteString("- 时间列为 UTC 毫秒时间戳，按北京时间（Asia/Shanghai）解读；月份均按北京时间划分。\n")
	b.WriteString("  Timestamps are UTC milliseconds; read them in Asia/Shanghai. Months are calendar months in Asia/Shanghai.\n")
	b.WriteString("- 空值（null）表示不适用或无定义，例如会议事件的 pages、分母为零的比率。\n")
	b.WriteString("  Null means not applicable or undefined, e.g. pages of a meeting, a share with a zero denominator.\n")
	for _, e := range exps {
		dictionaryTable(&b, e.doc, entries, sum)
	}
	if f.redact {
		b.WriteString("\n## 脱敏导出省略的列 / Columns left out of this redacted export\n\n")
		b.WriteString("姓名、名称与自由文本字段未写入文件 / names and free-text fields are not in the files:\n\n")
		for _, e := range entries {
			if e.typ == "" {
				fmt.Fprintf(&b, "- `%s.%s` — %s / %s\n", e.table, e.col.name, e.col.zh, e.col.en)
			}
		}
	}
	return []byte(b.String())
}

func dictionaryTable(b *strings.Builder, doc *tableDoc, entries []dictEntry, sum *Summary) {
	fmt.Fprintf(b, "\n## %s\n\n%s\n\n%s\n\n", doc.name, doc.zh, doc.en)
	for _, t := range sum.Tables {
		if t.Name == doc.name {
			fmt.Fprintf(b, "行数 / rows: %d；月份数 / months: %d；文件数 / files: %d\n\n", t.Rows, t.Months, len(t.Files))
		}
	}
	b.WriteString("| 列 column | 类型 type | 可空 nullable | 含义 | meaning | 单位 unit |\n|---|---|---|---|---|---|\n")
	for _, e := range entries {
		if e.table != doc.name || e.typ == "" {
			continue
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s | %s |\n", e.col.name, e.typ, yesNo(e.nullable),
			mdCell(e.col.zh), mdCell(e.col.en), mdCell(e.col.unit))
	}
}

// manifest is manifest.json: what was exported, with every file.
type manifest struct {
	Format     string              `json:"format"`
	ExportedAt string              `json:"exported_at"`
	Province   string              `json:"province"`
	Month      string              `json:"month"`
	Redacted   bool                `json:"redacted"`
	Omitted    map[string][]string `json:"omitted_columns"`
	Tables     []manifestTable     `json:"tables"`
}

type manifestTable struct {
	Name   string        `json:"name"`
	Rows   int64         `json:"rows"`
	Months int           `json:"months"`
	Files  []FileSummary `json:"files"`
}

func writeManifest(root string, exps []exporter, f filter, opts *Options, sum *Summary) error {
	m := manifest{
		Format: manifestFormat, ExportedAt: opts.Now().UTC().Format(time.RFC3339),
		Province: f.province, Month: opts.Month, Redacted: f.redact, Omitted: map[string][]string{},
	}
	for _, e := range exps {
		for _, c := range e.doc.columns {
			if c.redact && f.redact {
				m.Omitted[e.doc.name] = append(m.Omitted[e.doc.name], c.name)
			}
		}
	}
	for _, t := range sum.Tables {
		files := t.Files
		if files == nil {
			files = []FileSummary{}
		}
		m.Tables = append(m.Tables, manifestTable{Name: t.Name, Rows: t.Rows, Months: t.Months, Files: files})
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("export: manifest: %w", err)
	}
	return writeFile(filepath.Join(root, manifestName), append(data, '\n'))
}

func writeFile(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("export: write %s: %w", filepath.Base(path), err)
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orAll(s string) string {
	if s == "" {
		return "全部 / all"
	}
	return s
}

func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
