package clickhouse

import (
	"fmt"

	"github.com/ClickHouse/ch-go/proto"

	"github.com/burdenwatch/burdenwatch/columnar"
)

// maskPayloads zeroes, in a block of every Schema column read with every
// kind at once, the payload values of the rows of other kinds: ingest
// never stores any, but a row written by other means may, and a rule or
// indicator must never see them. Numbers are zeroed in place; a String
// column is copied only if one of its values must go.
func maskPayloads(res proto.Results) error {
	kinds, ok := res[columnar.ColKind].Data.(*stringColumn)
	if !ok {
		return fmt.Errorf("kind: unexpected column type %s", res[columnar.ColKind].Data.Type())
	}
	rowKind := make([]int8, kinds.Rows())
	for i := range rowKind {
		rowKind[i] = kindIndex(kinds.RowBytes(i))
	}
	for c, owner := range payloadOwners() {
		if owner < 0 {
			continue
		}
		switch col := res[c].Data.(type) {
		case *proto.ColUInt32:
			zeroOthers(*col, rowKind, owner)
		case *proto.ColUInt8:
			zeroOthers(*col, rowKind, owner)
		case *stringColumn:
			if kept, ok := col.only(rowKind, owner); !ok {
				res[c].Data = kept
			}
		case *stringListColumn:
			if kept, ok := col.only(rowKind, owner); !ok {
				res[c].Data = kept
			}
		default:
			return fmt.Errorf("%s: cannot mask a column of type %s", columnar.Schema.Field(c).Name, col.Type())
		}
	}
	return nil
}

// kindIndex is the index in eventKinds of kind name b, -1 for none. The
// comparison of string(b) copies nothing, where passing it to
// slices.Index copied the name for every row (5.0 against 11.3 ns a row).
func kindIndex(b []byte) int8 {
	for k, name := range eventKinds {
		if string(b) == name {
			return int8(k)
		}
	}
	return -1
}

// payloadOwners is, for each Schema column, the index in eventKinds of
// the kind whose payload it is, -1 for the envelope.
func payloadOwners() [columnar.NumColumns]int8 {
	var out [columnar.NumColumns]int8
	for c := range out {
		out[c] = -1
	}
	for k, kind := range eventKinds {
		r := payloadRange(kind)
		for c := r[0]; c <= r[1]; c++ {
			out[c] = int8(k)
		}
	}
	return out
}

// zeroOthers zeroes the values of rows not of kind owner.
func zeroOthers[T uint32 | uint8](v []T, rowKind []int8, owner int8) {
	for i := range v {
		if rowKind[i] != owner {
			v[i] = 0
		}
	}
}

// only returns c with the values of rows not of kind owner emptied, and
// whether c was so already (then c itself).
func (c *stringColumn) only(rowKind []int8, owner int8) (*stringColumn, bool) {
	clean := true
	for i, k := range rowKind {
		if k != owner && c.offsets[i+1] != c.offsets[i] {
			clean = false
			break
		}
	}
	if clean {
		return c, true
	}
	out := &stringColumn{}
	out.start(len(rowKind))
	for i, k := range rowKind {
		if k == owner {
			out.data = append(out.data, c.RowBytes(i)...)
		}
		out.end()
	}
	return out, false
}

// only returns c with the arrays of rows not of kind owner emptied, and
// whether c was so already (then c itself).
func (c *stringListColumn) only(rowKind []int8, owner int8) (*stringListColumn, bool) {
	clean := true
	for i, k := range rowKind {
		if start, end := c.span(i); k != owner && end > start {
			clean = false
			break
		}
	}
	if clean {
		return c, true
	}
	out := &stringListColumn{}
	out.values.start(int(c.offsets[len(c.offsets)-1]))
	for i, k := range rowKind {
		if k == owner {
			start, end := c.span(i)
			for j := start; j < end; j++ {
				out.values.data = append(out.values.data, c.values.RowBytes(j)...)
				out.values.end()
			}
		}
		out.offsets = append(out.offsets, uint64(out.values.Rows()))
	}
	return out, false
}
