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
	"github.com/cenkalti/backoff/v5"
	"github.com/prometheus/client_golang/prometheus"
)

// Source is where messages come from: a Kafka consumer group member. Fetch
// rides out broker outages itself and returns only when ctx ends or on an
// error retrying cannot cure.
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
	LogIngestBatch(ctx context.Context, bs ...clickhouse.IngestBatch) error
}

// Config tunes an Ingester.
type Config struct {
	Topic         string
	Group         string
	BatchSize     int           // messages per batch at most
	FlushInterval time.Duration // a batch is flushed this long after its first message
	Workers       int           // decoding goroutines
	Writers       int           // batches written to ClickHouse at once (default 2: the server inserts one batch on a core)
	// MemoryBudget bounds the bytes of messages fetched but not yet written
	// and committed (raw until decoded, then their columns): fetching
	// pauses while it is reached. A batch closes once it holds BatchBytes
	// (default a third of the budget: one batch fills while two are
	// written), and the months held back for later batches (months.go)
	// take at most as much.
	MemoryBudget int64
	BatchBytes   int64
	// MaxMessageBytes is the largest message decoded; a larger one is
	// dead-lettered (reason too_large) with its size and raw bytes.
	MaxMessageBytes int
	// UntilIdle makes Run return once nothing arrived for IdleTimeout and
	// Lag reports the group caught up.
	UntilIdle   bool
	IdleTimeout time.Duration
	// MaxOutage, with UntilIdle, is how long ClickHouse or Kafka may stay
	// unreachable before Run gives up (0: default 3 minutes). Without
	// UntilIdle outages are ridden out for ever.
	MaxOutage time.Duration
	// MinPartRows and MaxHold shape the inserts while ingest catches up
	// (months.go): the events of batches closed by size are held back by
	// month, up to BatchBytes, and the largest months of at least
	// MinPartRows rows (default 16384, at most a quarter of BatchSize) are
	// written when the held ones exceed it; none is held for more than
	// MaxHold (default 30 s). Negative MinPartRows writes every batch whole.
	MinPartRows int
	MaxHold     time.Duration
	Lag         func(ctx context.Context) (int64, error)
	// Health tracks the services' reachability (nil: a new one). Pass the
	// same Health as the consumer's OnConnect callback.
	Health *Health
	// Registerer receives the ingest metrics (nil: none).
	Registerer prometheus.Registerer
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
	// PeakHeld is the most events held back at once for later batches
	// (months.go).
	PeakHeld int
	// EventParts counts the parts the events inserts created: one per
	// month each insert touched (months.go).
	EventParts int
	Elapsed    time.Duration
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
	cfg   Config
	src   Source
	store Store

	health  *Health
	metrics *metrics

	mu    sync.Mutex
	stats Stats
	seq   atomic.Uint64

	inflight atomic.Int64  // bytes fetched and not yet released
	freed    chan struct{} // signalled when a batch releases its bytes

	planMu  sync.Mutex              // the writers' plans, one at a time:
	pool    pool                    // months held back for later batches
	fetched map[int32]kafka.Message // per Kafka partition, the last message of the batches planned
	planned map[int32]int64         // per Kafka partition, the last offset a plan committed
	pooled  atomic.Int64            // events in the pool (read by the fetch loop)

	sizes atomic.Pointer[clickhouse.RowSizes] // of the last chunk decoded, to size the next

	logRows  []clickhouse.IngestBatch // ingest log rows not yet written (the committing goroutine's)
	loggedAt time.Time
}

// Defaults of Config.
const (
	DefaultMemoryBudget    = 112 << 20
	DefaultBatchSize       = 200000
	DefaultMaxMessageBytes = 256 << 10
	DefaultMaxOutage       = 3 * time.Minute
)

