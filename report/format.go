package report

import (
	"math"
	"strconv"
)

// dash stands for an unknown value.
const dash = "—"

// number formats a count or measure: whole numbers without decimals,
// others with one decimal; NaN as a dash.
func number(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return dash
	case math.Abs(v-math.Round(v)) < 1e-9:
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// fixed1 formats with exactly one decimal (burden index).
func fixed1(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return dash
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// fixed2 formats with two decimals (pace ratios).
func fixed2(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return dash
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// percent formats a share as a percentage with one decimal at most.
func percent(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return dash
	}
	return number(math.Round(v*1000)/10) + "%"
}

// signed formats a change with its sign and digits decimals: +15.5, -8.0.
func signed(v float64, digits int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return dash
	}
	s := strconv.FormatFloat(v, 'f', digits, 64)
	if zero := strconv.FormatFloat(0, 'f', digits, 64); s == zero || s == "-"+zero {
		return zero
	}
	if v > 0 {
		return "+" + s
	}
	return s
}

// changeText says in Chinese how cur compares with prev, counted in unit:
// 较上月增加30件、增长10.0%.
func changeText(cur, prev float64, unit string) string {
	switch {
	case math.IsNaN(prev):
		return "上月无数据"
	case cur == prev:
		return "与上月持平"
	case prev == 0:
		return "较上月增加" + number(cur) + unit + "（上月为0）"
	}
	d := cur - prev
	rate := strconv.FormatFloat(math.Abs(d)/prev*100, 'f', 1, 64) + "%"
	if d > 0 {
		return "较上月增加" + number(d) + unit + "、增长" + rate
	}
	return "较上月减少" + number(-d) + unit + "、下降" + rate
}
