package clickhouse

import (
	"fmt"
	"math"
	"slices"

	"github.com/ClickHouse/ch-go/proto"
)

// stringColumn is a String column of a Native block as blockReader decodes
// it, in Arrow's layout: value i is data[offsets[i]:offsets[i+1]]. An
// Arrow string array shares both buffers (stringArray), where ch-go's
// ColStr keeps a 16-byte position a value that had to be converted and
// thrown away: 1.4 GB for the 10M events of issue 11's province-year.
type stringColumn struct {
	offsets []int32 // rows+1 once decoded; offsets[0] = 0
	data    []byte
}

// Type is String.
func (c *stringColumn) Type() proto.ColumnType { return proto.ColumnTypeString }

// Rows is the number of values.
func (c *stringColumn) Rows() int { return max(len(c.offsets)-1, 0) }

// Reset empties the column.
func (c *stringColumn) Reset() { c.offsets, c.data = c.offsets[:0], c.data[:0] }

// Row returns value i as a new string.
func (c *stringColumn) Row(i int) string { return string(c.RowBytes(i)) }

// RowBytes returns value i, sharing the column's bytes.
func (c *stringColumn) RowBytes(i int) []byte { return c.data[c.offsets[i]:c.offsets[i+1]] }

// DecodeColumn reads rows values through r, a value at a time (blockReader
// parses them from its read buffer instead).
func (c *stringColumn) DecodeColumn(r *proto.Reader, rows int) error {
	c.start(rows)
	for i := 0; i < rows; i++ {
		n, err := r.StrLen()
		if err != nil {
			return fmt.Errorf("row %d: length: %w", i, err)
		}
		at, err := c.more(n, rows)
		if err != nil {
			return fmt.Errorf("row %d: %w", i, err)
		}
		if err := r.ReadFull(c.data[at:]); err != nil {
			return fmt.Errorf("row %d: %d bytes: %w", i, n, err)
		}
		c.end()
	}
	return nil
}

// start empties the column for rows values.
func (c *stringColumn) start(rows int) {
	c.offsets = append(make([]int32, 0, rows+1), 0)
	c.data = nil
}

// end closes the value under way: its bytes are those added since the
// last end.
func (c *stringColumn) end() { c.offsets = append(c.offsets, int32(len(c.data))) }

// reserve makes room in data for n more bytes; when it must reallocate,
// for the values still to come (of rows) at the average length so far.
// It reports false if the block's values would pass 2 GiB, what int32
// offsets address.
func (c *stringColumn) reserve(n, rows int) bool {
	have := len(c.data)
	if n < 0 || have+n > math.MaxInt32 {
		return false
	}
	if cap(c.data)-have >= n {
		return true
	}
	grow := n
	if done, left := len(c.offsets)-1, rows-len(c.offsets)+1; done > 0 && left > 0 {
		grow = max(n, left*(have/done+1))
	}
	c.data = slices.Grow(c.data, min(grow, math.MaxInt32-have))
	return true
}

// more extends data by n bytes, to be filled in, and returns where they
// start.
func (c *stringColumn) more(n, rows int) (int, error) {
	at := len(c.data)
	if !c.reserve(n, rows) {
		return 0, fmt.Errorf("%d bytes after %d: over 2 GiB of strings in one block", n, at)
	}
	c.data = c.data[:at+n]
	return at, nil
}

// stringListColumn is an Array(String) column as blockReader decodes it:
// row i holds values offsets[i-1]…offsets[i]-1 (from 0 for row 0), as in
// the Native format.
type stringListColumn struct {
	offsets proto.ColUInt64
	values  stringColumn
}

// Type is Array(String).
func (c *stringListColumn) Type() proto.ColumnType { return proto.ColumnTypeString.Array() }

// Rows is the number of arrays.
func (c *stringListColumn) Rows() int { return len(c.offsets) }

// Reset empties the column.
func (c *stringListColumn) Reset() { c.offsets, c.values = c.offsets[:0], stringColumn{} }

// DecodeColumn reads rows arrays through r.
func (c *stringListColumn) DecodeColumn(r *proto.Reader, rows int) error {
	n, err := c.decodeOffsets(r, rows)
	if err != nil {
		return err
	}
	return c.values.DecodeColumn(r, n)
}

// decodeOffsets reads the offsets of rows arrays and returns the number
// of values they hold, to be read next.
func (c *stringListColumn) decodeOffsets(r *proto.Reader, rows int) (int, error) {
	if err := c.offsets.DecodeColumn(r, rows); err != nil {
		return 0, fmt.Errorf("offsets: %w", err)
	}
	if len(c.offsets) == 0 {
		return 0, nil
	}
	n := c.offsets[len(c.offsets)-1]
	if n > 1<<31 {
		return 0, fmt.Errorf("arrays of %d values", n)
	}
	return int(n), nil
}

// span is the range of values of row i.
func (c *stringListColumn) span(i int) (start, end int) {
	if i > 0 {
		start = int(c.offsets[i-1])
	}
	return start, int(c.offsets[i])
}

// Row returns the values of row i (an empty slice for an empty array).
func (c *stringListColumn) Row(i int) []string {
	start, end := c.span(i)
	out := make([]string, 0, end-start)
	for j := start; j < end; j++ {
		out = append(out, c.values.Row(j))
	}
	return out
}