// New returns an Ingester with cfg's zero values filled with defaults.
func New(cfg Config, src Source, store Store) *Ingester {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.Writers <= 0 {
		cfg.Writers = 2
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
	if cfg.MemoryBudget <= 0 {
		cfg.MemoryBudget = DefaultMemoryBudget
	}
	if cfg.BatchBytes <= 0 || cfg.BatchBytes > cfg.MemoryBudget {
		cfg.BatchBytes = cfg.MemoryBudget / 3
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if cfg.MaxOutage <= 0 {
		cfg.MaxOutage = DefaultMaxOutage
	}
	if cfg.MinPartRows == 0 {
		cfg.MinPartRows = DefaultMinPartRows
	}
	if cfg.MaxHold <= 0 {
		cfg.MaxHold = DefaultMaxHold
	}
	if cfg.Location == nil {
		cfg.Location = bw.Location()
	}
	if cfg.Health == nil {
		cfg.Health = NewHealth(cfg.Log, cfg.Registerer)
	}
	return &Ingester{cfg: cfg, src: src, store: store, health: cfg.Health, metrics: newMetrics(cfg.Registerer),
		freed: make(chan struct{}, 1), stats: Stats{ByKind: map[bw.Kind]int{}, ByReason: map[string]int{}},
		fetched: map[int32]kafka.Message{}, planned: map[int32]int64{}}
}

// SoftMemoryLimit is the Go runtime memory limit (debug.SetMemoryLimit)
// that keeps an ingest process with this budget within its memory: the
// budget (fetched messages, then their decoded columns, which an insert
// sends as they are) and 96 MiB for the fetch buffers, clients and
// runtime. Without it the heap may grow to twice the live data.
func SoftMemoryLimit(budget int64) int64 {
	if budget <= 0 {
		budget = DefaultMemoryBudget
	}
	return budget + 96<<20
}

// Ready returns nil when ClickHouse and Kafka are reachable, or why not.
func (in *Ingester) Ready() error { return in.health.Ready() }

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
	pending []kafka.Message         // fetched, not yet handed to decoding
	n       int                     // messages in the batch
	bytes   atomic.Int64            // their cost against the memory budget (raw until decoded, then columns)
	last    map[int32]kafka.Message // per partition, the last message (without key and value)
	chunks  []chan decoded          // one per chunk of messages, in order
	done    chan struct{}           // closed once committed (for idle checks)

	// flushAll writes the pool and every month of the batch (closed by
	// time, or ingest idle or stopping) instead of holding small months.
	flushAll bool
	opened   time.Time // when its first message was fetched

	written chan error // the outcome of writing
	started time.Time
	months  []*monthRows    // the batch's events by month
	write   []*monthRows    // the events written with the batch (pooled ones included)
	commit  []kafka.Message // per Kafka partition, the last message to commit
	dead    []bw.DeadLetter // the batch's dead letters
	// deadWrite are the dead letters written with the batch: its own and
	// those held from earlier batches, or none while they are held.
	deadWrite []bw.DeadLetter
}

func newBatch() *batch {
	return &batch{last: map[int32]kafka.Message{}, done: make(chan struct{}), opened: time.Now()}
}

// Run consumes until ctx ends, a permanent error occurs, or (with
// UntilIdle) the group has caught up. Outages of ClickHouse or Kafka are
// ridden out (with UntilIdle, for at most MaxOutage). Batches fetched but
// not committed when Run returns are delivered again. A cancelled ctx is
// not an error.
func (in *Ingester) Run(ctx context.Context) (Stats, error) {
	start := time.Now()
	parent := ctx
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
			in.release(b)
		}
	}()
	fetchErr := in.fetchLoop(ctx, flushes)
	close(flushes)
	<-committed
	in.flushLog(context.WithoutCancel(ctx))
	s := in.Stats()
	s.Elapsed = time.Since(start)
	for _, err := range []error{flushErr, fetchErr} {
		if err != nil && !(parent.Err() != nil && errors.Is(err, parent.Err())) && !errors.Is(err, context.Canceled) {
			return s, err
		}
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
		b.started = time.Now()
		b.months, b.dead = collect(b)
		in.plan(b) // in fetch order, before its write starts
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
	var fetchCtx deadlineCtx
	defer fetchCtx.cancel()
	ends := partitionEnds{}
	fetched, stall := 0, stallWatch{since: time.Now()}
	send := func() {
		if cur == nil {
			return
		}
		in.decodeChunk(cur, sem)
		ends.note(cur)
		last, cur = cur, nil
		select {
		case flushes <- last:
		case <-ctx.Done():
		}
	}
	for {
		if in.inflight.Load() >= in.cfg.MemoryBudget {
			// The budget is full. While the previous batch is being written
			// its release makes room; otherwise write what we hold.
			if last == nil || isDone(last) {
				send()
			}
			if err := in.waitForRoom(ctx); err != nil {
				return err
			}
			continue
		}
		until := time.Now().Add(in.cfg.IdleTimeout)
		if cur != nil {
			until = deadline
		}
		m, err := in.src.Fetch(fetchCtx.until(ctx, until))
		switch {
		case err == nil:
			fetched++
			if cur == nil {
				in.markFirstFetch()
				deadline = time.Now().Add(in.cfg.FlushInterval)
				cur = newBatch()
			}
			cost := messageCost(&m)
			cur.add(m, cost)
			in.charge(cost)
			if len(cur.pending) >= chunkSize {
				in.decodeChunk(cur, sem)
			}
			switch {
			case cur.n >= in.cfg.BatchSize || in.batchFull(cur):
				send()
			case in.drained(cur, ends):
				cur.flushAll = true // the end of a backlog: nothing to wait for
				send()
			case !time.Now().After(deadline):
			case in.catchingUp(cur):
				deadline = time.Now().Add(in.cfg.FlushInterval) // a backlog: fill the batch
			default:
				cur.flushAll = true // live traffic: write it all now
				send()
			}
		case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
			idle := cur == nil
			if !idle && in.catchingUp(cur) {
				deadline = time.Now().Add(in.cfg.FlushInterval)
				continue
			}
			if idle && in.pooled.Load() > 0 { // nothing new: write what the pool holds
				cur = newBatch()
			}
			if cur != nil {
				cur.flushAll = true
			}
			send()
			if !in.cfg.UntilIdle {
				continue
			}
			if err := in.health.exceeded(in.cfg.MaxOutage); err != nil {
				return err
			}
			if !idle {
				continue
			}
			lag := in.lagAfter(ctx, last)
			if lag == 0 {
				return nil
			}
			if err := stall.check(fetched, lag, in.cfg.MaxOutage, in.cfg.Log); err != nil {
				return err
			}
		default:
			if cur != nil {
				cur.flushAll = true
			}
			send() // decoded or not, what was fetched is written before Run returns
			return err
		}
	}
}

