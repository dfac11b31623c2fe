package clustertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/burdenwatch/burdenwatch/broker"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/internal/testenv"
	"github.com/burdenwatch/burdenwatch/kafka"
)

const (
	province = "43"
	topic    = "burden.events"
	// scale of the simulated province-year: large enough for many batches
	// and every rule, small enough for a few minutes on 2 cores.
	scale = 0.05
)

// startBroker runs 3 embedded brokers with a 6-partition topic.
func startBroker(t testing.TB) []string {
	t.Helper()
	b, err := broker.Start(broker.Config{Listen: "127.0.0.1:0", Topic: topic, Partitions: 6, Brokers: 3})
	if err != nil {
		t.Fatalf("start broker: %v", err)
	}
	t.Cleanup(b.Close)
	return []string{b.Addr()}
}

// single runs the province through one server: the reference.
func single(t *testing.T, p *Province) map[string]Fingerprint {
	ctx := context.Background()
	db, _ := testenv.ClickHouse(t)
	brokers := startBroker(t)
	p.LoadRefData(ctx, t, db)
	p.Publish(ctx, t, brokers, topic)
	if _, err := Ingest(ctx, p.Ref, db, IngestOptions{Brokers: brokers, Topic: topic, Group: "single", UntilIdle: true, BatchSize: 5000}); err != nil {
		t.Fatalf("ingest into one server: %v", err)
	}
	if _, err := Transform(ctx, db); err != nil {
		t.Fatalf("transform on one server: %v", err)
	}
	f, err := Fingerprints(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func sameAs(t *testing.T, ctx context.Context, c *clickhouse.Cluster, want map[string]Fingerprint) {
	t.Helper()
	got, err := Fingerprints(ctx, c.Entry())
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range Compared {
		if got[tb.Table] != want[tb.Table] {
			t.Errorf("%s: cluster has %v, one server %v", tb.Table, got[tb.Table], want[tb.Table])
		} else {
			t.Logf("%s: %v on both", tb.Table, got[tb.Table])
		}
	}
}

// TestCluster runs one simulated province through one server and through
// the cluster three times: cleanly, with a replica killed during ingest, and
// with one of three ingest instances killed. Every run must leave the same
// events, indicators and rule results.
func TestCluster(t *testing.T) {
	if os.Getenv(helperEnv) != "" {
		t.Skip("ingest helper process")
	}
	Require(t)
	Exclusive(t)
	p := Simulate(t, province, scale)
	t.Run("ShardOfIsTheServersKey", func(t *testing.T) { shardOfMatches(t, p) })
	t.Logf("simulated %d messages", len(p.Messages))
	want := single(t, p)
	if want["events"].Rows == 0 || want["indicators"].Rows == 0 || want["rule_results"].Rows == 0 {
		t.Fatalf("the reference run is empty: %v", want)
	}

	t.Run("SameAsOneServer", func(t *testing.T) {
		ctx := context.Background()
		c := Cluster(t, 2)
		brokers := startBroker(t)
		p.LoadRefData(ctx, t, c.Entry())
		p.Publish(ctx, t, brokers, topic)
		if _, err := Ingest(ctx, p.Ref, c, IngestOptions{Brokers: brokers, Topic: topic, Group: "clean", UntilIdle: true, BatchSize: 5000}); err != nil {
			t.Fatalf("ingest: %v", err)
		}
		if _, err := Transform(ctx, c.Entry()); err != nil {
			t.Fatalf("transform: %v", err)
		}
		sameAs(t, ctx, c, want)
		shardsHoldTheirCounties(t, ctx, c)
	})

	// Killing a server is for the cluster suite only (make test-cluster), not
	// for whoever runs `go test ./...` while a cluster happens to be up.
	if _, explicit := NodeDSN(); !explicit {
		t.Log("BURDENWATCH_TEST_CLUSTER unset: the kill tests are left out")
		return
	}
	t.Run("ReplicaKilledDuringIngest", func(t *testing.T) { replicaKilled(t, p, want) })
	t.Run("IngestInstanceKilled", func(t *testing.T) { instanceKilled(t, p, want) })
}

// shardsHoldTheirCounties checks that every county lies on the shard Go
// chose for it, which is where ClickHouse's Distributed tables put it too.
func shardsHoldTheirCounties(t *testing.T, ctx context.Context, c *clickhouse.Cluster) {
	t.Helper()
	for s := 0; s < c.Shards(); s++ {
		for _, table := range []string{"events_local", "indicators_local", "rule_results_local"} {
			var wrong, total uint64
			q := fmt.Sprintf("SELECT countIf(%s %% %d != %d), count() FROM %s", clickhouse.ShardingKey, c.Shards(), s, table)
			if err := c.Shard(s).Conn().QueryRow(ctx, q).Scan(&wrong, &total); err != nil {
				t.Fatal(err)
			}
			if wrong != 0 || total == 0 {
				t.Errorf("shard %d %s: %d of %d rows belong to another shard", s+1, table, wrong, total)
			}
		}
	}
}

// nodeDB opens database on cluster node n (1..4) directly.
func nodeDB(t *testing.T, ctx context.Context, n int, database string) *clickhouse.DB {
	t.Helper()
	db, err := clickhouse.Open(ctx, NodeDSNAt(19100+n, database), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func waitFor(t *testing.T, what string, limit time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func count(ctx context.Context, db *clickhouse.DB, table string) uint64 {
	var n uint64
	_ = db.Conn().QueryRow(ctx, "SELECT count() FROM "+table).Scan(&n)
	return n
}

// replicaKilled kills shard 2's first replica (the one its writes go to)
// with SIGKILL while ingest runs: ingest must go on through the other
// replica and lose nothing; restarted, the replica catches up.
func replicaKilled(t *testing.T, p *Province, want map[string]Fingerprint) {
	const victim = 3 // ch3: shard 2, replica 1
	ctx := context.Background()
	c := Cluster(t, 2)
	brokers := startBroker(t)
	p.LoadRefData(ctx, t, c.Entry())
	p.Publish(ctx, t, brokers, topic)
	done := make(chan error, 1)
	go func() {
		_, err := Ingest(ctx, p.Ref, c, IngestOptions{Brokers: brokers, Topic: topic, Group: "kill-replica", UntilIdle: true, BatchSize: 2000})
		done <- err
	}()
	n3 := nodeDB(t, ctx, victim, c.Entry().Database())
	waitFor(t, "first rows on the victim", time.Minute, func() bool { return count(ctx, n3, "events_local") > 0 })
	pid, err := ClusterScript("pid", strconv.Itoa(victim))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(pid)
	t.Cleanup(func() { _, _ = ClusterScript("start") }) // never leave the cluster short of a node
	before := count(ctx, n3, "events_local")
	if err := syscall.Kill(n, syscall.SIGKILL); err != nil {
		t.Fatalf("kill ch%d (pid %d): %v", victim, n, err)
	}
	t.Logf("killed ch%d (pid %d) with %d rows in its events_local", victim, n, before)
	if err := <-done; err != nil {
		t.Fatalf("ingest stopped after the replica was killed: %v", err)
	}
	if _, err := ClusterScript("start"); err != nil {
		t.Fatal(err)
	}
	if _, err := Transform(ctx, c.Entry()); err != nil {
		t.Fatalf("transform: %v", err)
	}
	sameAs(t, ctx, c, want)
	// Both replicas of the shard come to hold the same rows.
	a, b := nodeDB(t, ctx, victim, c.Entry().Database()), nodeDB(t, ctx, victim+1, c.Entry().Database())
	for _, table := range []string{"events_local", "indicators_local", "rule_results_local"} {
		var fa, fb Fingerprint
		var err1, err2 error
		waitFor(t, table+" alike on both replicas", 2*time.Minute, func() bool {
			fa, err1 = TableFingerprint(ctx, a, table, nil)
			fb, err2 = TableFingerprint(ctx, b, table, nil)
			return err1 == nil && err2 == nil && fa == fb && fa.Rows > 0
		})
		t.Logf("%s: %v on ch%d and ch%d", table, fa, victim, victim+1)
	}
	if shardRows := count(ctx, b, "events_local"); before >= shardRows {
		t.Errorf("ch%d was killed after ingest had written all %d rows of its shard: not during ingest", victim, shardRows)
	}
	caughtUp(t, ctx, victim, c.Entry().Database())
}

// caughtUp waits until node n's replicas of database have read the whole
// replication log (log_pointer at log_max_index), have nothing queued,
// see every replica active and are writable: what an operator checks in
// system.replicas after a restart.
func caughtUp(t *testing.T, ctx context.Context, n int, database string) {
	t.Helper()
	db := nodeDB(t, ctx, n, database)
	waitFor(t, fmt.Sprintf("ch%d replication caught up", n), 3*time.Minute, func() bool {
		var tables, behind uint64
		err := db.Conn().QueryRow(ctx, `SELECT count(), countIf(queue_size > 0 OR is_readonly OR is_session_expired
    OR log_pointer < log_max_index OR active_replicas < total_replicas) FROM system.replicas
WHERE database = ?`, database).Scan(&tables, &behind)
		return err == nil && tables > 0 && behind == 0
	})
}

const helperEnv = "BURDENWATCH_CLUSTERTEST_INGEST"

// TestIngestProcess is not a test: it is the ingest instance that
// instanceKilled starts as a child process (and kills).
func TestIngestProcess(t *testing.T) {
	spec := os.Getenv(helperEnv)
	if spec == "" {
		t.Skip("only run as a child of TestCluster")
	}
	f := strings.Split(spec, "|") // dsn|brokers|group
	ctx := context.Background()
	c, err := clickhouse.OpenCluster(ctx, f[0], Name, false, clickhouse.ClusterOptions{InsertQuorum: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ref := Simulate(t, province, 0.001).Ref // observation points only
	if _, err := Ingest(ctx, ref, c, IngestOptions{Brokers: strings.Split(f[1], ","), Topic: topic, Group: f[2], UntilIdle: true, BatchSize: 1000}); err != nil {
		t.Fatal(err)
	}
}

// instanceKilled runs three ingest processes in one group; one is killed
// with SIGKILL part-way. The group rebalances its partitions to the others
// and the result equals the clean run.
func instanceKilled(t *testing.T, p *Province, want map[string]Fingerprint) {
	ctx := context.Background()
	c := Cluster(t, 2)
	brokers := startBroker(t)
	p.LoadRefData(ctx, t, c.Entry())
	p.Publish(ctx, t, brokers, topic)
	base, _ := NodeDSN()
	spec := base + c.Entry().Database() + "|" + strings.Join(brokers, ",") + "|kill-instance"
	var procs []*exec.Cmd
	for i := 0; i < 3; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestIngestProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperEnv+"="+spec)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, cmd)
	}
	t.Cleanup(func() {
		for _, p := range procs {
			_ = p.Process.Kill()
		}
	})
	total := want["events"].Rows
	waitFor(t, "a third of the events in", 2*time.Minute, func() bool { return count(ctx, c.Entry(), "events") > total/3 })
	if err := procs[0].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = procs[0].Wait()
	atKill := count(ctx, c.Entry(), "events")
	t.Logf("killed ingest instance 1 (pid %d) at %d of %d events", procs[0].Process.Pid, atKill, total)
	if atKill >= total {
		t.Errorf("instance killed after all %d events were in: not during ingest", total)
	}
	for i, p := range procs[1:] {
		if err := p.Wait(); err != nil {
			t.Fatalf("ingest instance %d: %v", i+2, err)
		}
	}
	// The survivors took over the killed instance's partitions and
	// committed them to the end.
	if lag, err := kafka.Lag(ctx, brokers, topic, "kill-instance"); err != nil || lag != 0 {
		t.Errorf("group lag after the survivors finished: %d (%v), want 0", lag, err)
	}
	if _, err := Transform(ctx, c.Entry()); err != nil {
		t.Fatalf("transform: %v", err)
	}
	sameAs(t, ctx, c, want)
}

// shardOfMatches checks Go's ShardOf against the server's ShardingKey for
// every county of the reference data.
func shardOfMatches(t *testing.T, p *Province) {
	ctx := context.Background()
	base, _ := NodeDSN()
	db, err := clickhouse.Open(ctx, base+"default", false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, op := range p.Ref.ObservationPoints {
		var s uint64
		q := "SELECT toUInt64(" + strings.Replace(clickhouse.ShardingKey, "county_code", "?", 1) + " % 2)"
		if err := db.Conn().QueryRow(ctx, q, op.CountyCode).Scan(&s); err != nil {
			t.Fatal(err)
		}
		if got := clickhouse.ShardOf(op.CountyCode, 2); got != int(s) {
			t.Errorf("county %s: Go says shard %d, ClickHouse %d", op.CountyCode, got, s)
		}
	}
}
