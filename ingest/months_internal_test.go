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

// chunkBytes is the bytes of chunks of rowsOf with n rows each.
func chunkBytes(n ...int) int64 {
	var b int64
	for _, n := range n {
		b += rowsOf(0, n, 0, time.Now()).rows.Bytes()
	}
	return b
}

// TestPoolWritesLargestMonthsFirst: months are held while they fit in the
// limit; beyond it the largest of at least minRows rows are written until
// the rest fits, and everything when small months alone exceed it.
func TestPoolWritesLargestMonthsFirst(t *testing.T) {
	now := time.Now()
	limit := chunkBytes(30, 2, 5) + 500 // the first three chunks fit, with July they do not
	var p pool
	plan := func(batch ...*monthRows) []int { return months(p.plan(batch, false, 20, limit, time.Minute, now)) }
	if got := plan(rowsOf(202506, 30, 0, now), rowsOf(202503, 2, 30, now), rowsOf(202506, 5, 32, now)); len(got) != 0 {
		t.Fatalf("written %v, want nothing (37 rows fit in 50)", got)
	}
	if got := plan(rowsOf(202507, 40, 40, now)); len(got) != 1 || got[0] != 202507 {
		t.Fatalf("written %v, want July (40 rows, the largest, brings 77 down to 37)", got)
	}
	if got := plan(rowsOf(202508, 30, 80, now)); len(got) != 2 || got[0] != 202506 || got[1] != 202506 {
		t.Fatalf("written %v, want both June chunks (35 rows, the largest)", got)
	}
	if got := months(p.months); len(got) != 2 || got[0] != 202503 || got[1] != 202508 {
		t.Fatalf("held %v, want March and August", got)
	}
	if h := p.held(); h[0] != 30 {
		t.Errorf("lowest held offset = %v, want 30 (March)", h)
	}
	// Small months alone beyond the limit: everything is written.
	var small []*monthRows
	for m := 0; m < 30; m++ {
		small = append(small, rowsOf(202401+m%12+m/12*100, 2, int64(200+2*m), now))
	}
	if got := plan(small...); len(got) != 32 || len(p.months) != 0 {
		t.Fatalf("wrote %d chunks, held %v; want all 32 written", len(got), months(p.months))
	}
	// Held too long, or flushAll: written whatever its size.
	if got := months(p.plan([]*monthRows{rowsOf(202501, 1, 300, now.Add(-2*time.Minute))}, false, 20, limit, time.Minute, now)); len(got) != 1 {
		t.Errorf("a month held beyond MaxHold is still held")
	}
	plan(rowsOf(202502, 1, 301, now))
	if got := months(p.plan(nil, true, 20, limit, time.Minute, now)); len(got) != 1 || len(p.months) != 0 {
		t.Errorf("flushAll wrote %v and held %v; want the held month written", got, months(p.months))
	}
}

// testIngester is an Ingester for plan tests: months of 20 rows count as
// large, and the pool holds a chunk of 3 rows and one of 40, not one of 80.
func testIngester() *Ingester {
	return New(Config{MinPartRows: 20, BatchBytes: chunkBytes(3, 40) + 500, Points: func() map[string]bw.ObservationPoint { return nil }}, nil, nil)
}

// TestPlanNeverCommitsPastAHeldEvent: a batch's commit stops before the
// first event still held, and a later plan commits the rest once it is
// written; offsets never go back.
func TestPlanNeverCommitsPastAHeldEvent(t *testing.T) {
	in := testIngester()
	now := time.Now()
	b1 := newBatch()
	b1.last[0] = kafka.Message{Partition: 0, Offset: 99}
	b1.months = []*monthRows{rowsOf(202506, 80, 0, now), rowsOf(202503, 3, 80, now)}
	in.plan(b1)
	if len(b1.commit) != 1 || b1.commit[0].Offset != 79 || len(b1.write) != 1 {
		t.Fatalf("first commit %v, %d chunks written; want June written and offset 79, before the held March event at 80", b1.commit, len(b1.write))
	}
	if in.pooled.Load() != 3 {
		t.Errorf("pooled = %d, want 3", in.pooled.Load())
	}
	b2 := newBatch()
	b2.last[0] = kafka.Message{Partition: 0, Offset: 150}
	b2.months = []*monthRows{rowsOf(202507, 40, 100, now)}
	in.plan(b2)
	if len(b2.commit) != 0 || len(b2.write) != 0 {
		t.Fatalf("second commit %v, %d chunks written; want nothing (43 rows held, March at 80)", b2.commit, len(b2.write))
	}
	flush := newBatch()
	flush.flushAll = true
	in.plan(flush)
	if len(flush.commit) != 1 || flush.commit[0].Offset != 150 || len(flush.write) != 2 {
		t.Fatalf("flush commit %v, wrote %d chunks; want offset 150 and the held March and July", flush.commit, len(flush.write))
	}
	if in.pooled.Load() != 0 {
		t.Errorf("pooled after flush = %d, want 0", in.pooled.Load())
	}
}

// TestPlanHoldsDeadLetters: in a backlog batch few dead letters are held
// for a later batch, the commit stops before the first of them, and a
// batch that writes everything writes them and commits past them.
func TestPlanHoldsDeadLetters(t *testing.T) {
	in := testIngester()
	now := time.Now()
	b1 := newBatch()
	b1.last[0] = kafka.Message{Partition: 0, Offset: 99}
	b1.months = []*monthRows{rowsOf(202506, 80, 0, now)}
	b1.dead = []bw.DeadLetter{{Partition: 0, Offset: 85, Raw: []byte("x")}}
	in.plan(b1)
	if len(b1.deadWrite) != 0 || len(b1.commit) != 1 || b1.commit[0].Offset != 84 || len(b1.write) != 1 {
		t.Fatalf("wrote %d dead letters and %d chunks, commit %v; want June written, the dead letter held and offset 84", len(b1.deadWrite), len(b1.write), b1.commit)
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