// batchFull reports whether b holds BatchBytes once decoded: its messages
// at the bytes per event of the chunks decoded so far (the undecoded ones
// still cost their raw size against the budget, which bounds memory). A
// batch at twice BatchBytes of actual cost is full in any case.
func (in *Ingester) batchFull(b *batch) bool {
	cost := b.bytes.Load()
	if s := in.sizes.Load(); s != nil {
		if est := int64(float64(b.n) * s.Total()); est >= in.cfg.BatchBytes {
			return true
		}
		return cost >= 2*in.cfg.BatchBytes
	}
	return cost >= in.cfg.BatchBytes
}

func isDone(b *batch) bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}

// maxBacklogBatch is how many flush intervals a batch may stay open while
// ingest catches up on a backlog (the batch then closes by size, not time).
const maxBacklogBatch = 10

// partitionEnds is, by partition fetched from in the batches sent so far,
// how many messages it held beyond the last one fetched, at that fetch.
type partitionEnds map[int32]int64

// note records the partitions of b, a batch being sent.
func (p partitionEnds) note(b *batch) {
	for part, m := range b.last {
		p[part] = left(&m)
	}
}

// readWith reports whether every partition fetched from, in the batches
// sent and in b, the open one, was read to its end.
func (p partitionEnds) readWith(b *batch) bool {
	if b.lag() > 0 {
		return false
	}
	for part, n := range p {
		if _, open := b.last[part]; !open && n > 0 {
			return false
		}
	}
	return true
}

