package clickhouse

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	schema "github.com/burdenwatch/burdenwatch/sql"
)

// Migration is one versioned schema file.
type Migration struct {
	Version    int
	Name       string
	Statements []string
}

// Migrations reads the embedded migration files in version order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(schema.Migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("clickhouse: migration file %q: name must be NNN_name.sql", name)
		}
		b, err := fs.ReadFile(schema.Migrations, "migrations/"+name)
		if err != nil {
			return nil, fmt.Errorf("clickhouse: read migration %s: %w", name, err)
		}
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(name, ".sql"), Statements: SplitStatements(string(b))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// SplitStatements splits SQL text at semicolons that end a line, dropping
// comment-only lines.
func SplitStatements(text string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// Migrate applies the migrations not yet recorded in schema_migrations and
// returns the names of those it applied. Running it again applies nothing.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	const ddl = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version UInt32,
    name String,
    applied_at DateTime('Asia/Shanghai')
) ENGINE = MergeTree() ORDER BY version`
	if err := db.Exec(ctx, ddl); err != nil {
		return nil, err
	}
	applied, err := db.appliedMigrations(ctx)
	if err != nil {
		return nil, err
	}
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	var done []string
	for _, m := range ms {
		if applied[m.Version] {
			continue
		}
		for _, st := range m.Statements {
			if err := db.Exec(ctx, st); err != nil {
				return done, fmt.Errorf("migration %s: %w", m.Name, err)
			}
		}
		if err := db.recordMigration(ctx, m); err != nil {
			return done, err
		}
		done = append(done, m.Name)
	}
	return done, nil
}

func (db *DB) appliedMigrations(ctx context.Context) (map[int]bool, error) {
	rows, err := db.conn.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read schema_migrations: %w", err)
	}
	defer rows.Close()
	out := map[int]bool{}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("clickhouse: read schema_migrations: %w", err)
		}
		out[int(v)] = true
	}
	return out, rows.Err()
}

func (db *DB) recordMigration(ctx context.Context, m Migration) error {
	if err := db.insertColumns(ctx, "schema_migrations", []column{
		{"version", []uint32{uint32(m.Version)}}, {"name", []string{m.Name}}, {"applied_at", []time.Time{time.Now()}},
	}); err != nil {
		return fmt.Errorf("record migration %s: %w", m.Name, err)
	}
	return nil
}
