// Package clickhouse stores and reads BurdenWatch's data in ClickHouse
// through clickhouse-go v2's native protocol. Every INSERT names its columns
// (ClickHouse 18.16 sees zero columns otherwise) and goes through a prepared
// batch; reads of ReplacingMergeTree tables use FINAL.
package clickhouse

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// DB is a connection pool to one ClickHouse database.
type DB struct {
	conn     driver.Conn
	database string
	addr     string
	loc      *time.Location // calendar time zone, Asia/Shanghai
}

// Open connects to the database named in dsn
// ("clickhouse://user:password@host:port/database"). With create, the
// database is created first when missing.
func Open(ctx context.Context, dsn string, create bool) (*DB, error) {
	opts, err := options(dsn)
	if err != nil {
		return nil, err
	}
	database := opts.Auth.Database
	if create {
		if err := createDatabase(ctx, *opts); err != nil {
			return nil, err
		}
	}
	conn, err := ch.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: open %s: %w", redact(dsn), err)
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("clickhouse: connect to %s: %w", redact(dsn), err)
	}
	return &DB{conn: conn, database: database, addr: strings.Join(opts.Addr, ","), loc: shanghai()}, nil
}

func options(dsn string) (*ch.Options, error) {
	if !strings.HasPrefix(dsn, "clickhouse://") {
		return nil, fmt.Errorf("clickhouse: DSN %q: must start with clickhouse://", redact(dsn))
	}
	opts, err := ch.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: DSN %q: %w", redact(dsn), err)
	}
	if opts.Auth.Database == "" {
		opts.Auth.Database = "default"
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

// Conn is the underlying clickhouse-go connection, for packages that run
// their own queries (transformers, reports, exports).
func (db *DB) Conn() driver.Conn { return db.conn }

// Exec runs one statement.
func (db *DB) Exec(ctx context.Context, query string, args ...any) error {
	if err := db.conn.Exec(ctx, query, args...); err != nil {
		return fmt.Errorf("clickhouse: %s: %w", firstLine(query), err)
	}
	return nil
}

// ServerVersion returns the server's version string.
func (db *DB) ServerVersion(ctx context.Context) (string, error) {
	var v string
	if err := db.conn.QueryRow(ctx, "SELECT version()").Scan(&v); err != nil {
		return "", fmt.Errorf("clickhouse: server version: %w", err)
	}
	return v, nil
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

// redact hides the password of a DSN for messages.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
