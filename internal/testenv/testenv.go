// Package testenv gives tests real services: a fresh, migrated ClickHouse
// database on the local server (deploy/clickhouse.sh start) and an embedded
// Kafka-protocol broker on a random loopback port. Nothing is mocked.
//
// The server is found through BURDENWATCH_TEST_CLICKHOUSE, a DSN whose
// database part is ignored. Without it, tests use the user default of the
// local server of deploy/clickhouse.sh: 127.0.0.1, port
// BURDENWATCH_CH_TCP_PORT (default 19000), with the password from
// PasswordFile. When the server does not answer, tests fail, unless
// BURDENWATCH_TEST_SKIP_SERVICES is set, in which case they are skipped.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/burdenwatch/burdenwatch/broker"
	"github.com/burdenwatch/burdenwatch/clickhouse"
)

// ServerDSN is the DSN of the test ClickHouse server without a database.
func ServerDSN() string {
	if s := os.Getenv("BURDENWATCH_TEST_CLICKHOUSE"); s != "" {
		if i := strings.LastIndex(s, "/"); i > len("clickhouse://") {
			return s[:i+1]
		}
		return s
	}
	port := os.Getenv("BURDENWATCH_CH_TCP_PORT")
	if port == "" {
		port = "19000"
	}
	u := url.URL{Scheme: "clickhouse", Host: "127.0.0.1:" + port, Path: "/", User: url.User("default")}
	if pw := password(); pw != "" {
		u.User = url.UserPassword("default", pw)
	}
	return u.String()
}

// PasswordFile is the file with the password of the local server's user
// default: BURDENWATCH_CLICKHOUSE_PASSWORD_FILE (deploy/env.sh exports it),
// else clickhouse/default.password under BURDENWATCH_VAR or the module's
// var/ (the module root found by walking up from the working directory to
// go.mod), where deploy/clickhouse.sh start generates it.
func PasswordFile() string {
	if f := os.Getenv("BURDENWATCH_CLICKHOUSE_PASSWORD_FILE"); f != "" {
		return f
	}
	dir := os.Getenv("BURDENWATCH_VAR")
	if dir == "" {
		dir = filepath.Join(ModuleRoot(), "var")
	}
	return filepath.Join(dir, "clickhouse", "default.password")
}

// ModuleRoot is the directory of the go.mod above the working directory
// ("." when there is none).
func ModuleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "."
		}
		dir = parent
	}
}

// password is the first line of PasswordFile, or "" when it cannot be
// read (a server without a password).
func password() string {
	b, err := os.ReadFile(PasswordFile())
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(line)
}

// ClickHouse creates a fresh database named after the test, migrates it,
// and drops it when the test ends (unless BURDENWATCH_TEST_KEEP is set). It
// returns the open DB and its DSN, for code that opens its own connection.
func ClickHouse(t testing.TB) (*clickhouse.DB, string) {
	t.Helper()
	dsn := ServerDSN() + "bwtest_" + randomSuffix()
	if port := os.Getenv("BURDENWATCH_CH_HTTP_PORT"); port != "" && os.Getenv("BURDENWATCH_TEST_CLICKHOUSE") == "" {
		dsn += "?http_port=" + url.QueryEscape(port) // a local server on other ports than 19000/18123
	}
	// The context lives until cleanup: clickhouse-go closes a connection
	// whose query context is cancelled, and a cancel that lands after the
	// connection went back to the pool would break the next test query.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	db, err := clickhouse.Open(ctx, dsn, true)
	if err != nil {
		unavailable(t, "ClickHouse", err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	t.Cleanup(func() {
		if os.Getenv("BURDENWATCH_TEST_KEEP") == "" {
			_ = db.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db.Database())
		} else {
			t.Logf("kept test database %s", db.Database())
		}
		db.Close()
	})
	return db, dsn
}

// Broker starts an embedded broker on a random loopback port with topic,
// stopped when the test ends. With dataDir it persists there.
func Broker(t testing.TB, topic, dataDir string) *broker.Broker {
	t.Helper()
	b, err := broker.Start(broker.Config{Listen: "127.0.0.1:0", Topic: topic, Partitions: 4, DataDir: dataDir})
	if err != nil {
		t.Fatalf("start broker: %v", err)
	}
	t.Cleanup(b.Close)
	return b
}

func unavailable(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv("BURDENWATCH_TEST_SKIP_SERVICES") != "" {
		t.Skipf("%s not available (%v); skipped because BURDENWATCH_TEST_SKIP_SERVICES is set", what, err)
	}
	t.Fatalf("%s not available: %v (start it with `deploy/clickhouse.sh start`, or run `make test`; the password of the user default is read from %s)", what, err, PasswordFile())
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
