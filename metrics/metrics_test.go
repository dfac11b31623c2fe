package metrics_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/burdenwatch/burdenwatch/metrics"
)

func TestServeExposesRegistryAndStopsOnCancel(t *testing.T) {
	reg := metrics.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "burdenwatch_test_total", Help: "test counter"})
	reg.MustRegister(c)
	c.Add(3)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- metrics.ServeListener(ctx, ln, reg, nil) }()

	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + ln.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: status %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	f, ok := fams["burdenwatch_test_total"]
	if !ok {
		t.Fatalf("burdenwatch_test_total missing; have %d families", len(fams))
	}
	if got := f.GetMetric()[0].GetCounter().GetValue(); got != 3 {
		t.Fatalf("burdenwatch_test_total = %v, want 3", got)
	}
	if _, ok := fams["go_goroutines"]; !ok {
		t.Fatal("go collector not registered")
	}

	post, err := client.Post("http://"+ln.Addr().String()+"/metrics", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, post.Body)
	post.Body.Close()
	if post.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST /metrics: status %d, want 405", post.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
}

func TestServeReportsListenError(t *testing.T) {
	err := metrics.Serve(context.Background(), "256.0.0.1:bad", prometheus.NewRegistry(), nil)
	if err == nil {
		t.Fatal("Serve on a bad address: want error")
	}
}
