package ingest_test

import (
	"context"
	"errors"
	"strings"
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
	st := runUntilIdleWith(t, brokers, "drain", cfg, db) // fails if the last batch waits for the interval
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

// TestUntilIdleGivesUpOnAStalledConsumer: with --until-idle, a group whose
// lag says messages wait while none arrives (here a lag that never reaches
// 0 over a topic read to its end) ends Run with an error naming the lag
// and the limit, instead of never returning.
func TestUntilIdleGivesUpOnAStalledConsumer(t *testing.T) {
	db, _, brokers := setup(t)
	s := buildScenario(t, 50, 0)
	publish(t, brokers, s.msgs)
	cfg := ingestConfig(t, db, brokers, "stalled", 700)
	cfg.MaxOutage, cfg.IdleTimeout = 2*time.Second, 200*time.Millisecond
	cfg.Lag = func(context.Context) (int64, error) { return 7, nil }
	cons := consumer(t, brokers, "stalled")
	defer cons.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	st, err := ingest.New(cfg, cons, db).Run(ctx)
	if ctx.Err() != nil || err == nil || !strings.Contains(err.Error(), "lag is 7 messages") || !strings.Contains(err.Error(), "max-outage") {
		t.Fatalf("Run = %v (context: %v); want it to give up, naming the lag and --max-outage", err, ctx.Err())
	}
	if st.Messages != len(s.msgs) {
		t.Errorf("consumed %d of %d messages before giving up", st.Messages, len(s.msgs))
	}
	checkFinal(t, db, s) // what arrived was written before it gave up
}
