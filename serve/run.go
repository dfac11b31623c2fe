package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/kafka"
	"github.com/burdenwatch/burdenwatch/rules"
)

// RunConfig configures the whole live service (burdenwatch serve).
type RunConfig struct {
	DB      *clickhouse.DB
	Packs   rules.Packs
	Follow  FollowConfig
	BaseURL string
	// RefreshEvery is how often the reference data (registry, plan list,
	// calendar …) is re-read; 0 = 30 s.
	RefreshEvery time.Duration
	Registerer   prometheus.Registerer
	Gatherer     prometheus.Gatherer
	Log          *slog.Logger
}

// Run serves on ln until ctx ends: it answers 503 until the reference data
// and the stored inspection events are loaded, follows the events topic
// from then on and re-reads the reference data periodically. It returns
// nil after a graceful stop.
func Run(ctx context.Context, ln net.Listener, cfg RunConfig) error {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.RefreshEvery <= 0 {
		cfg.RefreshEvery = 30 * time.Second
	}
	ix := NewIndex()
	srv, err := NewServer(Config{
		Index: ix, Scans: cfg.DB, BaseURL: cfg.BaseURL,
		Registerer: cfg.Registerer, Gatherer: cfg.Gatherer, Log: cfg.Log,
		Checks: map[string]func(context.Context) error{
			"clickhouse": cfg.DB.Ping,
			"kafka":      func(ctx context.Context) error { return kafka.Ping(ctx, cfg.Follow.Brokers) },
		},
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 3)
	go func() { errc <- srv.Serve(ctx, ln) }()
	go func() { errc <- srv.load(ctx, cfg) }()
	var first error
	for range 2 {
		if err := <-errc; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	return first
}

// load fills the index, then follows the topic and refreshes the
// reference data until ctx ends.
func (s *Server) load(ctx context.Context, cfg RunConfig) error {
	l := ClickHouseLoader{DB: cfg.DB}
	start := time.Now()
	if !s.retry(ctx, "load reference data", func() error { return LoadReference(ctx, s.cfg.Index, l, cfg.Packs) }) {
		return nil
	}
	done := make(chan error, 1)
	go func() { done <- s.Follow(ctx, cfg.Follow) }()
	if !s.retry(ctx, "load inspection events", func() error { return LoadInspections(ctx, s.cfg.Index, l) }) {
		return <-done
	}
	st := s.cfg.Index.Stats()
	s.cfg.Log.Info("verify index loaded", "inspections", st.Inspections, "elapsed", time.Since(start).Round(time.Millisecond))
	t := time.NewTicker(cfg.RefreshEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return <-done
		case err := <-done:
			return err
		case <-t.C:
			if err := LoadReference(ctx, s.cfg.Index, l, cfg.Packs); err != nil && !errors.Is(err, context.Canceled) {
				s.cfg.Log.Warn("refresh reference data; keeping the previous set", "err", err)
			}
		}
	}
}

// retry runs f until it succeeds (true) or ctx ends (false), waiting 1 s,
// 2 s, … up to 30 s between attempts and logging each failure: the
// service keeps answering 503 on its data routes until the load succeeds.
func (s *Server) retry(ctx context.Context, what string, f func() error) bool {
	wait := time.Second
	for {
		err := f()
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		s.cfg.Log.Warn(what+" failed; retrying", "in", wait, "err", err)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// ClickHouseLoader reads the service's data from ClickHouse.
type ClickHouseLoader struct{ DB *clickhouse.DB }

// ReferenceData reads the current reference data, code registry included.
func (l ClickHouseLoader) ReferenceData(ctx context.Context) (*bw.ReferenceData, error) {
	return l.DB.ReferenceData(ctx)
}

// Inspections reads the stored inspection events (latest version each).
func (l ClickHouseLoader) Inspections(ctx context.Context, each func(evs []bw.Event, versions []uint64)) error {
	if err := l.DB.LiveInspections(ctx, each); err != nil {
		return fmt.Errorf("read inspections: %w", err)
	}
	return nil
}
