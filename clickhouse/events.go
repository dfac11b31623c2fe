package clickhouse

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strings"
	"syscall"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
)

// column is one column of an insert with its data, a Go slice of the
// column's values (as clickhouse-go takes them).
type column struct {
	name string
	data any
}

// InsertEvents writes the events of parts to the events table in one
// INSERT, one Native block per part, stamped with ingest sequence seq (the
// transformer's watermark). The rows go over the HTTP interface as the
// Native bytes EventRows holds (nativeinsert.go).
func (db *DB) InsertEvents(ctx context.Context, parts []*EventRows, seq uint64) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("clickhouse: insert into events: %w", err)
	}
	n := 0
	for _, p := range parts {
		n += p.n
	}
	if n == 0 {
		return nil
	}
	s, err := db.eventSchema(ctx)
	if err != nil {
		return err
	}
	body, err := s.nativeBody(parts, seq, time.Now())
	if err != nil {
		return err
	}
	names := make([]string, nEventColumns)
	for i, c := range wireColumns {
		names[i] = quoteIdent(c.name)
	}
	err = db.http.insertNative(ctx, "events", names, body)
	if err != nil && !Transient(err) {
		db.forgetTypes("events") // the table may have changed: read its types again next time
	}
	return err
}

// insertBlockRows is the size of the blocks an insert is sent in: one
// INSERT, several native blocks, so the client never builds one huge buffer.
const insertBlockRows = 32768

// insertColumns sends column data to table in one INSERT, cut into blocks
// of insertBlockRows.
func (db *DB) insertColumns(ctx context.Context, table string, cols []column) error {
	n := reflect.ValueOf(cols[0].data).Len()
	var blocks [][]column
	for lo := 0; lo < n || lo == 0; lo += insertBlockRows {
		hi := min(lo+insertBlockRows, n)
		block := make([]column, len(cols))
		for i, c := range cols {
			block[i] = column{c.name, reflect.ValueOf(c.data).Slice(lo, hi).Interface()}
		}
		blocks = append(blocks, block)
	}
	return db.insertBlocks(ctx, table, blocks)
}

// insertBlocks sends blocks of column data, all with the same columns, to
// table in one INSERT. ClickHouse squashes the blocks of one INSERT into
// parts, while the client never builds one huge buffer.
func (db *DB) insertBlocks(ctx context.Context, table string, blocks [][]column) error {
	names := make([]string, len(blocks[0]))
	for i, c := range blocks[0] {
		names[i] = quoteIdent(c.name)
	}
	query := "INSERT INTO " + table + " (" + strings.Join(names, ", ") + ")"
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("clickhouse: insert into %s: %w", table, err)
	}
	// The batch runs without cancellation, bounded by the driver's read
	// timeout: clickhouse-go closes a batch's connection when its context
	// ends, and a cancel that lands just after Send returned would close a
	// connection already back in the pool. An insert under way finishes.
	b, err := db.conn.PrepareBatch(context.WithoutCancel(ctx), query)
	if err != nil {
		return fmt.Errorf("clickhouse: prepare insert into %s: %w", table, err)
	}
	defer b.Close()
	for k, block := range blocks {
		for i, c := range block {
			if err := b.Column(i).Append(c.data); err != nil {
				return fmt.Errorf("clickhouse: insert into %s, column %s: %w", table, c.name, err)
			}
		}
		if k < len(blocks)-1 {
			if err := b.Flush(); err != nil {
				return fmt.Errorf("clickhouse: insert into %s: %w", table, err)
			}
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("clickhouse: insert into %s: %w", table, err)
	}
	return nil
}

// transientCodes are server exceptions that go away by themselves: a busy
// or overloaded server, a network hiccup seen by the server.
var transientCodes = map[int32]bool{
	159: true, // TIMEOUT_EXCEEDED
	164: true, // READONLY (a replica catching up)
	202: true, // TOO_MANY_SIMULTANEOUS_QUERIES
	209: true, // SOCKET_TIMEOUT
	210: true, // NETWORK_ERROR
	241: true, // MEMORY_LIMIT_EXCEEDED
	242: true, // TABLE_IS_READ_ONLY
	252: true, // TOO_MANY_PARTS
	319: true, // UNKNOWN_STATUS_OF_INSERT
	425: true, // SYSTEM_ERROR
}

// Transient reports whether err from an insert is worth retrying: the
// server could not be reached or the connection broke (network errors,
// closed connections, timeouts), or the server answered with an exception
// that goes away by itself. Any other server exception (bad credentials, a
// missing database or table, a column of another type) is permanent.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var ex *ch.Exception
	if errors.As(err, &ex) {
		return transientCodes[ex.Code]
	}
	// The connection's trouble: refused, reset, EOF, i/o timeouts, a pool
	// that could not dial or hand out a connection in time.
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, ch.ErrAcquireConnTimeout) || errors.Is(err, driver.ErrBadConn)
}
