// Package testenv gives tests real services: a fresh, migrated ClickHouse
// database on the local server (deploy/clickhouse.sh start) and an embedded
// Kafka-protocol broker on a random loopback port. Nothing is mocked.
//
// The server is found through BURDENWATCH_TEST_CLICKHOUSE, a DSN whose
// database part is ignored (default clickhouse://default:@127.0.0.1:19000/).
// When it does not answer, tests fail, unless BURDENWATCH_TEST_SKIP_SERVICES
// is set, in which case they are skipped.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
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
	return "clickhouse://default:@127.0.0.1:19000/"
}

// ClickHouse creates a fresh database named after the test, migrates it,
// and drops it when the test ends (unless BURDENWATCH_TEST_KEEP is set). It
// returns the open DB and its DSN, for code that opens its own connection.
func ClickHouse(t testing.TB) (*clickhouse.DB, string) {
	t.Helper()
	dsn := ServerDSN() + "bwtest_" + randomSuffix()
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
	t.Fatalf("%s not available: %v (start it with `deploy/clickhouse.sh start`, or run `make test`)", what, err)
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
