package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// Chart geometry, in SVG user units (the SVG scales to the text width).
const (
	chartWidth  = 600
	chartFont   = `font-family="'Noto Sans CJK SC','SimHei',sans-serif"`
	barLabelW   = 96 // county names
	barRowH     = 24
	barTop      = 22
	barMaxIndex = 100 // burden_index is 0–100
	barColor    = "#a8322d"
	lineColor   = "#1f4e79"
	gridColor   = "#c8c8c8"
	panelW      = 300
	panelH      = 200
)

// barChart draws the burden index of each ranked county as horizontal
// bars, heaviest first.
func barChart(rows []CountyRow) template.HTML {
	var ranked []CountyRow
	for _, r := range rows {
		if r.Rank > 0 {
			ranked = append(ranked, r)
		}
	}
	plotW := float64(chartWidth - barLabelW - 50)
	h := barTop + barRowH*len(ranked) + 8
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" class="chart" role="img" aria-label="各观测点负担指数" %s font-size="12">`,
		chartWidth, h, chartFont)
	for t := 0; t <= barMaxIndex; t += 20 {
		x := barLabelW + plotW*float64(t)/barMaxIndex
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="0.6"/>`, x, barTop-4, x, h-6, gridColor)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%d</text>`, x, barTop-8, t)
	}
	for i, r := range ranked {
		y := barTop + i*barRowH
		w := plotW * math.Max(0, math.Min(r.Index, barMaxIndex)) / barMaxIndex
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-size="13">%s</text>`, barLabelW-8, y+16, html.EscapeString(r.Name))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`, barLabelW, y+4, w, barRowH-8, barColor)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="12">%s</text>`, float64(barLabelW)+w+5, y+16, fixed1(r.Index))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// lineCharts draws each monthly series in its own panel, two per row, each
// with its own scale.
func lineCharts(series []Series) template.HTML {
	rows := (len(series) + 1) / 2
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" class="chart" role="img" aria-label="各月合计" %s font-size="11">`,
		chartWidth, rows*panelH, chartFont)
	for i, s := range series {
		fmt.Fprintf(&b, `<g transform="translate(%d,%d)">`, (i%2)*panelW, (i/2)*panelH)
		linePanel(&b, s)
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// linePanel draws one series in a panelW × panelH box.
func linePanel(b *strings.Builder, s Series) {
	const left, right, top, bottom = 44.0, 14.0, 30.0, 24.0
	plotW, plotH := panelW-left-right, panelH-top-bottom
	top1 := niceCeil(maxKnown(s.Values))
	fmt.Fprintf(b, `<text x="%.0f" y="16" font-size="13">%s（%s）</text>`, left, html.EscapeString(s.Label), html.EscapeString(s.Unit))
	for k := 0; k <= 5; k++ {
		v := top1 * float64(k) / 5
		y := top + plotH - plotH*float64(k)/5
		fmt.Fprintf(b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="%s" stroke-width="0.6"/>`, left, y, left+plotW, y, gridColor)
		fmt.Fprintf(b, `<text x="%.0f" y="%.1f" text-anchor="end" fill="#555">%s</text>`, left-4, y+4, number(v))
	}
	n := len(s.Values)
	x := func(i int) float64 {
		if n == 1 {
			return left + plotW/2
		}
		return left + plotW*float64(i)/float64(n-1)
	}
	y := func(v float64) float64 { return top + plotH - plotH*v/top1 }
	var pts []string
	for i, v := range s.Values {
		fmt.Fprintf(b, `<text x="%.1f" y="%.0f" text-anchor="middle" fill="#555">%d月</text>`, x(i), top+plotH+16, int(s.Months[i].Month()))
		if math.IsNaN(v) {
			continue
		}
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(v)))
		fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>`, x(i), y(v), lineColor)
	}
	fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="1.8"/>`, strings.Join(pts, " "), lineColor)
	if n > 0 && !math.IsNaN(s.Values[n-1]) {
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="end" font-size="12" fill="%s">%s</text>`,
			x(n-1), y(s.Values[n-1])-7, lineColor, number(s.Values[n-1]))
	}
}

func maxKnown(vs []float64) float64 {
	m := 0.0
	for _, v := range vs {
		if !math.IsNaN(v) && v > m {
			m = v
		}
	}
	return m
}

// niceCeil is the smallest of 1, 2, 2.5, 5 × 10^k that is ≥ v (1 for v ≤ 0).
func niceCeil(v float64) float64 {
	if v <= 0 || math.IsNaN(v) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, f := range []float64{1, 2, 2.5, 5, 10} {
		if f*p >= v {
			return f * p
		}
	}
	return 10 * p
}
