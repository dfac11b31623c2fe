package ingest

import (
	bw "github.com/burdenwatch/burdenwatch"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Prometheus series of one Ingester. They exist whether or
// not they are registered, so that recording needs no nil checks.
type metrics struct {
	messages    prometheus.Counter
	events      *prometheus.CounterVec
	deadLetters *prometheus.CounterVec
	insert      prometheus.Histogram
	lag         prometheus.Gauge
	inflight    prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		messages: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "burdenwatch_ingest_messages_total",
			Help: "Kafka messages written to ClickHouse (as events or dead letters) and committed.",
		}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "burdenwatch_ingest_events_total",
			Help: "Valid events written, by kind.",
		}, []string{"kind"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "burdenwatch_ingest_dead_letters_total",
			Help: "Invalid messages written to dead_letters, by reason code.",
		}, []string{"reason"}),
		insert: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "burdenwatch_ingest_batch_insert_seconds",
			Help:    "Time to write one batch (events and dead letters) to ClickHouse, successful attempts only.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 12),
		}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "burdenwatch_ingest_consumer_lag",
			Help: "Messages behind the high watermark after the last committed batch.",
		}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "burdenwatch_ingest_inflight_bytes",
			Help: "Bytes of messages fetched but not yet written and committed (bounded by the memory budget).",
		}),
	}
	for _, k := range bw.Kinds {
		m.events.WithLabelValues(string(k))
	}
	if reg != nil {
		reg.MustRegister(m.messages, m.events, m.deadLetters, m.insert, m.lag, m.inflight)
	}
	return m
}
