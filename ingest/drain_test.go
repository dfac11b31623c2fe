package ingest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/burdenwatch/burdenwatch/ingest"
)

// TestBacklogEndIsWrittenAtOnce ingests a backlog with an hour's flush
// interval: its last batch, smaller than a full one, is written as soon as
// every partition has been read to its end, not an hour later.
func TestBacklogEndIsWrittenAtOnce(t *testing.T) {
	db, _, brokers := setup(t)
	s := buildScenario(t, 2000, 20)
	publish(t, brokers, s.msgs)
	cfg := ingestConfig(t, db, brokers, "drain", 700)
	cfg.FlushInterval, cfg.MinPartRows = time.Hour, 100
	cons := consumer(t, brokers, "drain")
	defer cons.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	st, err := ingest.New(cfg, cons, db).Run(ctx)
	if ctx.Err() != nil {
		t.Fatalf("ingest of a backlog was still running after a minute (its last batch waits for the hour's flush interval); Run: %v", err)
	}
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	if st.Messages != len(s.msgs) || len(s.msgs)%700 == 0 {
		t.Errorf("consumed %d messages of %d (the test needs a last batch that is not full)", st.Messages, len(s.msgs))
	}
	checkFinal(t, db, s)
	checkCaughtUp(t, brokers, "drain")
}

// TestLiveTrafficWaitsForTheFlushInterval: a few messages with nothing
// behind them are live traffic, batched for the flush interval; they are
// not written the moment the partitions are read to their end.
func TestLiveTrafficWaitsForTheFlushInterval(t *testing.T) {
	db, _, brokers := setup(t)
	s := buildScenario(t, 10, 0)
	publish(t, brokers, s.msgs)
	cfg := ingestConfig(t, db, brokers, "live", 700)
	cfg.FlushInterval, cfg.UntilIdle = time.Hour, false
	cons := consumer(t, brokers, "live")
	defer cons.Close()
	in := ingest.New(cfg, cons, db)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := in.Run(ctx); done <- err }()
	waitFor(t, "the messages fetched", func() bool { return !in.Stats().FirstFetch.IsZero() })
	time.Sleep(time.Second) // a batch sent at once would be written by now
	st, n := in.Stats(), countEvents(t, db)
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("run: %v", err)
	}
	if st.Batches != 0 || n != 0 {
		t.Errorf("%d batches and %d events written before the flush interval passed; live traffic should wait for it", st.Batches, n)
	}
}
