package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/go-faster/city"

	bw "github.com/burdenwatch/burdenwatch"
)

// Cluster is a sharded, replicated ClickHouse deployment (a remote_servers
// cluster with ZooKeeper) seen from one entry node. It migrates the schema
// ON CLUSTER and writes ingest batches straight to the shard-local tables,
// each row to the shard of its county, as clickhouse_sinker does; everything
// else (transform, report, export, dashboards) reads and writes the
// Distributed tables through Entry.
type Cluster struct {
	name   string
	entry  *DB
	shards []*DB    // one pool per shard over its replicas, in shard order
	nodes  []string // every replica's address, for EachNode statements
	dsn    DSN      // the DSN the shards were opened with
	// quorum is insert_quorum for shard writes (0: off).
	quorum int
	log    *slog.Logger
}

// ClusterOptions tune OpenCluster.
type ClusterOptions struct {
	// InsertQuorum is the number of replicas of a shard that must have a
	// batch before the insert returns (insert_quorum); 0 or 1 means one.
	// When fewer replicas are alive the write falls back to one replica and
	// says so in the log, so ingest goes on through a replica outage.
	InsertQuorum int
	Log          *slog.Logger
}

// OpenCluster connects to cluster through the node in dsn, creating the
// database ON CLUSTER when create is set, and opens one pool per shard from
// system.clusters (a shard's replicas in order: a write goes to the first
// that answers).
func OpenCluster(ctx context.Context, dsn, cluster string, create bool, o ClusterOptions) (*Cluster, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if create {
		if err := createDatabaseOnCluster(ctx, dsn, cluster); err != nil {
			return nil, err
		}
	}
	entry, err := Open(ctx, dsn, false)
	if err != nil {
		return nil, err
	}
	c := &Cluster{name: cluster, entry: entry, quorum: o.InsertQuorum, log: o.Log}
	shards, err := entry.clusterShards(ctx, cluster)
	if err == nil {
		err = c.openShards(ctx, dsn, shards)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func createDatabaseOnCluster(ctx context.Context, dsn, cluster string) error {
	d, err := ParseDSN(dsn)
	if err != nil {
		return err
	}
	opts, err := options(d)
	if err != nil {
		return err
	}
	name := opts.Auth.Database
	opts.Auth.Database = "default"
	conn, err := ch.Open(opts)
	if err != nil {
		return fmt.Errorf("clickhouse: open server %s: %w", strings.Join(opts.Addr, ","), err)
	}
	defer conn.Close()
	q := "CREATE DATABASE IF NOT EXISTS " + quoteIdent(name) + " ON CLUSTER " + quoteIdent(cluster)
	if err := conn.Exec(ctx, q); err != nil {
		return fmt.Errorf("clickhouse: create database %s on cluster %s: %w", name, cluster, err)
	}
	return nil
}

// clusterShards reads the replicas' addresses of each shard of cluster.
func (db *DB) clusterShards(ctx context.Context, cluster string) ([][]string, error) {
	rows, err := db.conn.Query(ctx, `SELECT shard_num, host_address, port FROM system.clusters
WHERE cluster = ? ORDER BY shard_num, replica_num`, cluster)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read cluster %s: %w", cluster, err)
	}
	defer rows.Close()
	var shards [][]string
	for rows.Next() {
		var num uint32
		var host string
		var port uint16
		if err := rows.Scan(&num, &host, &port); err != nil {
			return nil, fmt.Errorf("clickhouse: read cluster %s: %w", cluster, err)
		}
		for int(num) > len(shards) {
			shards = append(shards, nil)
		}
		shards[num-1] = append(shards[num-1], host+":"+strconv.Itoa(int(port)))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: read cluster %s: %w", cluster, err)
	}
	if len(shards) == 0 {
		return nil, fmt.Errorf("clickhouse: cluster %q: not in system.clusters of %s (check remote_servers)", cluster, db.addr)
	}
	return shards, nil
}

func (c *Cluster) openShards(ctx context.Context, dsn string, shards [][]string) error {
	d, err := ParseDSN(dsn)
	if err != nil {
		return err
	}
	c.dsn = d
	for i, addrs := range shards {
		c.nodes = append(c.nodes, addrs...)
		d.Hosts = addrs
		opts, err := options(d)
		if err != nil {
			return err
		}
		opts.ConnOpenStrategy = ch.ConnOpenInOrder
		conn, err := ch.Open(opts)
		if err != nil {
			return fmt.Errorf("clickhouse: open shard %d (%s): %w", i+1, strings.Join(addrs, ","), err)
		}
		c.shards = append(c.shards, &DB{conn: conn, database: opts.Auth.Database, addr: strings.Join(addrs, ","), loc: bw.Location()})
	}
	return nil
}

// Close closes every pool.
func (c *Cluster) Close() error {
	var errs []error
	for _, s := range c.shards {
		errs = append(errs, s.Close())
	}
	if c.entry != nil {
		errs = append(errs, c.entry.Close())
	}
	return errors.Join(errs...)
}

// Name is the cluster's name in remote_servers.
func (c *Cluster) Name() string { return c.name }

// Entry is the pool to the entry node, whose Distributed tables the rest of
// the product reads and writes as on a single server.
func (c *Cluster) Entry() *DB { return c.entry }

// Shards is the number of shards.
func (c *Cluster) Shards() int { return len(c.shards) }

// Shard is the pool to shard i (0-based) over its replicas.
func (c *Cluster) Shard(i int) *DB { return c.shards[i] }

// ShardOf is the 0-based shard of a county: what ClickHouse's Distributed
// tables compute from ShardingKey with every shard's weight 1.
func ShardOf(countyCode string, shards int) int {
	return int(city.CH64([]byte(countyCode)) % uint64(shards))
}

// Migrate applies the migrations not yet recorded, translated by
// ClusterDDL, ON CLUSTER; the record itself is a table every node holds.
func (c *Cluster) Migrate(ctx context.Context) ([]string, error) {
	db, on := quoteIdent(c.entry.database), " ON CLUSTER "+quoteIdent(c.name)
	ddl := "CREATE TABLE IF NOT EXISTS " + db + ".schema_migrations" + on + ` (
    version UInt32,
    name String,
    applied_at DateTime('Asia/Shanghai')
) ENGINE = ReplicatedMergeTree('/clickhouse/` + c.name + `/tables/all/` + c.entry.database + `/schema_migrations', '{node}') ORDER BY version`
	if err := c.entry.Exec(ctx, ddl); err != nil {
		return nil, err
	}
	applied, err := c.entry.appliedMigrations(ctx)
	if err != nil {
		return nil, err
	}
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	stmts, err := ClusterDDL(ms, c.entry.database, c.name)
	if err != nil {
		return nil, err
	}
	var done []string
	for i, m := range ms {
		if applied[m.Version] {
			continue
		}
		for _, st := range stmts[i] {
			if err := c.exec(ctx, st); err != nil {
				return done, fmt.Errorf("cluster migration %s: %w", m.Name, err)
			}
		}
		if err := c.entry.recordMigration(ctx, m); err != nil {
			return done, err
		}
		done = append(done, m.Name)
	}
	return done, nil
}

// exec runs a ClusterDDL statement: through the entry node, or on every
// node of the cluster in turn when it starts with EachNode.
func (c *Cluster) exec(ctx context.Context, st string) error {
	if !strings.HasPrefix(st, EachNode) {
		return c.entry.Exec(ctx, st)
	}
	for _, addr := range c.nodes {
		d := c.dsn
		d.Hosts = []string{addr}
		opts, err := options(d)
		if err != nil {
			return err
		}
		conn, err := ch.Open(opts)
		if err == nil {
			err = conn.Exec(ctx, st)
			conn.Close()
		}
		if err != nil {
			return fmt.Errorf("node %s: %w", addr, err)
		}
	}
	return nil
}

// InsertEvents writes the events of parts to events_local, each row on the
// shard of its county, all shards at once; it returns when every shard has
// its rows (with the quorum of replicas asked for). A retry after a partial
// failure rewrites rows some shards already have, which the
// ReplacingMergeTree merges.
func (c *Cluster) InsertEvents(ctx context.Context, parts []*EventRows, seq uint64) error {
	now := time.Now()
	blocks := make([][][]column, len(c.shards))
	for _, p := range parts {
		if p.n == 0 {
			continue
		}
		for s, cols := range splitByShard(p.columns(seq, now), "county_code", len(c.shards)) {
			if cols != nil {
				blocks[s] = append(blocks[s], cols)
			}
		}
	}
	return c.eachShard(func(s int) error {
		if len(blocks[s]) == 0 {
			return nil
		}
		return c.insertShard(ctx, s, "events"+LocalSuffix, blocks[s])
	})
}

// InsertDeadLetters writes invalid messages on the shard of their Kafka
// partition, the dead_letters Distributed table's key: each shard's batch
// goes to a node of that shard, where the synchronous Distributed insert
// (insert_distributed_sync) writes it to the local table only. They are few.
func (c *Cluster) InsertDeadLetters(ctx context.Context, dls []bw.DeadLetter) error {
	byShard := make([][]bw.DeadLetter, len(c.shards))
	for _, d := range dls {
		s := int(uint32(d.Partition) % uint32(len(c.shards)))
		byShard[s] = append(byShard[s], d)
	}
	return c.eachShard(func(s int) error { return c.shards[s].InsertDeadLetters(ctx, byShard[s]) })
}

// LogIngestBatch records flushed batches in the ingest log (any shard).
func (c *Cluster) LogIngestBatch(ctx context.Context, bs ...IngestBatch) error {
	return c.shards[0].LogIngestBatch(ctx, bs...)
}

func (c *Cluster) eachShard(f func(s int) error) error {
	errs := make([]error, len(c.shards))
	var wg sync.WaitGroup
	for s := range c.shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[s] = f(s)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Server error codes of a quorum that cannot be met: too few live
// replicas, an earlier quorum write still unsatisfied, timeout waiting.
const (
	errTooFewLiveReplicas        = 285
	errUnsatisfiedQuorumPrevious = 286
	errUnknownStatusOfInsert     = 319
)

// insertShard writes blocks to table on shard s with the configured
// quorum. 18.16 runs one quorum insert per table at a time (a second one,
// from another ingest instance, is refused until the first is confirmed),
// so a refused write waits and tries again; when the replicas cannot meet
// the quorum (one is down, or a write it never confirmed blocks the table),
// it goes to one replica, which replicates to the others when they return.
// Writing the same blocks again is safe: replicated tables drop a block
// they already have, and ReplacingMergeTree merges the rest.
func (c *Cluster) insertShard(ctx context.Context, s int, table string, blocks [][]column) error {
	if c.quorum < 2 {
		return c.shards[s].insertBlocks(ctx, table, blocks)
	}
	qctx := ch.Context(ctx, ch.WithSettings(ch.Settings{
		"insert_quorum": c.quorum, "insert_quorum_timeout": 15000,
	}))
	var err error
	for wait := 50 * time.Millisecond; ; wait *= 2 {
		err = c.shards[s].insertBlocks(qctx, table, blocks)
		var ex *ch.Exception
		if !errors.As(err, &ex) {
			return err
		}
		if ex.Code == errUnsatisfiedQuorumPrevious && wait < 5*time.Second { // another quorum insert under way
			time.Sleep(wait)
			continue
		}
		if ex.Code != errUnsatisfiedQuorumPrevious && ex.Code != errTooFewLiveReplicas && ex.Code != errUnknownStatusOfInsert {
			return err
		}
		break
	}
	c.log.Warn("insert quorum not reachable; writing to one replica, it replicates when the others return",
		"shard", s+1, "table", table, "quorum", c.quorum, "err", err)
	return c.shards[s].insertBlocks(ctx, table, blocks)
}

// splitByShard cuts column data into one set of columns per shard by the
// county in column key; a shard without rows gets nil.
func splitByShard(cols []column, key string, shards int) [][]column {
	var counties []string
	for _, c := range cols {
		if c.name == key {
			counties = c.data.([]string)
		}
	}
	rows := make([][]int, shards)
	for i, county := range counties {
		s := ShardOf(county, shards)
		rows[s] = append(rows[s], i)
	}
	out := make([][]column, shards)
	for s, idx := range rows {
		if len(idx) == 0 {
			continue
		}
		out[s] = make([]column, len(cols))
		for i, c := range cols {
			out[s][i] = column{c.name, pick(c.data, idx)}
		}
	}
	return out
}

// pick returns the elements idx of a column's slice, as a slice of the
// same type.
func pick(data any, idx []int) any {
	switch v := data.(type) {
	case []string:
		return pickOf(v, idx)
	case []uint8:
		return pickOf(v, idx)
	case []uint32:
		return pickOf(v, idx)
	case []uint64:
		return pickOf(v, idx)
	case []int32:
		return pickOf(v, idx)
	case []int64:
		return pickOf(v, idx)
	case []time.Time:
		return pickOf(v, idx)
	case [][]string:
		return pickOf(v, idx)
	}
	panic(fmt.Sprintf("clickhouse: splitByShard: column type %T not handled", data))
}

func pickOf[T any](v []T, idx []int) []T {
	out := make([]T, len(idx))
	for i, j := range idx {
		out[i] = v[j]
	}
	return out
}
