package serve

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// serviceMetrics are the service's Prometheus metrics.
type serviceMetrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	scans    *prometheus.CounterVec
	applied  prometheus.Counter
	invalid  prometheus.Counter
	lag      prometheus.Gauge
}

// newServiceMetrics creates the metrics and registers them with reg (nil =
// created but not exposed).
func newServiceMetrics(reg prometheus.Registerer, ix *Index) (*serviceMetrics, error) {
	m := &serviceMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "burdenwatch", Subsystem: "serve", Name: "requests_total",
			Help: "HTTP requests by route pattern, status code and verify verdict (empty when none).",
		}, []string{"route", "code", "verdict"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "burdenwatch", Subsystem: "serve", Name: "request_duration_seconds",
			Help:    "HTTP request latency by route pattern.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		scans: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "burdenwatch", Subsystem: "serve", Name: "scans_recorded_total",
			Help: "Scan registrations stored, by verdict.",
		}, []string{"verdict"}),
		applied: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "burdenwatch", Subsystem: "serve", Name: "events_consumed_total",
			Help: "Valid events consumed from the events topic.",
		}),
		invalid: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "burdenwatch", Subsystem: "serve", Name: "events_invalid_total",
			Help: "Messages of the events topic the decoder rejected (ingest dead-letters them).",
		}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "burdenwatch", Subsystem: "serve", Name: "consumer_lag_messages",
			Help: "Messages behind the high watermark on the partition last read.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	inspections := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "burdenwatch", Subsystem: "serve", Name: "index_inspections",
		Help: "Inspection events held in the verify index.",
	}, func() float64 { return float64(ix.Stats().Inspections) })
	ready := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "burdenwatch", Subsystem: "serve", Name: "index_loaded",
		Help: "1 when the verify index has been loaded.",
	}, func() float64 {
		if ix.Ready() {
			return 1
		}
		return 0
	})
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.scans, m.applied, m.invalid, m.lag, inspections, ready} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *serviceMetrics) observe(route string, status int, verdict string, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status), verdict).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}
