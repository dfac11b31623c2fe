package ingest

import (
	"testing"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/kafka"
)

// rowsOf is a month of n events whose Kafka offsets on partition 0 start
// at first.
func rowsOf(month, n int, first int64, fetched time.Time) *monthRows {
	r := clickhouse.NewEventRows(n)
	for i := 0; i < n; i++ {
		r.Append(&bw.Event{ID: "e", Kind: bw.KindDocument, CountyCode: "430121"}, 1, clickhouse.Delivery{Offset: first + int64(i)})
	}
	return &monthRows{month: month, rows: r, first: map[int32]int64{0: first}, fetched: fetched}
}

func months(ms []*monthRows) []int {
	var out []int
	for _, m := range ms {
		out = append(out, m.month)
	}
	return out
}

func TestPoolHoldsSmallMonths(t *testing.T) {
	now := time.Now()
	var p pool
	write := p.plan([]*monthRows{rowsOf(202506, 30, 0, now), rowsOf(202503, 2, 30, now), rowsOf(202506, 5, 32, now)}, false, 20, time.Minute, now)
	if got := months(write); len(got) != 2 || got[0] != 202506 || got[1] != 202506 {
		t.Fatalf("written %v, want both June chunks (35 rows ≥ 20)", got)
	}
	if got := months(p.months); len(got) != 1 || got[0] != 202503 {
		t.Fatalf("held %v, want March (2 rows < 20)", got)
	}
	if h := p.held(); h[0] != 30 {
		t.Errorf("lowest held offset = %v, want 30", h)
	}
	// March reaches the threshold with the next batch: both chunks go.
	write = p.plan([]*monthRows{rowsOf(202503, 18, 40, now)}, false, 20, time.Minute, now)
	if got := months(write); len(got) != 2 || len(p.months) != 0 {
		t.Fatalf("written %v, held %v; want March twice, nothing held", got, months(p.months))
	}
	// Held too long, or flushAll: written whatever its size.
	p.plan([]*monthRows{rowsOf(202501, 1, 60, now.Add(-2*time.Minute))}, false, 20, time.Minute, now)
	if len(p.months) != 0 {
		t.Errorf("a month held beyond MaxHold is still held")
	}
	p.plan([]*monthRows{rowsOf(202502, 1, 61, now)}, false, 20, time.Minute, now)
	if write = p.plan(nil, true, 20, time.Minute, now); len(write) != 1 || len(p.months) != 0 {
		t.Errorf("flushAll wrote %v and held %v; want the held month written", months(write), months(p.months))
	}
}

// TestPlanNeverCommitsPastAHeldEvent: a batch's commit stops before the
// first event still held, and a later plan commits the rest once it is
// written; offsets never go back.
func TestPlanNeverCommitsPastAHeldEvent(t *testing.T) {
	in := New(Config{MinPartRows: 20, Points: func() map[string]bw.ObservationPoint { return nil }}, nil, nil)
	now := time.Now()
	b1 := newBatch()
	b1.last[0] = kafka.Message{Partition: 0, Offset: 99}
	b1.months = []*monthRows{rowsOf(202506, 60, 0, now), rowsOf(202503, 3, 50, now)}
	in.plan(b1)
	if len(b1.commit) != 1 || b1.commit[0].Offset != 49 {
		t.Fatalf("first commit %v; want offset 49, before the held March event at 50", b1.commit)
	}
	if in.pooled.Load() != 3 {
		t.Errorf("pooled = %d, want 3", in.pooled.Load())
	}
	b2 := newBatch()
	b2.last[0] = kafka.Message{Partition: 0, Offset: 150}
	b2.months = []*monthRows{rowsOf(202506, 40, 100, now)}
	in.plan(b2)
	if len(b2.commit) != 0 {
		t.Fatalf("second commit %v; want none (March still held at 50)", b2.commit)
	}
	flush := newBatch()
	flush.flushAll = true
	in.plan(flush)
	if len(flush.commit) != 1 || flush.commit[0].Offset != 150 || len(flush.write) != 1 {
		t.Fatalf("flush commit %v, wrote %d months; want offset 150 and the held month", flush.commit, len(flush.write))
	}
	if in.pooled.Load() != 0 {
		t.Errorf("pooled after flush = %d, want 0", in.pooled.Load())
	}
}

// TestPlanHoldsDeadLetters: in a backlog batch few dead letters are held
// for a later batch, the commit stops before the first of them, and a
// batch that writes everything writes them and commits past them.
func TestPlanHoldsDeadLetters(t *testing.T) {
	in := New(Config{MinPartRows: 20, Points: func() map[string]bw.ObservationPoint { return nil }}, nil, nil)
	now := time.Now()
	b1 := newBatch()
	b1.last[0] = kafka.Message{Partition: 0, Offset: 99}
	b1.months = []*monthRows{rowsOf(202506, 60, 0, now)}
	b1.dead = []bw.DeadLetter{{Partition: 0, Offset: 70, Raw: []byte("x")}}
	in.plan(b1)
	if len(b1.deadWrite) != 0 || len(b1.commit) != 1 || b1.commit[0].Offset != 69 {
		t.Fatalf("wrote %d dead letters, commit %v; want the dead letter held and offset 69", len(b1.deadWrite), b1.commit)
	}
	if in.pooled.Load() != 1 {
		t.Errorf("pooled = %d, want the held dead letter counted", in.pooled.Load())
	}
	flush := newBatch()
	flush.flushAll = true
	in.plan(flush)
	if len(flush.deadWrite) != 1 || len(flush.commit) != 1 || flush.commit[0].Offset != 99 {
		t.Fatalf("flush wrote %d dead letters, commit %v; want 1 and offset 99", len(flush.deadWrite), flush.commit)
	}
}
