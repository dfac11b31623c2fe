package clickhouse

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"net"
	"strings"
	"sync"
	"time"
)

// The transform's results (rule results with their evidence lists,
// indicators) are written as `INSERT … FORMAT Native` over HTTP as well:
// clickhouse-go appends Array(String) values one by one, which made the
// write of a month's changed rule results (≈ 1.3M evidence ids) take most
// of an incremental run (issue 11). insertColumnsNative encodes Go slices
// of the column types these tables use; any other column falls back to
// the driver.

// tableTypes caches the column types of tables by name.
type tableTypes struct {
	mu     sync.Mutex
	tables map[string]map[string]string
}

// columnTypes returns the types of table's columns (cached once read).
func (db *DB) columnTypes(ctx context.Context, table string) (map[string]string, error) {
	db.types.mu.Lock()
	defer db.types.mu.Unlock()
	if t, ok := db.types.tables[table]; ok {
		return t, nil
	}
	rows, err := db.conn.Query(ctx, "SELECT name, type FROM system.columns WHERE database = ? AND table = ?", db.database, table)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: columns of table %s: %w", table, err)
	}
	defer rows.Close()
	types := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, fmt.Errorf("clickhouse: columns of table %s: %w", table, err)
		}
		types[name] = typ
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: columns of table %s: %w", table, err)
	}
	if len(types) == 0 { // no such table (yet): not cached, the insert names the problem
		return types, nil
	}
	if db.types.tables == nil {
		db.types.tables = map[string]map[string]string{}
	}
	db.types.tables[table] = types
	return types, nil
}

// insertColumnsNative writes cols to table in one Native insert over HTTP
// when every column's Go slice matches its type (nativeColumn), else
// through the driver (insertColumns).
func (db *DB) insertColumnsNative(ctx context.Context, table string, cols []column) error {
	types, err := db.columnTypes(ctx, table)
	if err != nil {
		return err
	}
	n := rowsOf(cols[0].data)
	if n == 0 {
		return nil
	}
	var body nativeBody
	body.block(len(cols), n)
	names := make([]string, len(cols))
	for i, c := range cols {
		typ := types[c.name]
		data, ok := nativeColumn(typ, c.data)
		if !ok || rowsOf(c.data) != n {
			return db.insertColumns(ctx, table, cols)
		}
		names[i] = quoteIdent(c.name)
		body.column(c.name, typ, data)
	}
	err = db.http.insertNative(ctx, table, names, body.bufs)
	if err != nil && !Transient(err) {
		db.forgetTypes(table) // the table may have changed
	}
	return err
}

// forgetTypes drops what is cached of table's column types, to be read
// again by the next insert.
func (db *DB) forgetTypes(table string) {
	db.types.mu.Lock()
	delete(db.types.tables, table)
	db.types.mu.Unlock()
	if table == "events" {
		db.schema.Store(nil)
	}
}

// nativeBody builds the body of a Native insert: blocks of columns, each
// column its name, type and data, the data sent as the slices given.
type nativeBody struct {
	bufs net.Buffers
	head []byte // the headers since the last data
}

// block starts a block of cols columns and rows rows.
func (b *nativeBody) block(cols, rows int) {
	b.head = binary.AppendUvarint(binary.AppendUvarint(b.head, uint64(cols)), uint64(rows))
}

// column adds a column of the current block.
func (b *nativeBody) column(name, typ string, data [][]byte) {
	b.bufs = append(b.bufs, appendString(appendString(b.head, name), typ))
	b.bufs = append(b.bufs, data...)
	b.head = nil
}

// rowsOf is the length of a column's slice (-1 for a type not handled).
func rowsOf(data any) int {
	switch v := data.(type) {
	case []string:
		return len(v)
	case []uint8:
		return len(v)
	case []uint16:
		return len(v)
	case []uint32:
		return len(v)
	case []uint64:
		return len(v)
	case []int32:
		return len(v)
	case []int64:
		return len(v)
	case []float64:
		return len(v)
	case []*float64:
		return len(v)
	case []time.Time:
		return len(v)
	case [][]string:
		return len(v)
	}
	return -1
}

