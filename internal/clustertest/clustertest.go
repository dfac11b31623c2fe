// Package clustertest runs BurdenWatch's pipeline against the local
// ClickHouse cluster of deploy/cluster.sh (ZooKeeper, 2 shards x 2
// replicas) and against the single server, for the cluster tests and the
// cluster benchmark. Nothing is mocked.
//
// The cluster is found through BURDENWATCH_TEST_CLUSTER, a DSN of one of its
// nodes (default clickhouse://default:@127.0.0.1:19101/, the first node of
// deploy/cluster.sh). When that variable is not set and no cluster answers,
// the cluster tests are skipped, so a plain `go test ./...` does not need
// one; `make test-cluster` starts it and sets the variable.
package clustertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/ingest"
	"github.com/burdenwatch/burdenwatch/kafka"
	"github.com/burdenwatch/burdenwatch/refdata"
	"github.com/burdenwatch/burdenwatch/rules"
	"github.com/burdenwatch/burdenwatch/sim"
	"github.com/burdenwatch/burdenwatch/transform"
)

// Name is the cluster's name in deploy/cluster.sh's remote_servers.
const Name = "burdenwatch"

// NodeDSN is the DSN (without database) of the cluster node the tests
// enter through, and whether it was asked for explicitly. Without a
// password in it, the password deploy/cluster.sh generated is used.
func NodeDSN() (string, bool) {
	s, explicit := os.Getenv("BURDENWATCH_TEST_CLUSTER"), true
	if s == "" {
		s, explicit = "clickhouse://default@127.0.0.1:19101/", false
	}
	d, err := clickhouse.ParseDSN(s)
	if err != nil {
		return s, explicit
	}
	if d.Password == "" {
		d.Password = clusterPassword()
	}
	return "clickhouse://" + url.UserPassword(d.User, d.Password).String() + "@" + strings.Join(d.Hosts, ",") + "/", explicit
}

// NodeDSNAt is NodeDSN for another node of the same cluster, with database.
func NodeDSNAt(port int, database string) string {
	base, _ := NodeDSN()
	d, _ := clickhouse.ParseDSN(base)
	return "clickhouse://" + url.UserPassword(d.User, d.Password).String() + "@127.0.0.1:" + strconv.Itoa(port) + "/" + database
}

// clusterPassword is the default user's password of deploy/cluster.sh
// ($BURDENWATCH_VAR/cluster/default.password), or none.
func clusterPassword() string {
	dir := os.Getenv("BURDENWATCH_VAR")
	if dir == "" {
		dir = filepath.Join(RepoDir(), "var")
	}
	b, err := os.ReadFile(filepath.Join(dir, "cluster", "default.password"))
	if err != nil {
		return ""
	}
	pw, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(pw)
}

// RepoDir is the module's root directory.
func RepoDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Require skips the test when no cluster answers and none was asked for
// (BURDENWATCH_TEST_CLUSTER unset), and fails it when one was.
func Require(t testing.TB) {
	t.Helper()
	base, explicit := NodeDSN()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := clickhouse.Open(ctx, base+"default", false)
	if err == nil {
		var n uint64
		err = db.Conn().QueryRow(ctx, "SELECT count() FROM system.clusters WHERE cluster = ?", Name).Scan(&n)
		if err == nil && n == 0 {
			err = fmt.Errorf("no cluster %q in system.clusters", Name)
		}
		db.Close()
	}
	if err == nil {
		return
	}
	if !explicit {
		t.Skipf("no ClickHouse cluster (%v): start one with `deploy/cluster.sh start` or run `make test-cluster`", err)
	}
	t.Fatalf("cluster not available: %v (start it with `deploy/cluster.sh start`)", err)
}

