// Package loadgen drives an HTTP endpoint with a fixed number of
// concurrent clients for a fixed time and reports latency percentiles and
// throughput. It measures the verify endpoint of `burdenwatch serve`
// (docs/serve.md); it is a benchmark tool, not part of the product.
package loadgen

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Config says what to load and how hard.
type Config struct {
	// URLs are requested round-robin by every worker.
	URLs []string
	// Concurrency is the number of workers, each with one request in
	// flight (closed loop).
	Concurrency int
	// Duration is how long to measure, after Warmup.
	Duration time.Duration
	Warmup   time.Duration
	// Timeout bounds each request.
	Timeout time.Duration
	// Rate, when > 0, makes the load open-loop: requests are scheduled at
	// Rate per second whatever the answers, and each latency is measured
	// from the request's scheduled time (so a stalled server is not
	// hidden by clients that wait for it). Concurrency is then the most
	// requests in flight.
	Rate float64
}

// Result is what a run measured.
type Result struct {
	Requests int
	Errors   int // transport errors and non-2xx answers
	ByStatus map[int]int
	Elapsed  time.Duration
	P50      time.Duration
	P90      time.Duration
	P99      time.Duration
	Max      time.Duration
}

// PerSecond is the throughput of successful and failed requests.
func (r Result) PerSecond() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// String renders the result on one line.
func (r Result) String() string {
	return fmt.Sprintf("%d requests in %s: %.0f req/s, p50 %s, p90 %s, p99 %s, max %s, errors %d, statuses %v",
		r.Requests, r.Elapsed.Round(time.Millisecond), r.PerSecond(), r.P50, r.P90, r.P99, r.Max, r.Errors, r.ByStatus)
}

// Run loads cfg.URLs and returns the measurement.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if len(cfg.URLs) == 0 {
		return Result{}, fmt.Errorf("loadgen: no URLs")
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 16
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	client := &http.Client{Timeout: cfg.Timeout, Transport: &http.Transport{
		MaxIdleConns: cfg.Concurrency, MaxIdleConnsPerHost: cfg.Concurrency,
		DialContext: (&net.Dialer{Timeout: 3 * time.Second}).DialContext, IdleConnTimeout: time.Minute,
	}}
	defer client.CloseIdleConnections()
	if cfg.Warmup > 0 {
		wctx, cancel := context.WithTimeout(ctx, cfg.Warmup)
		load(wctx, client, cfg)
		cancel()
	}
	mctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	start := time.Now()
	ws := load(mctx, client, cfg)
	elapsed := time.Since(start)
	return summarize(ws, elapsed), nil
}

// worker holds one worker's measurements.
type worker struct {
	lat      []time.Duration
	errors   int
	byStatus map[int]int
}

func load(ctx context.Context, client *http.Client, cfg Config) []*worker {
	ws := make([]*worker, cfg.Concurrency)
	var ticks chan time.Time
	if cfg.Rate > 0 {
		ticks = make(chan time.Time, 4*cfg.Concurrency)
		go schedule(ctx, cfg.Rate, ticks)
	}
	var wg sync.WaitGroup
	for i := range ws {
		w := &worker{byStatus: map[int]int{}, lat: make([]time.Duration, 0, 1<<16)}
		ws[i] = w
		wg.Add(1)
		go func(offset int) {
			defer wg.Done()
			for n := offset; ctx.Err() == nil; n += len(ws) {
				start := time.Now()
				if ticks != nil {
					select {
					case start = <-ticks:
					case <-ctx.Done():
						return
					}
				}
				w.one(ctx, client, cfg.URLs[n%len(cfg.URLs)], start)
			}
		}(i)
	}
	wg.Wait()
	return ws
}

// schedule sends the scheduled start times of requests at rate per second
// until ctx ends, in steps of a millisecond.
func schedule(ctx context.Context, rate float64, ticks chan<- time.Time) {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	begin, sent := time.Now(), 0
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			due := int(now.Sub(begin).Seconds() * rate)
			for ; sent < due; sent++ {
				at := begin.Add(time.Duration(float64(sent) / rate * float64(time.Second)))
				select {
				case ticks <- at:
				case <-ctx.Done():
					return
				}
			}
		}
	}
}

func (w *worker) one(ctx context.Context, client *http.Client, url string, t0 time.Time) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		w.errors++
		return
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			w.errors++
			w.lat = append(w.lat, time.Since(t0))
		}
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if ctx.Err() != nil {
		return // cut off by the end of the run: not counted
	}
	w.lat = append(w.lat, time.Since(t0))
	w.byStatus[resp.StatusCode]++
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		w.errors++
	}
}

func summarize(ws []*worker, elapsed time.Duration) Result {
	r := Result{ByStatus: map[int]int{}, Elapsed: elapsed}
	var all []time.Duration
	for _, w := range ws {
		all = append(all, w.lat...)
		r.Errors += w.errors
		for s, n := range w.byStatus {
			r.ByStatus[s] += n
		}
	}
	r.Requests = len(all)
	if len(all) == 0 {
		return r
	}
	slices.Sort(all)
	q := func(p float64) time.Duration { return all[min(len(all)-1, int(p*float64(len(all))))] }
	r.P50, r.P90, r.P99, r.Max = q(0.50), q(0.90), q(0.99), all[len(all)-1]
	return r
}
