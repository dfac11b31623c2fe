package sim

import (
	"math"
	"time"
)

// cst is China Standard Time. China has kept UTC+8 without daylight saving
// since 1991, so this fixed zone equals Asia/Shanghai in every simulated
// year, and formats as "+08:00".
var cst = time.FixedZone("CST", 8*3600)

// springFestival is the first day of the lunar new year (春节) by year.
var springFestival = map[int][2]int{
	2023: {1, 22}, 2024: {2, 10}, 2025: {1, 29}, 2026: {2, 17}, 2027: {2, 6},
	2028: {1, 26}, 2029: {2, 13}, 2030: {2, 3},
}

// movableHolidays are the other holidays whose dates move (端午, 中秋), as
// month, first day and number of days.
var movableHolidays = map[int][][3]int{
	2024: {{6, 10, 1}, {9, 15, 3}},
	2025: {{5, 31, 3}},
	2026: {{6, 19, 3}, {9, 25, 3}},
	2027: {{6, 9, 1}, {9, 15, 1}},
}

// day is one calendar day of the simulated year in China Standard Time.
type day struct {
	date    time.Time // midnight CST
	month   time.Month
	weekday time.Weekday
	holiday float64 // activity factor: 1 on ordinary days, low on holidays
}

// yearDays returns the days of year with their holiday factors.
func yearDays(year int) []day {
	start := time.Date(year, 1, 1, 0, 0, 0, 0, cst)
	n := time.Date(year+1, 1, 1, 0, 0, 0, 0, cst).Sub(start).Hours() / 24
	days := make([]day, int(math.Round(n)))
	for i := range days {
		t := start.AddDate(0, 0, i)
		days[i] = day{date: t, month: t.Month(), weekday: t.Weekday(), holiday: 1}
	}
	markHolidays(days, year)
	return days
}

func markHolidays(days []day, year int) {
	set := func(m time.Month, d, n int, f float64) {
		first := time.Date(year, m, d, 0, 0, 0, 0, cst).YearDay() - 1
		for i := first; i < first+n && i >= 0 && i < len(days); i++ {
			days[i].holiday = math.Min(days[i].holiday, f)
		}
	}
	set(1, 1, 1, 0.1)  // 元旦
	set(4, 4, 3, 0.15) // 清明
	set(5, 1, 5, 0.1)  // 劳动节
	set(10, 1, 8, 0.05)
	sf, ok := springFestival[year]
	if !ok {
		sf = [2]int{2, 1}
	}
	set(time.Month(sf[0]), sf[1]-8, 7, 0.6) // the week before: slowing down
	set(time.Month(sf[0]), sf[1]-1, 8, 0.05)
	set(time.Month(sf[0]), sf[1]+7, 6, 0.6)
	for _, h := range movableHolidays[year] {
		set(time.Month(h[0]), h[1], h[2], 0.1)
	}
}

// monthFactor is the seasonality of documents, meetings and forms: quiet
// around the Spring Festival and in the summer, a year-end peak.
var monthFactor = [13]float64{0, 1.0, 0.85, 1.15, 1.0, 1.0, 1.05, 0.95, 0.9, 1.0, 0.9, 1.2, 1.35}

// inspectionMonthFactor is the seasonality of inspections: spring
// safety checks, the flood season, year-end assessments.
var inspectionMonthFactor = [13]float64{0, 0.6, 0.5, 1.0, 1.1, 1.2, 1.2, 1.1, 1.0, 1.0, 0.9, 1.3, 1.4}

// weekdayFactor is the activity of each weekday (Sunday first).
var weekdayFactor = [7]float64{0.03, 1, 1, 1, 1, 0.95, 0.06}

// allocate spreads total events over days in proportion to weights,
// rounding so that the counts add up to round(total) exactly.
func allocate(total float64, weights []float64) []int32 {
	counts := make([]int32, len(weights))
	sum := 0.0
	for _, w := range weights {
		sum += w
	}
	if sum == 0 || total <= 0 {
		return counts
	}
	cum, prev := 0.0, 0.0
	for i, w := range weights {
		cum += total * w / sum
		r := math.Round(cum)
		counts[i] = int32(r - prev)
		prev = r
	}
	return counts
}
