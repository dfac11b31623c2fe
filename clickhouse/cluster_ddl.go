package clickhouse

import (
	"fmt"
	"regexp"
	"strings"
)

// Placement says where a table's rows live on a cluster.
type Placement int

const (
	// Sharded tables hold a county's rows on one shard (<name>_local,
	// replicated within the shard) behind a Distributed table <name>.
	Sharded Placement = iota
	// Everywhere tables (reference data, transformer state, migrations) are
	// small and joined by every query: each node holds all of it, replicated
	// across the whole cluster under the plain name.
	Everywhere
)

// LocalSuffix names a sharded table's shard-local, replicated half.
const LocalSuffix = "_local"

// ShardingKey is the Distributed tables' sharding expression for tables
// with a county: ShardOf computes the same in Go.
const ShardingKey = "cityHash64(county_code)"

// clusterTable is what the cluster DDL needs to know of one table.
type clusterTable struct {
	name      string
	placement Placement
	key       string // sharding key of a Sharded table
}

// classify places a table by its name and columns: reference data, state
// and bookkeeping everywhere; tables with a county sharded by the county;
// dead letters by Kafka partition (they have no valid county) and the
// ingest log anywhere.
func classify(name, columns string) clusterTable {
	switch {
	case name == "dead_letters":
		return clusterTable{name, Sharded, "`partition`"}
	case name == "ingest_log":
		return clusterTable{name, Sharded, "rand()"}
	case strings.HasPrefix(name, "ref_"):
		return clusterTable{name, Everywhere, ""}
	case countyColumn.MatchString(columns):
		return clusterTable{name, Sharded, ShardingKey}
	}
	return clusterTable{name, Everywhere, ""}
}

var (
	countyColumn = regexp.MustCompile(`(?m)^\s*county_code\s+String\s*,?\s*$`)
	createTable  = regexp.MustCompile(`(?s)^CREATE TABLE IF NOT EXISTS (\w+) \((.*)\)\s*ENGINE = (\w*MergeTree)\(([^()]*)\)(.*)$`)
	alterTable   = regexp.MustCompile(`(?s)^ALTER TABLE (\w+) (ADD|DROP|MODIFY) COLUMN (.*)$`)
)

// ClusterDDL turns single-server migrations into ON CLUSTER statements
// for cluster on database, one list per migration: every CREATE TABLE
// becomes a Replicated…MergeTree table ({shard}/{replica} macros) and, for
// sharded tables, a Distributed table under the original name; ADD, DROP
// and MODIFY COLUMN reach both (the Distributed table's node by node,
// EachNode). Other statements are refused, so a
// migration the cluster cannot follow fails loudly instead of half-applying.
func ClusterDDL(ms []Migration, database, cluster string) ([][]string, error) {
	sharded := map[string]bool{}
	out := make([][]string, len(ms))
	for i, m := range ms {
		for _, st := range m.Statements {
			st = strings.TrimSpace(st)
			if c := createTable.FindStringSubmatch(st); c != nil {
				out[i] = append(out[i], createOnCluster(c, database, cluster, sharded)...)
				continue
			}
			if a := alterTable.FindStringSubmatch(st); a != nil {
				out[i] = append(out[i], alterOnCluster(a, database, cluster, sharded)...)
				continue
			}
			return nil, fmt.Errorf("clickhouse: cluster migration %s: cannot translate statement %q (only CREATE TABLE … MergeTree and ALTER TABLE … COLUMN)", m.Name, firstLine(st))
		}
	}
	return out, nil
}

func createOnCluster(m []string, database, cluster string, sharded map[string]bool) []string {
	name, columns, engine, args, rest := m[1], m[2], m[3], strings.TrimSpace(m[4]), m[5]
	t := classify(name, columns)
	db := quoteIdent(database)
	on := " ON CLUSTER " + quoteIdent(cluster)
	zkPath, replica := "/clickhouse/"+cluster+"/tables/{shard}/"+database+"/"+name, "{replica}"
	local := name + LocalSuffix
	if t.placement == Everywhere {
		zkPath, replica, local = "/clickhouse/"+cluster+"/tables/all/"+database+"/"+name, "{node}", name
	}
	engineArgs := "'" + zkPath + "', '" + replica + "'"
	if args != "" {
		engineArgs += ", " + args
	}
	stmts := []string{"CREATE TABLE IF NOT EXISTS " + db + "." + quoteIdent(local) + on + " (" + columns + ") ENGINE = Replicated" +
		engine + "(" + engineArgs + ")" + rest}
	if t.placement == Sharded {
		sharded[name] = true
		stmts = append(stmts, "CREATE TABLE IF NOT EXISTS "+db+"."+quoteIdent(name)+on+" AS "+db+"."+quoteIdent(local)+
			" ENGINE = Distributed("+quoteIdent(cluster)+", "+db+", "+quoteIdent(local)+", "+t.key+")")
	}
	return stmts
}

func alterOnCluster(m []string, database, cluster string, sharded map[string]bool) []string {
	name, verb, rest := m[1], m[2], m[3]
	on := " ON CLUSTER " + quoteIdent(cluster)
	tail := " " + verb + " COLUMN " + rest
	db := quoteIdent(database)
	if !sharded[name] {
		return []string{"ALTER TABLE " + db + "." + quoteIdent(name) + on + tail}
	}
	return []string{
		"ALTER TABLE " + db + "." + quoteIdent(name+LocalSuffix) + on + tail,
		EachNode + "ALTER TABLE " + db + "." + quoteIdent(name) + tail,
	}
}

// EachNode starts a ClusterDDL statement that is run on every node of the
// cluster in turn rather than ON CLUSTER: ClickHouse (18.16 at least)
// refuses an ALTER … ON CLUSTER of a table that is not replicated — the
// Distributed half of a sharded table — on a cluster whose shards are
// (code 371, "isn't replicated, but shard #2 is replicated"). It is an SQL
// comment, so the statement runs as it is.
const EachNode = "/* each node */ "
