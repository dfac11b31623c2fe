// Package clickhouse stores and reads BurdenWatch's data in ClickHouse
// through clickhouse-go v2's native protocol. Every INSERT names its columns
// (ClickHouse 18.16 sees zero columns otherwise) and goes through a prepared
// batch; reads of ReplacingMergeTree tables use FINAL.
package clickhouse

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	bw "github.com/burdenwatch/burdenwatch"
)

// DB is a connection pool to one ClickHouse database.
type DB struct {
	conn     driver.Conn
	database string
	addr     string
	loc      *time.Location // calendar time zone, Asia/Shanghai
	http     httpEndpoint   // the same server's HTTP interface: FORMAT Native reads and event inserts
	schema   atomic.Pointer[eventSchema]
	types    tableTypes // of the tables written by insertColumnsNative
}

// Open connects to the database named in dsn
// ("clickhouse://user:password@host:port/database", see ParseDSN). With
// create, the database is created first when missing.
func Open(ctx context.Context, dsn string, create bool) (*DB, error) {
	d, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	opts, err := options(d)
	if err != nil {
		return nil, err
	}
	if create {
		if err := createDatabase(ctx, *opts); err != nil {
			return nil, err
		}
	}
	conn, err := ch.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: open %s: %w", d.Redacted(), err)
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("clickhouse: connect to %s: %w", d.Redacted(), err)
	}
	return &DB{conn: conn, database: d.Database, addr: strings.Join(opts.Addr, ","), loc: bw.Location(),
		http: newHTTPEndpoint(d, opts)}, nil
}

// options is the clickhouse-go configuration of d.
func options(d DSN) (*ch.Options, error) {
	opts, err := d.chOptions()
	if err != nil {
		return nil, err
	}
	opts.Protocol = ch.Native
	opts.ReadTimeout = 60 * time.Second
	opts.DialTimeout = 5 * time.Second
	// Compression only when the DSN asks (?compress=lz4): over loopback it
	// costs CPU on both ends and saves nothing.
	opts.MaxOpenConns = 8
	opts.MaxIdleConns = 4
	return opts, nil
}

func createDatabase(ctx context.Context, opts ch.Options) error {
	name := opts.Auth.Database
	opts.Auth.Database = "default"
	conn, err := ch.Open(&opts)
	if err != nil {
		return fmt.Errorf("clickhouse: open server %s: %w", strings.Join(opts.Addr, ","), err)
	}
	defer conn.Close()
	if err := conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+quoteIdent(name)); err != nil {
		return fmt.Errorf("clickhouse: create database %s on %s: %w", name, strings.Join(opts.Addr, ","), err)
	}
	return nil
}

// Close closes the pool.
func (db *DB) Close() error { return db.conn.Close() }

// Database is the name of the database in use.
func (db *DB) Database() string { return db.database }

// Conn is the underlying clickhouse-go connection. The product's queries
// all live in this package; Conn is left for tests that set up or inspect
// tables directly.
func (db *DB) Conn() driver.Conn { return db.conn }

// Exec runs one statement.
func (db *DB) Exec(ctx context.Context, query string, args ...any) error {
	if err := db.conn.Exec(ctx, query, args...); err != nil {
		return fmt.Errorf("clickhouse: %s: %w", firstLine(query), err)
	}
	return nil
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "\\`") + "`" }

func firstLine(q string) string {
	q = strings.TrimSpace(q)
	if i := strings.IndexByte(q, '\n'); i >= 0 {
		q = q[:i]
	}
	if len(q) > 100 {
		q = q[:100] + "…"
	}
	return q
}