// nativeColumn is data in the Native serialization of type typ, as
// clickhouse-go would send it, or false when the pair is not handled.
func nativeColumn(typ string, data any) ([][]byte, bool) {
	le := binary.LittleEndian
	switch v := data.(type) {
	case []string:
		if typ == "String" {
			return [][]byte{appendStrings(make([]byte, 0, stringsSize(v)), v)}, true
		}
		if strings.HasPrefix(typ, "Enum8(") {
			codes, err := enumCodes(typ)
			if err != nil {
				return nil, false
			}
			out := make([]byte, len(v))
			for i, s := range v {
				c, ok := codes[s]
				if !ok {
					return nil, false // the driver names the value
				}
				out[i] = byte(c)
			}
			return [][]byte{out}, true
		}
	case []uint8:
		return one(typ == "UInt8", append([]byte(nil), v...))
	case []uint16:
		return one(typ == "UInt16", fixed(v, 2, func(b []byte, x uint16) { le.PutUint16(b, x) }))
	case []uint32:
		return one(typ == "UInt32", fixed(v, 4, func(b []byte, x uint32) { le.PutUint32(b, x) }))
	case []uint64:
		return one(typ == "UInt64", fixed(v, 8, func(b []byte, x uint64) { le.PutUint64(b, x) }))
	case []int32:
		return one(typ == "Int32", fixed(v, 4, func(b []byte, x int32) { le.PutUint32(b, uint32(x)) }))
	case []int64:
		return one(typ == "Int64", fixed(v, 8, func(b []byte, x int64) { le.PutUint64(b, uint64(x)) }))
	case []float64:
		return one(typ == "Float64", fixed(v, 8, func(b []byte, x float64) { le.PutUint64(b, math.Float64bits(x)) }))
	case []*float64:
		if typ == "Nullable(Float64)" { // the null map, then the values (0 where null)
			nulls, values := make([]byte, len(v)), make([]byte, 8*len(v))
			for i, x := range v {
				if x == nil {
					nulls[i] = 1
				} else {
					le.PutUint64(values[8*i:], math.Float64bits(*x))
				}
			}
			return [][]byte{nulls, values}, true
		}
	case []time.Time:
		switch {
		case typ == "Date":
			return [][]byte{fixed(v, 2, func(b []byte, t time.Time) { le.PutUint16(b, uint16(dateDays(t))) })}, true
		case typ == "DateTime" || strings.HasPrefix(typ, "DateTime("):
			return [][]byte{fixed(v, 4, func(b []byte, t time.Time) { le.PutUint32(b, uint32(dateTimeSecs(t))) })}, true
		}
	case [][]string:
		if typ == "Array(String)" {
			offsets := make([]byte, 8*len(v))
			var total uint64
			size := 0
			for _, arr := range v {
				size += stringsSize(arr)
			}
			values := make([]byte, 0, size) // sized once: regrowing copied tens of MiB
			for i, arr := range v {
				total += uint64(len(arr))
				le.PutUint64(offsets[8*i:], total)
				values = appendStrings(values, arr)
			}
			return [][]byte{offsets, values}, true
		}
	}
	return nil, false
}

func one(ok bool, b []byte) ([][]byte, bool) {
	if !ok {
		return nil, false
	}
	return [][]byte{b}, true
}

func fixed[T any](v []T, w int, put func([]byte, T)) []byte {
	out := make([]byte, w*len(v))
	for i, x := range v {
		put(out[i*w:], x)
	}
	return out
}

// stringsSize is the bytes of v in String serialization: each string's
// length as a varint, then its bytes.
func stringsSize(v []string) int {
	n := 0
	for _, s := range v {
		n += len(s) + 1
		for l := len(s); l >= 0x80; l >>= 7 {
			n++
		}
	}
	return n
}

func appendStrings(b []byte, v []string) []byte {
	for _, s := range v {
		b = appendString(b, s)
	}
	return b
}

// dateDays is a Date as clickhouse-go computes it: the days since the
// epoch of t's calendar date in its own zone; the zero time is 0.
func dateDays(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	_, offset := t.Zone()
	return (t.Unix() + int64(offset)) / 86400
}

// dateTimeSecs is a DateTime: seconds since the epoch; the zero time is 0.
func dateTimeSecs(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