// drained reports whether b ends a backlog: every partition fetched from
// has been read to its high watermark, and b is large or months of the
// backlog are held back in the pool. Waiting out the flush interval then
// would only leave the cores idle (issue 11: 0.75 s of a 3.9 s backlog);
// live traffic, a few messages a fetch and nothing pooled, still waits
// for it, so that it is written in batches. A partition no longer
// assigned may keep a stale count, which only means waiting as before.
func (in *Ingester) drained(b *batch, ends partitionEnds) bool {
	return in.cfg.MinPartRows > 0 && (b.n >= in.minPartRows() || in.pooled.Load() > 0) && ends.readWith(b)
}

// catchingUp reports whether the open batch b is part of a backlog: the
// partitions it read from hold at least MinPartRows more messages, and b
// was opened less than maxBacklogBatch flush intervals ago. Such a batch
// is closed by size, and its small months are held back (months.go).
func (in *Ingester) catchingUp(b *batch) bool {
	return in.cfg.MinPartRows > 0 && b.lag() >= int64(in.minPartRows()) &&
		time.Since(b.opened) < maxBacklogBatch*in.cfg.FlushInterval
}

// waitForRoom blocks until a batch releases its bytes or ctx ends.
func (in *Ingester) waitForRoom(ctx context.Context) error {
	select {
	case <-in.freed:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(in.cfg.IdleTimeout):
		// Still full (ClickHouse may be down): look again. Giving up after
		// MaxOutage is the writer's decision, and only with UntilIdle.
		return nil
	}
}

// release returns a finished batch's bytes to the budget.
func (in *Ingester) release(b *batch) {
	in.charge(-b.bytes.Load())
	b.months, b.write, b.dead, b.deadWrite = nil, nil, nil, nil
}

// charge adds delta bytes to what is held against the budget, and wakes
// a fetch loop waiting for room unless delta takes some.
func (in *Ingester) charge(delta int64) {
	in.metrics.inflight.Set(float64(in.inflight.Add(delta)))
	if delta <= 0 {
		select {
		case in.freed <- struct{}{}:
		default:
		}
	}
}

// deadlineCtx is a context with a deadline reused by the fetches of one
// batch: a new context and timer per message cost about a tenth of the
// ingest process's CPU.
type deadlineCtx struct {
	ctx      context.Context
	stop     context.CancelFunc
	deadline time.Time
}

// until returns a context of parent ending at t (at least a millisecond
// from now), the same as before while t is unchanged and it has not ended.
func (d *deadlineCtx) until(parent context.Context, t time.Time) context.Context {
	if d.ctx != nil && t.Equal(d.deadline) && d.ctx.Err() == nil {
		return d.ctx
	}
	d.cancel()
	d.deadline = t
	d.ctx, d.stop = context.WithDeadline(parent, later(t, time.Now().Add(time.Millisecond)))
	return d.ctx
}

