package transform

import (
	"fmt"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/columnar"
)

// apply merges a delta into the kept events: the rows of touched events
// are dropped (sliced out of their record batches) and the delta's
// winning deliveries appended, so that the events are those ReadEvents
// would read now. The delta's records move into c; c.added holds them
// until the run ends, and c.redo tells whether kept rows were dropped.
// The small blocks are left for compact.
func (c *cachedYear) apply(d *clickhouse.EventDelta) error {
	c.redo = false
	if len(d.Touched) > 0 {
		out := make([]arrow.Record, 0, len(c.ev.Records)+len(d.Events.Records))
		for i, rec := range c.ev.Records {
			ids, ok := rec.Column(columnar.ColEventID).(*array.String)
			if !ok {
				d.Events.Release()
				return fmt.Errorf("kept record batch %d: event_id is %s", i, rec.Column(columnar.ColEventID).DataType())
			}
			var dropped bool
			out, dropped = appendKept(out, rec, ids, d.Touched)
			c.redo = c.redo || dropped
		}
		c.ev.Records = out
	}
	c.added = &columnar.Events{Province: c.ev.Province, Year: c.ev.Year, Records: d.Events.Records}
	c.ev.Records = append(c.ev.Records, d.Events.Records...)
	d.Events.Records = nil
	return nil
}

// appendKept appends to out the rows of rec whose id is not touched: rec
// itself when none is, else slices of it around the touched rows (rec is
// then released; the slices hold its buffers); dropped tells which.
func appendKept(out []arrow.Record, rec arrow.Record, ids *array.String, touched map[string]struct{}) (_ []arrow.Record, dropped bool) {
	n, start := ids.Len(), 0
	for i := 0; i < n; i++ {
		if _, ok := touched[ids.Value(i)]; !ok {
			continue
		}
		if i > start {
			out = append(out, rec.NewSlice(int64(start), int64(i)))
		}
		start, dropped = i+1, true
	}
	if !dropped {
		return append(out, rec), false
	}
	if start < n {
		out = append(out, rec.NewSlice(int64(start), int64(n)))
	}
	rec.Release()
	return out, true
}

// compactAbove is the number of small record batches (deltas, slices)
// above which they are concatenated: many small batches cost per-batch
// work in every later run.
const compactAbove = 32

// compact concatenates the record batches smaller than half of
// columnar.BatchRows into batches of up to columnar.BatchRows rows when
// there are more than compactAbove of them. Row order does not matter:
// rules and indicators do not depend on it.
func (c *cachedYear) compact() error {
	var kept, small []arrow.Record
	for _, rec := range c.ev.Records {
		if rec.NumRows() < columnar.BatchRows/2 {
			small = append(small, rec)
		} else {
			kept = append(kept, rec)
		}
	}
	if len(small) <= compactAbove {
		return nil
	}
	for len(small) > 0 {
		rows, k := int64(0), 0
		for k < len(small) && (k == 0 || rows+small[k].NumRows() <= columnar.BatchRows) {
			rows += small[k].NumRows()
			k++
		}
		rec, err := concatRecords(small[:k], rows)
		if err != nil {
			return err
		}
		for _, r := range small[:k] {
			r.Release()
		}
		kept, small = append(kept, rec), small[k:]
	}
	c.ev.Records = kept
	return nil
}

// concatRecords concatenates record batches of columnar.Schema.
func concatRecords(recs []arrow.Record, rows int64) (arrow.Record, error) {
	if len(recs) == 1 {
		recs[0].Retain()
		return recs[0], nil
	}
	cols := make([]arrow.Array, columnar.NumColumns)
	defer func() {
		for _, a := range cols {
			if a != nil {
				a.Release()
			}
		}
	}()
	parts := make([]arrow.Array, len(recs))
	for c := range cols {
		for i, r := range recs {
			parts[i] = r.Column(c)
		}
		a, err := array.Concatenate(parts, memory.DefaultAllocator)
		if err != nil {
			return nil, fmt.Errorf("compact kept events, column %s: %w", columnar.Schema.Field(c).Name, err)
		}
		cols[c] = a
	}
	return array.NewRecord(columnar.Schema, cols, rows), nil
}
