// Package report writes the monthly notification (月度通报) of a province's
// burden-reduction office: headline figures, the ranking of observation
// points by burden index, over-baseline changes and every violation of the
// month grouped by issuer, with inline SVG charts. It reads indicators,
// rule results and reference data from ClickHouse, builds a Model, renders
// it as HTML laid out after GB/T 9704-2012 (A4, 仿宋 3号 body, red 版头
// line, page numbers) and prints the HTML to PDF with headless Chromium.
package report

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
)

//go:embed templates/report.html.tmpl templates/report.css
var templateFiles embed.FS

// Options select and label one report.
type Options struct {
	Province string    // two-digit province code, e.g. "43"
	Month    time.Time // first day of the report month, Asia/Shanghai
	Office   string    // issuing office; DefaultOffice(Province) when empty
	Date     time.Time // issue date printed on the report; today when zero
	// RuleNames maps rule ids to Chinese names, overriding the names of
	// rules.Catalog().
	RuleNames map[string]string
	// Chromium is the browser that prints the PDF; found with
	// FindChromium when empty.
	Chromium string
}

// Files are the paths a report was written to.
type Files struct {
	Dir       string // <out>/<province>-<YYYY-MM>
	HTML, PDF string // 通报.html, 通报.pdf
	// ASCII-named copies for scripts: report.html, report.pdf.
	HTMLCopy, PDFCopy string
}

// ParseMonth parses "YYYY-MM" as the first day of the month in
// Asia/Shanghai.
func ParseMonth(s string) (time.Time, error) {
	t, err := time.ParseInLocation("2006-01", s, bw.Location())
	if err != nil {
		return time.Time{}, fmt.Errorf("report: month %q is not YYYY-MM", s)
	}
	return t, nil
}

// Validate checks opts and fills the defaults of Office and Date.
func (o *Options) Validate() error {
	if _, ok := provinceNames[o.Province]; !ok {
		return fmt.Errorf("report: province %q is not a two-digit GB/T 2260 province code", o.Province)
	}
	if o.Month.IsZero() {
		return fmt.Errorf("report: no month given")
	}
	o.Month = time.Date(o.Month.Year(), o.Month.Month(), 1, 0, 0, 0, 0, bw.Location())
	if o.Office == "" {
		o.Office = DefaultOffice(o.Province)
	}
	if o.Date.IsZero() {
		o.Date = time.Now().In(bw.Location())
	}
	return nil
}

// Generate reads the data of the report of opts from db, and writes it as
// HTML and PDF into the directory <outDir>/<province>-<YYYY-MM>. When
// Chromium is missing or fails, the HTML is still written and the error
// says so.
func Generate(ctx context.Context, db *clickhouse.DB, opts Options, outDir string) (*Files, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	data, err := Load(ctx, db, opts.Province, opts.Month)
	if err != nil {
		return nil, err
	}
	m, err := Build(data, opts)
	if err != nil {
		return nil, err
	}
	return Write(ctx, m, opts, outDir)
}

// Write renders m into <outDir>/<province>-<YYYY-MM> as HTML, then prints
// the PDF.
func Write(ctx context.Context, m *Model, opts Options, outDir string) (*Files, error) {
	page, err := Render(m)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(outDir, m.Province+"-"+m.Month.Format("2006-01"))
	f := &Files{Dir: dir, HTML: filepath.Join(dir, "通报.html"), PDF: filepath.Join(dir, "通报.pdf"),
		HTMLCopy: filepath.Join(dir, "report.html"), PDFCopy: filepath.Join(dir, "report.pdf")}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	for _, p := range []string{f.HTML, f.HTMLCopy} {
		if err := os.WriteFile(p, page, 0o644); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
	}
	chromium, err := FindChromium(opts.Chromium)
	if err != nil {
		return f, fmt.Errorf("HTML written to %s, no PDF: %w", f.HTML, err)
	}
	// Chromium reads the ASCII-named file: no escaping trouble in the URL.
	if err := PrintPDF(ctx, chromium, f.HTMLCopy, f.PDFCopy); err != nil {
		return f, fmt.Errorf("HTML written to %s, no PDF: %w", f.HTML, err)
	}
	if err := copyFile(f.PDFCopy, f.PDF); err != nil {
		return f, err
	}
	return f, nil
}

// Render renders m as a self-contained HTML page.
func Render(m *Model) ([]byte, error) {
	t, err := template.New("report.html.tmpl").Funcs(funcs()).ParseFS(templateFiles, "templates/report.html.tmpl")
	if err != nil {
		return nil, fmt.Errorf("report: parse template: %w", err)
	}
	css, err := templateFiles.ReadFile("templates/report.css")
	if err != nil {
		return nil, fmt.Errorf("report: read stylesheet: %w", err)
	}
	var buf bytes.Buffer
	page := struct {
		*Model
		CSS                 template.CSS
		OfficeSize          string
		BarChart, LineChart template.HTML
	}{m, template.CSS(css), officeSize(m.Office), barChart(m.Ranking), lineCharts(m.Series)}
	if err := t.Execute(&buf, page); err != nil {
		return nil, fmt.Errorf("report: render: %w", err)
	}
	return buf.Bytes(), nil
}

// officeSize is the font size of the 版头 that fits the office name on one
// line of the 156 mm text width (at most 26 pt).
func officeSize(office string) string {
	n := len([]rune(office))
	size := 26.0
	if fit := 156 / 25.4 * 72 / float64(n) * 0.96; n > 0 && fit < size {
		size = fit
	}
	return fmt.Sprintf("%.1fpt", size)
}

func funcs() template.FuncMap {
	return template.FuncMap{
		"num": number, "fixed1": fixed1, "fixed2": fixed2, "percent": percent,
		"signed1": func(v float64) string { return signed(v, 1) },
		"signed2": func(v float64) string { return signed(v, 2) },
		"signedNum": func(v float64) string {
			if math.Abs(v-math.Round(v)) < 1e-9 {
				return signed(v, 0)
			}
			return signed(v, 1)
		},
		"cn":  chineseNumber,
		"add": func(a, b int) int { return a + b },
	}
}

// chineseNumber writes 1–99 in Chinese numerals for section numbers.
func chineseNumber(n int) string {
	digits := []string{"", "一", "二", "三", "四", "五", "六", "七", "八", "九"}
	switch {
	case n <= 0 || n > 99:
		return fmt.Sprint(n)
	case n < 10:
		return digits[n]
	case n == 10:
		return "十"
	case n < 20:
		return "十" + digits[n%10]
	}
	return digits[n/10] + "十" + digits[n%10]
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}
