package ingest

import (
	"cmp"
	"slices"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/kafka"
)

// The events table is partitioned by month, and ClickHouse 18.16 pays for
// every part an insert creates — one per month the insert touches — about
// as much as for 20,000 rows (issue 11: 7,000 rows over 12 months take
// four times as long as in one month), and again when it merges the parts.
// While ingest catches up on a backlog, a batch spans a few months and a
// few late events of many earlier ones. So events are grouped by month as
// they are decoded and held in a pool of at most BatchBytes: once a batch
// filled by size takes it beyond, the largest months (of at least
// MinPartRows rows) are written until the rest fits. A month is thus
// written once it is large — mostly once the stream has moved past it —
// and late events wait for their month to grow, for MaxHold, or for the
// pool to fill with small months (then everything is written). Everything
// is written as soon as ingest is idle or a batch closes by time (live
// traffic, where latency matters more than parts). Issue 11's bench
// backlog of 931k messages: 43 event parts when only months below
// MinPartRows were held, 26 largest first. Offsets are never committed
// past a held event: a crash redelivers it, and the events table
// deduplicates what was written twice.

// Defaults of the month pool.
const (
	DefaultMinPartRows = 16384
	DefaultMaxHold     = 30 * time.Second
)

// monthRows are the events of one decoded chunk that fall in one month.
type monthRows struct {
	month   int                   // YYYYMM in the calendar zone: the events table's partition
	rows    *clickhouse.EventRows //
	first   map[int32]int64       // per Kafka partition, the lowest offset of the rows
	fetched time.Time             // when the chunk was decoded
	pooled  bool                  // held back from an earlier batch
}

// monthOf is the partition of t: toYYYYMM(occurred_at) in the calendar zone.
func monthOf(t time.Time, loc *time.Location) int {
	y, m, _ := t.In(loc).Date()
	return y*100 + int(m)
}

// byMonth groups decoded events by month; the chunk's first month gets
// room for the whole chunk (chunks are mostly in time order).
type byMonth struct {
	loc    *time.Location
	n      int
	now    time.Time
	sizes  clickhouse.RowSizes // of an earlier chunk, to size the first month's columns
	months []*monthRows
}

// sizes is the row sizes of the largest month.
func (g *byMonth) rowSizes() clickhouse.RowSizes {
	var big *monthRows
	for _, mr := range g.months {
		if big == nil || mr.rows.Len() > big.rows.Len() {
			big = mr
		}
	}
	if big == nil || big.rows.Len() < 1000 {
		return g.sizes
	}
	return big.rows.RowSizes()
}

func (g *byMonth) add(ev *bw.Event, version uint64, m *kafka.Message) {
	month := monthOf(ev.OccurredAt, g.loc)
	var mr *monthRows
	for _, x := range g.months {
		if x.month == month {
			mr = x
			break
		}
	}
	if mr == nil {
		rows := clickhouse.NewEventRows(256)
		if len(g.months) == 0 {
			rows = clickhouse.NewEventRowsSized(g.n, g.sizes)
		}
		mr = &monthRows{month: month, rows: rows, first: map[int32]int64{}, fetched: g.now}
		g.months = append(g.months, mr)
	}
	if _, ok := mr.first[m.Partition]; !ok {
		mr.first[m.Partition] = m.Offset
	}
	mr.rows.Append(ev, version, clickhouse.Delivery{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset})
}

// compact drops the spare capacity of the months' columns.
func compact(months []*monthRows) {
	for _, mr := range months {
		mr.rows.Compact()
	}
}

// pool holds the months written later. It is used by one writer at a time.
type pool struct {
	months []*monthRows

	dead      []bw.DeadLetter // dead letters held (Ingester.planDead)
	deadBytes int64
	deadSince time.Time // when the first of them was held
}

// plan splits the pool and a batch's months into the ones to write now
// and the ones to hold, which become the pool. Months are held while
// their bytes fit in limit; beyond it, the largest months of at least
// minRows rows are written until the rest fits, and everything is written
// when that is not enough. A month held for maxHold is written whatever
// its size; flushAll writes everything.
func (p *pool) plan(batch []*monthRows, flushAll bool, minRows int, limit int64, maxHold time.Duration, now time.Time) (write []*monthRows) {
	all := append(p.months, batch...)
	byMonth := monthSizes(all)
	for _, m := range byMonth {
		m.write = flushAll || now.Sub(m.oldest) >= maxHold
	}
	overflow := writeLargest(byMonth, minRows, limit)
	p.months = nil
	for _, mr := range all {
		if overflow || byMonth[mr.month].write {
			write = append(write, mr)
			continue
		}
		p.months = append(p.months, mr)
	}
	return write
}

// monthSize is what plan knows of one month's chunks.
type monthSize struct {
	rows   int
	bytes  int64
	oldest time.Time // when its first chunk was decoded
	write  bool      // written now
}

// monthSizes totals chunks by month.
func monthSizes(chunks []*monthRows) map[int]*monthSize {
	out := map[int]*monthSize{}
	for _, mr := range chunks {
		m := out[mr.month]
		if m == nil {
			m = &monthSize{oldest: mr.fetched}
			out[mr.month] = m
		}
		m.rows += mr.rows.Len()
		m.bytes += mr.rows.Bytes()
		if mr.fetched.Before(m.oldest) {
			m.oldest = mr.fetched
		}
	}
	return out
}

// writeLargest marks the largest months of at least minRows rows for
// writing, largest first, until the bytes of the months held fit in limit;
// it reports whether they still do not.
func writeLargest(byMonth map[int]*monthSize, minRows int, limit int64) (overflow bool) {
	var held int64
	var large []int
	for k, m := range byMonth {
		if !m.write {
			held += m.bytes
			if m.rows >= minRows {
				large = append(large, k)
			}
		}
	}
	slices.SortFunc(large, func(a, b int) int { // largest first, then the older month
		if c := cmp.Compare(byMonth[b].rows, byMonth[a].rows); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	for _, k := range large {
		if held <= limit {
			break
		}
		byMonth[k].write = true
		held -= byMonth[k].bytes
	}
	return held > limit
}

// held is the lowest offset of a held event or dead letter per Kafka
// partition.
func (p *pool) held() map[int32]int64 {
	out := map[int32]int64{}
	for _, d := range p.dead {
		if cur, ok := out[d.Partition]; !ok || d.Offset < cur {
			out[d.Partition] = d.Offset
		}
	}
	for _, mr := range p.months {
		for part, off := range mr.first {
			if cur, ok := out[part]; !ok || off < cur {
				out[part] = off
			}
		}
	}
	return out
}

// events counts the events of months.
func events(months []*monthRows) int {
	n := 0
	for _, mr := range months {
		n += mr.rows.Len()
	}
	return n
}

// eventRows are the rows of months, in order.
func eventRows(months []*monthRows) []*clickhouse.EventRows {
	out := make([]*clickhouse.EventRows, len(months))
	for i, mr := range months {
		out[i] = mr.rows
	}
	return out
}

// distinctMonths counts the months (parts of the events table) of months.
func distinctMonths(months []*monthRows) int {
	seen := map[int]bool{}
	for _, mr := range months {
		seen[mr.month] = true
	}
	return len(seen)
}