func (d *deadlineCtx) cancel() {
	if d.stop != nil {
		d.stop()
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// lagAfter waits for the last batch to be flushed and asks the broker
// how much the group has left to read: 0 when it has caught up (or no Lag
// is configured), -1 when that cannot be told.
func (in *Ingester) lagAfter(ctx context.Context, last *batch) int64 {
	if last != nil {
		select {
		case <-last.done:
		case <-ctx.Done():
			return -1
		}
	}
	if in.cfg.Lag == nil {
		return 0
	}
	lag, err := in.cfg.Lag(ctx)
	if err != nil {
		if ctx.Err() == nil {
			in.health.Down(ServiceKafka, err)
		}
		return -1
	}
	in.health.Up(ServiceKafka)
	in.cfg.Log.Debug("idle", "lag", lag)
	return lag
}

// stallWatch tells a consumer that has stalled, with UntilIdle: everything
// fetched is written and committed, the group's lag says messages wait and
// does not change, yet none arrives (the consumer holds no partition, or
// the broker serves none). Such a run would never end; it warns once the
// stall has lasted stallWarning and gives up after MaxOutage, as for an
// outage.
type stallWatch struct {
	fetched int       // messages fetched when the watch last saw progress
	lag     int64     // the group's lag then
	since   time.Time // when it did
	warned  bool
}

// stallWarning is how long a stall lasts before it is logged.
const stallWarning = 30 * time.Second

// check is called when the fetch loop is idle with everything committed
// and the group's lag read (lag < 0: it could not be read); fetched is
// the messages fetched so far. A lag that changes is progress too: another
// member of the group (scale-out) may be working through the partitions
// while this one, holding none or done with its own, waits for the group.
func (w *stallWatch) check(fetched int, lag int64, limit time.Duration, log *slog.Logger) error {
	if fetched != w.fetched || lag <= 0 || lag != w.lag {
		*w = stallWatch{fetched: fetched, lag: lag, since: time.Now()}
		return nil
	}
	d := time.Since(w.since)
	if limit > 0 && d > limit {
		return fmt.Errorf("ingest: giving up: the group's lag is %d messages but none arrived for %s (more than --max-outage %s); the consumer may hold no partition of the topic", lag, d.Round(time.Second), limit)
	}
	if d > stallWarning && !w.warned {
		w.warned = true
		log.Warn("no message arrives although the group's lag is not 0", "lag", lag, "for", d.Round(time.Second))
	}
	return nil
}

// write decodes a batch and writes its events and dead letters, retrying
// transient ClickHouse failures (an unreachable server, a broken
// connection) for ever with capped exponential backoff and jitter — with
// UntilIdle for at most MaxOutage. Nothing is committed unless everything
// was written.
func (in *Ingester) write(ctx context.Context, b *batch) error {
	parts := eventRows(b.write)
	seq := in.nextSeq()
	err := in.retry(ctx, ServiceClickHouse, func() error {
		t0 := time.Now()
		err := in.store.InsertEvents(ctx, parts, seq)
		t1 := time.Now()
		if err == nil {
			err = in.store.InsertDeadLetters(ctx, b.deadWrite)
		}
		in.cfg.Log.Debug("inserted", "events", t1.Sub(t0), "dead_letters", time.Since(t1))
		if err == nil {
			in.metrics.insert.Observe(time.Since(t0).Seconds())
		} else if !clickhouse.Transient(err) {
			return backoff.Permanent(err)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("ingest: write batch of %d messages: %w", b.n, err)
	}
	return nil
}

// plan decides what a batch writes — its months and the pool's, less the
// months held back (months.go) — and which offsets it commits: for each
// Kafka partition, the last message planned so far, but never one at or
// past a held event. Several writers at once write every batch whole.
func (in *Ingester) plan(b *batch) {
	in.planMu.Lock()
	defer in.planMu.Unlock()
	if in.cfg.MinPartRows < 0 {
		b.write, b.deadWrite, b.commit = b.months, b.dead, b.lastPerPartition()
		return
	}
	flushAll := b.flushAll || int(in.pooled.Load()) > in.cfg.BatchSize
	b.write = in.pool.plan(b.months, flushAll, in.minPartRows(), in.cfg.BatchBytes, in.cfg.MaxHold, time.Now())
	for _, mr := range b.write { // rows held earlier are released with this batch
		if mr.pooled {
			b.bytes.Add(mr.rows.Bytes())
		}
	}
	for _, mr := range in.pool.months { // rows held now are released with a later one
		if !mr.pooled {
			mr.pooled = true
			b.bytes.Add(-mr.rows.Bytes())
		}
	}
	b.deadWrite = in.planDead(b, flushAll)
	held := events(in.pool.months)
	in.pooled.Store(int64(held + len(in.pool.dead)))
	in.mu.Lock()
	in.stats.PeakHeld = max(in.stats.PeakHeld, held)
	in.mu.Unlock()
	for p, m := range b.last {
		if f, ok := in.fetched[p]; !ok || m.Offset > f.Offset {
			in.fetched[p] = m
		}
	}
	first := in.pool.held()
	b.commit = nil
	for p, m := range in.fetched {
		if h, ok := first[p]; ok && h-1 < m.Offset {
			m.Offset = h - 1
		}
		if last, ok := in.planned[p]; m.Offset < 0 || (ok && m.Offset <= last) {
			continue
		}
		in.planned[p] = m.Offset
		b.commit = append(b.commit, m)
	}
}

// planDead decides whether a batch writes the dead letters held so far
// with its own, or holds its own too: dead letters are a part of their own
// per insert, so while ingest catches up they are written once they are
// minPartRows, held for MaxHold, or a twelfth of the budget — or with a
// batch that writes everything.
func (in *Ingester) planDead(b *batch, flushAll bool) []bw.DeadLetter {
	p := &in.pool
	var cost int64
	for i := range b.dead {
		cost += int64(len(b.dead[i].Raw)) + perMessageCost
	}
	if len(p.dead) == 0 && len(b.dead) > 0 {
		p.deadSince = time.Now()
	}
	all := append(p.dead[:len(p.dead):len(p.dead)], b.dead...)
	if flushAll || len(all) >= in.minPartRows() || time.Since(p.deadSince) >= in.cfg.MaxHold ||
		p.deadBytes+cost > in.cfg.MemoryBudget/12 {
		b.bytes.Add(p.deadBytes) // the held ones are released with this batch
		p.dead, p.deadBytes = nil, 0
		return all
	}
	b.bytes.Add(-cost) // released with a later batch
	p.dead, p.deadBytes = all, p.deadBytes+cost
	return nil
}

// minPartRows is the rows a month needs to be written: MinPartRows, but at
// most a quarter of a batch, so that small batches stay small.
func (in *Ingester) minPartRows() int { return max(1, min(in.cfg.MinPartRows, in.cfg.BatchSize/4)) }

// retry runs f until it succeeds, fails permanently (f wraps such errors
// with backoff.Permanent), ctx ends, or (with UntilIdle) service has been
// down for longer than MaxOutage.
func (in *Ingester) retry(ctx context.Context, service string, f func() error) error {
	limit := time.Duration(0)
	if in.cfg.UntilIdle {
		limit = in.cfg.MaxOutage
	}
	return in.health.retry(ctx, service, limit, f)
}

// finish commits a written batch's offsets and records it. A commit that
// fails because the broker is unreachable is retried like a write; one
// refused because the group rebalanced is skipped (the partition's new
// owner reads the batch again, which the events table deduplicates).
func (in *Ingester) finish(ctx context.Context, b *batch) error {
	err := in.retry(ctx, ServiceKafka, func() error {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if len(b.commit) == 0 {
			return nil
		}
		err := in.src.Commit(cctx, b.commit)
		if err != nil && (kafka.Rebalanced(err) || errors.Is(err, kafka.ErrPermanent)) {
			return backoff.Permanent(err)
		}
		return err
	})
	switch {
	case err == nil:
	case kafka.Rebalanced(err):
		in.cfg.Log.Warn("offset commit refused after a rebalance; the batch will be redelivered and deduplicated", "err", err)
	default:
		return err
	}
	events := events(b.write)
	in.record(b.write, b.deadWrite, b.n)
	lag := b.lag()
	in.metrics.lag.Set(float64(lag))
	in.logBatch(ctx, clickhouse.IngestBatch{
		FlushedAt: time.Now(), Topic: in.cfg.Topic, Group: in.cfg.Group, Messages: b.n,
		Events: events, DeadLetters: len(b.deadWrite), Duration: time.Since(b.started), Lag: lag,
	}, b.flushAll)
	in.cfg.Log.Debug("flushed", "messages", b.n, "events", events, "months", distinctMonths(b.write), "dead_letters", len(b.deadWrite),
		"bytes", b.bytes.Load(), "took", time.Since(b.started))
	return nil
}

// logInterval is how long rows of the ingest log may wait while ingest
// catches up: each insert of the log is a part, as dear on ClickHouse 18.16
// as thousands of events.
const logInterval = 10 * time.Second

// logBatch records a committed batch in the ingest log: at once after a
// batch of live traffic (now), else with the next ones, at most
// logInterval later, and when Run returns.
func (in *Ingester) logBatch(ctx context.Context, row clickhouse.IngestBatch, now bool) {
	in.logRows = append(in.logRows, row)
	if now || time.Since(in.loggedAt) >= logInterval {
		in.flushLog(ctx)
	}
}

// flushLog writes the ingest log rows held (an error is only logged: the
// ingest log is a record, not data).
func (in *Ingester) flushLog(ctx context.Context) {
	if len(in.logRows) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := in.store.LogIngestBatch(ctx, in.logRows...); err != nil {
		in.cfg.Log.Debug("could not log ingest batches", "batches", len(in.logRows), "err", err)
	}
	in.logRows, in.loggedAt = in.logRows[:0], time.Now()
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

func (in *Ingester) record(written []*monthRows, dls []bw.DeadLetter, messages int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.stats.LastFlush = time.Now()
	in.stats.Messages += messages
	in.stats.Batches++
	in.stats.EventParts += distinctMonths(written)
	in.metrics.messages.Add(float64(messages))
	for _, mr := range written {
		in.stats.Events += mr.rows.Len()
		for k, n := range mr.rows.KindCounts() {
			in.stats.ByKind[k] += n
			in.metrics.events.WithLabelValues(string(k)).Add(float64(n))
		}
	}
	in.stats.DeadLetters += len(dls)
	for _, d := range dls {
		in.stats.ByReason[d.ReasonCode]++
		in.metrics.deadLetters.WithLabelValues(d.ReasonCode).Inc()
	}
}

// perMessageCost is what a fetched message costs against the memory budget
// beyond its value: the message's own record (topic, key, headers,
// coordinates) until it is decoded. Once its chunk is decoded, a valid
// message costs only its share of the chunk's columns (EventRows.Bytes,
// ≈ 300 bytes an event), a dead letter its raw bytes (adjust).
const perMessageCost = 256

func messageCost(m *kafka.Message) int64 { return int64(len(m.Value)+len(m.Key)) + perMessageCost }

// adjust replaces, against the budget, the fetched cost of a decoded
// chunk's valid messages with the memory of its columns.
func (in *Ingester) adjust(b *batch, delta int64) {
	b.bytes.Add(delta)
	in.charge(delta)
}

// add appends m to the batch.
func (b *batch) add(m kafka.Message, cost int64) {
	b.pending = append(b.pending, m)
	b.n++
	b.bytes.Add(cost)
	if l, ok := b.last[m.Partition]; !ok || m.Offset > l.Offset {
		m.Key, m.Value = nil, nil
		b.last[m.Partition] = m
	}
}

// lastPerPartition returns the message with the highest offset of each
// partition.
func (b *batch) lastPerPartition() []kafka.Message {
	out := make([]kafka.Message, 0, len(b.last))
	for _, m := range b.last {
		out = append(out, m)
	}
	return out
}

// lag estimates the consumer lag after the batch from the high watermarks.
func (b *batch) lag() int64 {
	var lag int64
	for _, m := range b.last {
		lag += left(&m)
	}
	return lag
}

// left is how many messages m's partition held beyond m when m was
// fetched (its high watermark then).
func left(m *kafka.Message) int64 { return max(0, m.HighWaterMark-m.Offset-1) }
