package transform

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the transformer's Prometheus metrics (SPEC §8.4): runs by
// result, recompute durations, rows written and the time of the last
// successful run. Create them once per process with NewMetrics and pass
// them in Config.Metrics to every Run.
type Metrics struct {
	runs          *prometheus.CounterVec
	duration      prometheus.Histogram
	provinceYears prometheus.Counter
	indicators    prometheus.Counter
	results       prometheus.Counter
	lastSuccess   prometheus.Gauge
}

// NewMetrics registers the transformer's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "burdenwatch_transform_runs_total", Help: "Transform runs by result (ok, error).",
		}, []string{"result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "burdenwatch_transform_run_seconds", Help: "Duration of transform runs that recomputed at least one province-year.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 12),
		}),
		provinceYears: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "burdenwatch_transform_province_years_total", Help: "Province-years recomputed.",
		}),
		indicators: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "burdenwatch_transform_indicator_rows_total", Help: "Indicator rows written.",
		}),
		results: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "burdenwatch_transform_rule_results_total", Help: "Active rule results written.",
		}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "burdenwatch_transform_last_success_timestamp_seconds", Help: "Unix time of the last successful run.",
		}),
	}
	reg.MustRegister(m.runs, m.duration, m.provinceYears, m.indicators, m.results, m.lastSuccess)
	return m
}

// observe records one run; nil m records nothing.
func (m *Metrics) observe(sum *Summary, err error, took time.Duration) {
	if m == nil {
		return
	}
	if err != nil {
		m.runs.WithLabelValues("error").Inc()
		return
	}
	m.runs.WithLabelValues("ok").Inc()
	m.lastSuccess.SetToCurrentTime()
	if len(sum.ProvinceYears) == 0 {
		return
	}
	m.duration.Observe(took.Seconds())
	m.provinceYears.Add(float64(len(sum.ProvinceYears)))
	m.indicators.Add(float64(sum.Indicators))
	m.results.Add(float64(sum.RuleResults))
}
