// Package sql holds BurdenWatch's ClickHouse schema as versioned migration
// files, embedded into the binary. Every statement runs on Debian's
// ClickHouse 18.16 and on current releases (see docs/clickhouse.md).
//
// A migration file is named NNN_name.sql and holds statements separated by a
// semicolon at the end of a line.
package sql

import "embed"

// Migrations is the directory of migration files, "migrations/NNN_name.sql".
//
//go:embed migrations/*.sql
var Migrations embed.FS
