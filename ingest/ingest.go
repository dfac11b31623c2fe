// Package ingest moves burden events from Kafka into ClickHouse, in the
// manner of clickhouse_sinker: messages are fetched into batches closed by
// size or time, decoded and validated in parallel, written column by column
// in one insert, and only then are the Kafka offsets committed. A crash
// between insert and commit redelivers the batch, which the events table
// deduplicates by event_id and version; invalid messages go to the dead
// letters with their reason, keyed by their Kafka coordinates.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/kafka"
)

// Source is where messages come from: a Kafka consumer group member.
type Source interface {
	Fetch(ctx context.Context) (kafka.Message, error)
	Commit(ctx context.Context, last []kafka.Message) error
}

// Store is where events, dead letters and the batch log go: one ClickHouse
// database (*clickhouse.DB) or a sharded cluster implementing the same
// inserts. Each insert must be all or nothing as far as offsets go: ingest
// commits a batch only after InsertEvents and InsertDeadLetters returned
// nil, and retries both on error (redelivered rows are deduplicated).
type Store interface {
	InsertEvents(ctx context.Context, parts []*clickhouse.EventRows, seq uint64) error
	InsertDeadLetters(ctx context.Context, dls []bw.DeadLetter) error
	LogIngestBatch(ctx context.Context, b clickhouse.IngestBatch) error
}

// Config tunes an Ingester.
type Config struct {
	Topic         string
	Group         string
	BatchSize     int           // messages per batch at most
	FlushInterval time.Duration // a batch is flushed this long after its first message
	Workers       int           // decoding goroutines
	Writers       int           // batches written to ClickHouse at once (1: a 2-core box is CPU-bound)
	// UntilIdle makes Run return once nothing arrived for IdleTimeout and
	// Lag reports the group caught up.
	UntilIdle   bool
	IdleTimeout time.Duration
	Lag         func(ctx context.Context) (int64, error)
	// Points returns the current observation points.
	Points   func() map[string]bw.ObservationPoint
	Location *time.Location
	Log      *slog.Logger
	Now      func() time.Time
}

// Stats counts what an Ingester has done.
type Stats struct {
	Messages    int
	Events      int
	ByKind      map[bw.Kind]int
	DeadLetters int
	ByReason    map[string]int
	Batches     int
	Elapsed     time.Duration
	// FirstFetch and LastFlush bound the time spent moving messages, which
	// excludes joining the group and waiting idle at the end.
	FirstFetch, LastFlush time.Time
}

// Busy is the time from the first message fetched to the last batch
// flushed.
func (s Stats) Busy() time.Duration {
	if s.FirstFetch.IsZero() || s.LastFlush.Before(s.FirstFetch) {
		return 0
	}
	return s.LastFlush.Sub(s.FirstFetch)
}

// EventsPerSecond is the throughput of messages (events and dead letters)
// over the busy time.
func (s Stats) EventsPerSecond() float64 {
	if s.Busy() <= 0 {
		return 0
	}
	return float64(s.Messages) / s.Busy().Seconds()
}

// Ingester consumes one Source into one Store.
type Ingester struct {
	cfg  Config
	src  Source
	store Store

	mu    sync.Mutex
	stats Stats
	seq   atomic.Uint64
}

