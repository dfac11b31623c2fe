package ingest

import (
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/kafka"
)

// The events table is partitioned by month, and ClickHouse 18.16 pays for
// every part an insert creates — one per month the insert touches — about
// as much as for 20,000 rows (issue 11: 7,000 rows over 12 months take
// four times as long as in one month). While ingest catches up on a
// backlog, a batch holds mostly the current month and a few late events
// of many earlier ones. So events are grouped by month as they are
// decoded, and the months with few rows in a batch filled by size are held
// back in a pool, to be written with later batches once their month has
// MinPartRows rows, once they were held for MaxHold, once the pool is too
// large, or as soon as ingest is idle or a batch closes by time (live
// traffic, where latency matters more than parts). Offsets are never
// committed past a held event: a crash redelivers it, and the events table
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
	bytes  int64

	dead      []bw.DeadLetter // dead letters held (Ingester.planDead)
	deadBytes int64
	deadSince time.Time // when the first of them was held
}

// plan splits the pool and a batch's months into the ones to write now
// and the ones to hold, which become the pool. flushAll writes everything.
func (p *pool) plan(batch []*monthRows, flushAll bool, minRows int, maxHold time.Duration, now time.Time) (write []*monthRows) {
	all := append(p.months, batch...)
	rows, oldest := map[int]int{}, map[int]time.Time{}
	for _, mr := range all {
		rows[mr.month] += mr.rows.Len()
		if t, ok := oldest[mr.month]; !ok || mr.fetched.Before(t) {
			oldest[mr.month] = mr.fetched
		}
	}
	p.months, p.bytes = nil, 0
	for _, mr := range all {
		if flushAll || rows[mr.month] >= minRows || now.Sub(oldest[mr.month]) >= maxHold {
			write = append(write, mr)
			continue
		}
		p.months = append(p.months, mr)
		p.bytes += mr.rows.Bytes()
	}
	return write
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
