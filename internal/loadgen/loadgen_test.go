package loadgen_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/burdenwatch/burdenwatch/internal/loadgen"
)

func TestRunCountsWhatTheServerAnswered(t *testing.T) {
	var ok, failed atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			failed.Add(1)
			http.Error(w, "no", http.StatusInternalServerError)
			return
		}
		ok.Add(1)
	}))
	defer srv.Close()
	for _, rate := range []float64{0, 400} {
		ok.Store(0)
		failed.Store(0)
		res, err := loadgen.Run(context.Background(), loadgen.Config{
			URLs: []string{srv.URL + "/a", srv.URL + "/fail"}, Concurrency: 4, Duration: 300 * time.Millisecond, Rate: rate,
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Requests == 0 || res.ByStatus[200]+res.ByStatus[500] != res.Requests || res.Errors != res.ByStatus[500] {
			t.Fatalf("rate %v: %s", rate, res)
		}
		// Requests cut off by the end of the run are not counted, so the
		// server may have answered a few more than the result holds.
		if int64(res.ByStatus[200]) > ok.Load() || int64(res.ByStatus[500]) > failed.Load() || res.ByStatus[500] == 0 {
			t.Fatalf("rate %v: result %v, server answered %d ok and %d failed", rate, res.ByStatus, ok.Load(), failed.Load())
		}
		if !(res.P50 <= res.P90 && res.P90 <= res.P99 && res.P99 <= res.Max) {
			t.Fatalf("rate %v: percentiles out of order: %s", rate, res)
		}
	}
}

func TestRunNeedsURLs(t *testing.T) {
	if _, err := loadgen.Run(context.Background(), loadgen.Config{}); err == nil {
		t.Fatal("no URLs: want error")
	}
}
