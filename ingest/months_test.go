package ingest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/burdenwatch/burdenwatch/ingest"
)

// TestHeldMonthsAreNeitherLostNorCommitted ingests a backlog whose every
// batch spans twelve months with a part threshold above a month's share
// of a batch, so that months are held back for later batches; a run
// cancelled while events are held, then a restart, ends with the tables of
// a clean run: the cancelled run committed no offset past a held event.
func TestHeldMonthsAreNeitherLostNorCommitted(t *testing.T) {
	db, _, brokers := setup(t)
	s := buildScenario(t, 6000, 30)
	publish(t, brokers, s.msgs)
	cfg := ingestConfig(t, db, brokers, "held", 300)
	cfg.MinPartRows, cfg.MaxHold = 250, time.Hour
	cons := consumer(t, brokers, "held")
	in := ingest.New(cfg, cons, db)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var st ingest.Stats
	go func() {
		var err error
		st, err = in.Run(ctx)
		done <- err
	}()
	waitFor(t, "events held and batches committed", func() bool {
		s := in.Stats()
		return s.PeakHeld > 0 && s.Batches >= 3
	})
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: %v", err)
	}
	cons.Close()
	if st.PeakHeld == 0 {
		t.Fatal("no event was held back; the test needs held months")
	}
	if n := countEvents(t, db); n >= uint64(s.valid) {
		t.Fatalf("the cancelled run wrote %d events of %d; the test needs a mid-stream stop", n, s.valid)
	}
	restart := runUntilIdleWith(t, brokers, "held", cfg, db)
	if restart.PeakHeld == 0 {
		t.Error("the restarted run held nothing back")
	}
	checkFinal(t, db, s)
	checkCaughtUp(t, brokers, "held")
}

// runUntilIdleWith runs cfg until idle with a new consumer of group.
func runUntilIdleWith(t *testing.T, brokers []string, group string, cfg ingest.Config, store ingest.Store) ingest.Stats {
	t.Helper()
	cons := consumer(t, brokers, group)
	defer cons.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	t.Cleanup(cancel) // not earlier: a late cancel can close a pooled connection (clickhouse-go batch watchdog)
	st, err := ingest.New(cfg, cons, store).Run(ctx)
	if ctx.Err() != nil {
		t.Fatalf("ingest was still running after two minutes (Run: %v)", err)
	}
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	return st
}

// TestHeldMonthsMakeFewerParts ingests the same backlog, whose every batch
// spans the months of the year, twice: written whole (MinPartRows < 0
// holds nothing back), every batch makes a part per month; held by month,
// the inserts make fewer than half as many.
func TestHeldMonthsMakeFewerParts(t *testing.T) {
	db, _, brokers := setup(t)
	s := buildScenario(t, 3000, 10)
	publish(t, brokers, s.msgs)
	whole := ingestConfig(t, db, brokers, "parts-whole", 300)
	whole.MinPartRows = -1
	w := runUntilIdleWith(t, brokers, "parts-whole", whole, db)
	if w.PeakHeld != 0 {
		t.Errorf("PeakHeld = %d with MinPartRows -1, want 0", w.PeakHeld)
	}
	h := runUntilIdleWith(t, brokers, "parts-held", ingestConfig(t, db, brokers, "parts-held", 300), db)
	t.Logf("event parts: %d in %d batches written whole, %d in %d batches held by month", w.EventParts, w.Batches, h.EventParts, h.Batches)
	if w.EventParts < w.Batches || h.EventParts == 0 || 2*h.EventParts >= w.EventParts {
		t.Errorf("event parts: %d written whole (%d batches), %d held by month; want fewer than half held", w.EventParts, w.Batches, h.EventParts)
	}
	checkFinal(t, db, s)
}
