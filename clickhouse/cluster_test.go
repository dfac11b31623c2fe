package clickhouse

import (
	"strings"
	"testing"
)

// TestClusterDDL translates the embedded migrations and checks the shape of
// what the cluster gets: every table of the single server exists under its
// name, sharded ones by county behind a Distributed table, the rest
// replicated on every node.
func TestClusterDDL(t *testing.T) {
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	stmts, err := ClusterDDL(ms, "bw", "c1")
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]string{} // table -> its CREATE statement
	for _, list := range stmts {
		for _, st := range list {
			if !strings.Contains(st, " ON CLUSTER `c1` ") && !strings.HasPrefix(st, EachNode) {
				t.Errorf("not ON CLUSTER: %s", firstLine(st))
			}
			name := strings.Fields(strings.TrimPrefix(st, "CREATE TABLE IF NOT EXISTS "))[0]
			all[strings.Trim(strings.TrimPrefix(name, "`bw`."), "`")] = st
		}
	}
	for _, m := range ms {
		for _, st := range m.Statements {
			c := createTable.FindStringSubmatch(st)
			if c == nil {
				continue
			}
			name := c[1]
			if all[name] == "" {
				t.Errorf("table %s missing on the cluster", name)
			}
			local, sharded := all[name+LocalSuffix]
			switch {
			case name == "events" || name == "indicators" || name == "rule_results":
				if !sharded || !strings.Contains(all[name], "ENGINE = Distributed(`c1`, `bw`, `"+name+"_local`, "+ShardingKey+")") {
					t.Errorf("%s: want a Distributed table by county over %s_local, got %q", name, name, all[name])
				}
				if !strings.Contains(local, "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/c1/tables/{shard}/bw/"+name+"', '{replica}', version)") {
					t.Errorf("%s_local: want ReplicatedReplacingMergeTree per shard, got %q", name, local)
				}
			case strings.HasPrefix(name, "ref_") || name == "transform_state":
				if sharded || !strings.Contains(all[name], "/tables/all/bw/"+name+"', '{node}'") {
					t.Errorf("%s: want one replicated copy on every node, got %q", name, all[name])
				}
			}
		}
	}
	if !strings.Contains(all["events_local"], "PARTITION BY toYYYYMM(occurred_at)") {
		t.Errorf("events_local lost its partitioning: %q", all["events_local"])
	}
}

func TestClusterDDLAlterAndRefusal(t *testing.T) {
	ms := []Migration{
		{Version: 1, Name: "001_t", Statements: []string{"CREATE TABLE IF NOT EXISTS t (\n    county_code String,\n    n UInt32\n) ENGINE = MergeTree()\nORDER BY county_code"}},
		{Version: 2, Name: "002_add", Statements: []string{"ALTER TABLE t ADD COLUMN m UInt8"}},
	}
	stmts, err := ClusterDDL(ms, "bw", "c1")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ALTER TABLE `bw`.`t_local` ON CLUSTER `c1` ADD COLUMN m UInt8",
		EachNode + "ALTER TABLE `bw`.`t` ADD COLUMN m UInt8",
	}
	if strings.Join(stmts[1], "\n") != strings.Join(want, "\n") {
		t.Errorf("ALTER of a sharded table:\n got %q\nwant %q", stmts[1], want)
	}
	ms = append(ms, Migration{Version: 3, Name: "003_view", Statements: []string{"CREATE MATERIALIZED VIEW v TO t AS SELECT * FROM t"}})
	if _, err := ClusterDDL(ms, "bw", "c1"); err == nil || !strings.Contains(err.Error(), "003_view") {
		t.Errorf("an untranslatable statement must fail naming its migration, got %v", err)
	}
}

func TestShardOfSplitsRows(t *testing.T) {
	counties := []string{"430102", "430121", "430181", "370102", "220102", "330102"}
	cols := []column{{"county_code", counties}, {"n", []uint32{0, 1, 2, 3, 4, 5}}}
	parts := splitByShard(cols, "county_code", 2)
	seen := 0
	for s, p := range parts {
		if p == nil {
			continue
		}
		cs, ns := p[0].data.([]string), p[1].data.([]uint32)
		for i, c := range cs {
			if ShardOf(c, 2) != s || counties[ns[i]] != c {
				t.Errorf("shard %d got county %s with row %d", s, c, ns[i])
			}
			seen++
		}
	}
	if seen != len(counties) {
		t.Errorf("split %d of %d rows", seen, len(counties))
	}
}