// New returns an Ingester with cfg's zero values filled with defaults.
func New(cfg Config, src Source, store Store) *Ingester {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 100000
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.Writers <= 0 {
		cfg.Writers = 1
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 2 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Ingester{cfg: cfg, src: src, store: store,
		stats: Stats{ByKind: map[bw.Kind]int{}, ByReason: map[string]int{}}}
}

// Stats returns a copy of the counts so far.
func (in *Ingester) Stats() Stats {
	in.mu.Lock()
	defer in.mu.Unlock()
	s := in.stats
	s.ByKind, s.ByReason = copyMap(s.ByKind), copyMap(s.ByReason)
	return s
}

func copyMap[K comparable](m map[K]int) map[K]int {
	out := make(map[K]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// batch is a set of fetched messages flushed together. Its chunks are
// decoded in the background while the batch fills, so that the flusher
// mostly writes.
type batch struct {
	msgs      []kafka.Message
	chunks    []chan decoded // one per chunk of msgs, in order
	handedOut int            // messages handed to decoding so far
	done      chan struct{}  // closed once committed (for idle checks)

	written chan error // the outcome of writing
	started time.Time
	parts   []*clickhouse.EventRows
	dead    []bw.DeadLetter
}

// Run consumes until ctx ends, a flush fails, or (with UntilIdle) the group
// has caught up. Batches fetched but not flushed when ctx ends are not
// committed and will be delivered again.
func (in *Ingester) Run(ctx context.Context) (Stats, error) {
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	flushes := make(chan *batch, 1)              // the next batch waits while one fills
	ordered := make(chan *batch, in.cfg.Writers) // batches being written, in fetch order
	go in.startWrites(ctx, flushes, ordered)
	var flushErr error
	committed := make(chan struct{})
	go func() {
		defer close(committed)
		for b := range ordered {
			err := <-b.written
			if err == nil && flushErr == nil {
				err = in.finish(ctx, b)
			}
			if err != nil && flushErr == nil {
				flushErr = err // later batches may be written, but none is committed
				cancel()
			}
			close(b.done)
		}
	}()
	fetchErr := in.fetchLoop(ctx, flushes)
	close(flushes)
	<-committed
	s := in.Stats()
	s.Elapsed = time.Since(start)
	if flushErr != nil {
		return s, flushErr
	}
	if fetchErr != nil && !errors.Is(fetchErr, context.Canceled) {
		return s, fetchErr
	}
	return s, nil
}

// startWrites writes up to cfg.Writers batches at once and passes them on
// in fetch order, so that offsets are committed in order.
func (in *Ingester) startWrites(ctx context.Context, flushes <-chan *batch, ordered chan<- *batch) {
	defer close(ordered)
	sem := make(chan struct{}, in.cfg.Writers)
	for b := range flushes {
		b.written = make(chan error, 1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			b.written <- in.write(ctx, b)
		}()
		ordered <- b
	}
}

// fetchLoop fills batches and hands them to the flusher.
func (in *Ingester) fetchLoop(ctx context.Context, flushes chan<- *batch) error {
	var cur *batch
	var deadline time.Time
	var last *batch
	sem := make(chan struct{}, in.cfg.Workers) // decoding goroutines at once
	send := func() {
		if cur == nil {
			return
		}
		in.decodeChunk(cur, sem)
		last, cur = cur, nil
		select {
		case flushes <- last:
		case <-ctx.Done():
		}
	}
	for {
		wait := in.cfg.IdleTimeout
		if cur != nil {
			wait = min(wait, time.Until(deadline))
		}
		m, err := in.fetch(ctx, wait)
		switch {
		case err == nil:
			if cur == nil {
				in.markFirstFetch()
				deadline = time.Now().Add(in.cfg.FlushInterval)
				cur = &batch{msgs: make([]kafka.Message, 0, in.cfg.BatchSize), done: make(chan struct{})}
			}
			cur.msgs = append(cur.msgs, m)
			if len(cur.msgs)-cur.handedOut >= chunkSize {
				in.decodeChunk(cur, sem)
			}
			if len(cur.msgs) >= in.cfg.BatchSize || time.Now().After(deadline) {
				send()
			}
		case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
			idle := cur == nil
			send()
			if idle && in.cfg.UntilIdle && in.caughtUp(ctx, last) {
				return nil
			}
		default:
			return err
		}
	}
}

func (in *Ingester) fetch(ctx context.Context, wait time.Duration) (kafka.Message, error) {
	fctx, cancel := context.WithTimeout(ctx, max(wait, time.Millisecond))
	defer cancel()
	return in.src.Fetch(fctx)
}

// caughtUp waits for the last batch to be flushed and asks the broker
// whether the group has anything left to read.
func (in *Ingester) caughtUp(ctx context.Context, last *batch) bool {
	if last != nil {
		select {
		case <-last.done:
		case <-ctx.Done():
			return false
		}
	}
	if in.cfg.Lag == nil {
		return true
	}
	lag, err := in.cfg.Lag(ctx)
	if err != nil {
		in.cfg.Log.Warn("lag check failed; still waiting", "err", err)
		return false
	}
	in.cfg.Log.Debug("idle", "lag", lag)
	return lag == 0
}

// flush decodes msgs, writes events and dead letters, and commits the
// offsets. It retries transient ClickHouse failures a few times before
// giving up; nothing is committed unless everything was written.
func (in *Ingester) write(ctx context.Context, b *batch) error {
	b.started = time.Now()
	b.parts, b.dead = collect(b)
	seq := in.nextSeq()
	err := retry(ctx, in.cfg.Log, func() error {
		if err := in.store.InsertEvents(ctx, b.parts, seq); err != nil {
			return err
		}
		return in.store.InsertDeadLetters(ctx, b.dead)
	})
	if err != nil {
		return fmt.Errorf("ingest: write batch of %d messages: %w", len(b.msgs), err)
	}
	return nil
}

// finish commits a written batch's offsets and records it.
func (in *Ingester) finish(ctx context.Context, b *batch) error {
	if err := in.src.Commit(ctx, lastPerPartition(b.msgs)); err != nil {
		// The batch is in ClickHouse; a redelivery is deduplicated.
		in.cfg.Log.Warn("offset commit failed; batch will be redelivered and deduplicated", "err", err)
	}
	events := 0
	for _, p := range b.parts {
		events += p.Len()
	}
	in.record(b.parts, b.dead, len(b.msgs))
	if err := in.store.LogIngestBatch(ctx, clickhouse.IngestBatch{
		FlushedAt: time.Now(), Topic: in.cfg.Topic, Group: in.cfg.Group, Messages: len(b.msgs),
		Events: events, DeadLetters: len(b.dead), Duration: time.Since(b.started), Lag: lagOf(b.msgs),
	}); err != nil {
		in.cfg.Log.Warn("could not log ingest batch", "err", err)
	}
	in.cfg.Log.Debug("flushed", "messages", len(b.msgs), "events", events, "dead_letters", len(b.dead),
		"took", time.Since(b.started))
	return nil
}

// nextSeq returns a strictly increasing ingest sequence based on the clock.
func (in *Ingester) nextSeq() uint64 {
	for {
		prev := in.seq.Load()
		next := max(uint64(time.Now().UnixNano()), prev+1)
		if in.seq.CompareAndSwap(prev, next) {
			return next
		}
	}
}

func (in *Ingester) markFirstFetch() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.stats.FirstFetch.IsZero() {
		in.stats.FirstFetch = time.Now()
	}
}

func (in *Ingester) record(parts []*clickhouse.EventRows, dls []bw.DeadLetter, messages int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.stats.LastFlush = time.Now()
	in.stats.Messages += messages
	in.stats.Batches++
	for _, p := range parts {
		in.stats.Events += p.Len()
		for k, n := range p.KindCounts() {
			in.stats.ByKind[k] += n
		}
	}
	in.stats.DeadLetters += len(dls)
	for _, d := range dls {
		in.stats.ByReason[d.ReasonCode]++
	}
}

// lastPerPartition returns the message with the highest offset of each
// partition.
func lastPerPartition(msgs []kafka.Message) []kafka.Message {
	last := map[int32]kafka.Message{}
	for _, m := range msgs {
		if l, ok := last[m.Partition]; !ok || m.Offset > l.Offset {
			last[m.Partition] = m
		}
	}
	out := make([]kafka.Message, 0, len(last))
	for _, m := range last {
		out = append(out, m)
	}
	return out
}

// lagOf estimates the consumer lag after msgs from their high watermarks.
func lagOf(msgs []kafka.Message) int64 {
	var lag int64
	for _, m := range lastPerPartition(msgs) {
		if m.HighWaterMark > m.Offset+1 {
			lag += m.HighWaterMark - m.Offset - 1
		}
	}
	return lag
}

// retry runs f up to 5 times with backoff while ctx lasts.
func retry(ctx context.Context, log *slog.Logger, f func() error) error {
	var err error
	wait := 200 * time.Millisecond
	for i := 0; i < 5; i++ {
		if err = f(); err == nil {
			return nil
		}
		log.Warn("write failed; retrying", "attempt", i+1, "err", err)
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
		wait *= 2
	}
	return err
}
