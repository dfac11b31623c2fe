package testenv

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// family gathers g and returns the metric family name, or nil.
func family(t testing.TB, g prometheus.Gatherer, name string) *dto.MetricFamily {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("gather metrics: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf
		}
	}
	return nil
}

// Counter sums the samples of the counter name whose first label is value,
// or that have no label; 0 when the counter has no sample.
func Counter(t testing.TB, g prometheus.Gatherer, name, value string) float64 {
	t.Helper()
	var sum float64
	for _, m := range family(t, g, name).GetMetric() {
		if len(m.GetLabel()) == 0 || m.GetLabel()[0].GetValue() == value {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

// Gauge reads the gauge name without labels; the test fails when it is not
// registered.
func Gauge(t testing.TB, g prometheus.Gatherer, name string) float64 {
	t.Helper()
	mf := family(t, g, name)
	if mf == nil {
		t.Fatalf("metric %s not registered", name)
	}
	return mf.GetMetric()[0].GetGauge().GetValue()
}

// HistogramCount is the number of observations of the histogram name
// without labels; 0 when it has none.
func HistogramCount(t testing.TB, g prometheus.Gatherer, name string) uint64 {
	t.Helper()
	ms := family(t, g, name).GetMetric()
	if len(ms) == 0 {
		return 0
	}
	return ms[0].GetHistogram().GetSampleCount()
}

// Series is the number of label combinations the metric name has.
func Series(t testing.TB, g prometheus.Gatherer, name string) int {
	t.Helper()
	return len(family(t, g, name).GetMetric())
}