// Exclusive holds the cluster for this test until it ends: suites in other
// processes (a second `go test`, the benchmark) wait, since one kills and
// restarts servers the other is using.
func Exclusive(t testing.TB) {
	t.Helper()
	dir := os.Getenv("BURDENWATCH_VAR")
	if dir == "" {
		dir = filepath.Join(RepoDir(), "var")
	}
	if err := os.MkdirAll(filepath.Join(dir, "cluster"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "cluster", "test.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatalf("lock the cluster: %v", err)
	}
	t.Cleanup(func() { f.Close() })
}

// Cluster opens a fresh database on the cluster, migrated ON CLUSTER, and
// drops it when the test ends. It skips the test when no cluster runs and
// none was asked for.
func Cluster(t testing.TB, quorum int) *clickhouse.Cluster {
	t.Helper()
	base, _ := NodeDSN()
	// http_port: the transformer reads the entry node over HTTP too.
	dsn := base + "bwc_" + randomSuffix() + "?http_port=" + httpPort(base)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	Require(t)
	c, err := clickhouse.OpenCluster(ctx, dsn, Name, true, clickhouse.ClusterOptions{InsertQuorum: quorum})
	if err != nil {
		t.Fatalf("open cluster: %v", err)
	}
	if _, err := c.Migrate(ctx); err != nil {
		t.Fatalf("migrate cluster database: %v", err)
	}
	t.Cleanup(func() {
		db := c.Entry().Database()
		if os.Getenv("BURDENWATCH_TEST_KEEP") == "" {
			if err := c.Entry().Exec(context.Background(), "DROP DATABASE IF EXISTS "+db+" ON CLUSTER "+Name); err != nil {
				t.Logf("drop %s: %v", db, err)
			}
		} else {
			t.Logf("kept cluster database %s", db)
		}
		c.Close()
	})
	return c
}

// httpPort is the HTTP port of a deploy/cluster.sh node (native 191NN,
// HTTP 182NN).
func httpPort(dsn string) string {
	d, err := clickhouse.ParseDSN(dsn)
	if err != nil || d.Port() < 19101 || d.Port() > 19199 {
		return "18201"
	}
	return fmt.Sprint(d.Port() - 19101 + 18201)
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Province is a simulated province-year as Kafka messages.
type Province struct {
	Ref      *bw.ReferenceData
	Messages []kafka.Message
	Stats    sim.Stats
}

// Simulate generates province's year at scale from the shipped reference
// data.
func Simulate(t testing.TB, province string, scale float64) *Province {
	t.Helper()
	dir := filepath.Join(RepoDir(), "refdata", "default")
	ref, err := refdata.ParseDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	issuers, err := refdata.ParseIssuers(filepath.Join(dir, "issuers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := sim.DefaultConfig(province)
	cfg.Scale = scale
	cfg.Now = time.Date(2026, 1, 1, 0, 0, 0, 0, bw.Location())
	p := &Province{Ref: ref}
	p.Stats, err = sim.Generate(ref, issuers, cfg, func(m sim.Message) error {
		p.Messages = append(p.Messages, kafka.Message{Key: m.Key, Value: m.Value})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Publish sends the province's messages to topic.
func (p *Province) Publish(ctx context.Context, t testing.TB, brokers []string, topic string) {
	t.Helper()
	pub := kafka.NewPublisher(brokers, topic)
	defer pub.Close()
	const chunk = 5000
	for lo := 0; lo < len(p.Messages); lo += chunk {
		if err := pub.Publish(ctx, p.Messages[lo:min(lo+chunk, len(p.Messages))]); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
}

// LoadRefData loads the province's reference data through db.
func (p *Province) LoadRefData(ctx context.Context, t testing.TB, db *clickhouse.DB) {
	t.Helper()
	if err := db.LoadReferenceData(ctx, p.Ref, "refdata/default"); err != nil {
		t.Fatalf("load reference data: %v", err)
	}
}

// IngestOptions configure one ingest instance.
type IngestOptions struct {
	Brokers []string
	Topic   string
	Group   string
	// UntilIdle stops the instance once the group caught up.
	UntilIdle bool
	BatchSize int
	Log       *slog.Logger
}

// Ingest runs one ingest instance into sink until ctx ends or, with
// UntilIdle, the group caught up.
func Ingest(ctx context.Context, ref *bw.ReferenceData, sink ingest.Store, o IngestOptions) (ingest.Stats, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	cons, err := kafka.NewConsumer(kafka.ConsumerConfig{Brokers: o.Brokers, Topic: o.Topic, Group: o.Group, Log: o.Log})
	if err != nil {
		return ingest.Stats{}, err
	}
	defer cons.Close()
	points := map[string]bw.ObservationPoint{}
	for _, op := range ref.ObservationPoints {
		points[op.CountyCode] = op
	}
	in := ingest.New(ingest.Config{
		Topic: o.Topic, Group: o.Group, BatchSize: o.BatchSize, UntilIdle: o.UntilIdle, IdleTimeout: 3 * time.Second,
		Lag:      func(ctx context.Context) (int64, error) { return kafka.Lag(ctx, o.Brokers, o.Topic, o.Group) },
		Points:   func() map[string]bw.ObservationPoint { return points },
		Location: bw.Location(), Log: o.Log,
	}, cons, sink)
	return in.Run(ctx)
}

// Transform computes every province-year through db with the shipped rule
// packs.
func Transform(ctx context.Context, db *clickhouse.DB) (*transform.Summary, error) {
	packs, err := rules.ShippedPacks()
	if err != nil {
		return nil, err
	}
	return transform.Run(ctx, db, transform.Config{Full: true, Packs: packs,
		Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
}

// ClusterScript runs deploy/cluster.sh with args (the broker left out: the
// tests run their own).
func ClusterScript(args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(RepoDir(), "deploy", "cluster.sh"), args...)
	cmd.Env = append(os.Environ(), "BURDENWATCH_CLUSTER_NO_BROKER=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("deploy/cluster.sh %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// A cluster is an ingest store like one server.
var _ ingest.Store = (*clickhouse.Cluster)(nil)
