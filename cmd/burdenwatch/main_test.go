package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/burdenwatch/burdenwatch/refdata"
	"github.com/burdenwatch/burdenwatch/sim"
)

// refDir is the shipped reference data, seen from this package's directory.
const refDir = "../../refdata/default"

// result is what one run of the command line did.
type result struct {
	code           int
	stdout, stderr string
}

// runArgs runs the command line through run() with env as the whole
// environment.
func runArgs(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, args, func(k string) string { return env[k] }, &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

// commandPaths lists every command a user can call, as arguments.
func commandPaths(t *testing.T) [][]string {
	t.Helper()
	root := (&app{getenv: os.Getenv}).rootCommand()
	var paths [][]string
	for _, c := range walk(root) {
		if c.Hidden || strings.HasPrefix(c.Name(), "__") {
			continue
		}
		paths = append(paths, strings.Fields(strings.TrimPrefix(c.CommandPath(), "burdenwatch")))
	}
	if len(paths) < 14 {
		t.Fatalf("only %d commands found: %q", len(paths), paths)
	}
	return paths
}

func TestHelpOfEveryCommand(t *testing.T) {
	for _, path := range commandPaths(t) {
		name := strings.Join(append([]string{"burdenwatch"}, path...), " ")
		for _, args := range [][]string{append(path, "--help"), append(path, "-h"), append([]string{"help"}, path...)} {
			r := runArgs(t, nil, args...)
			if r.code != exitOK || r.stderr != "" {
				t.Errorf("%q: exit %d, stderr %q; want 0 and nothing", args, r.code, r.stderr)
			}
			if !strings.Contains(r.stdout, "用法:\n  "+name) || !strings.Contains(r.stdout, "\n示例:\n  ") {
				t.Errorf("%q: help lacks the usage line %q or an example:\n%s", args, name, r.stdout)
			}
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // in the one line on stderr
	}{
		{[]string{"migrate", "extra", "--clickhouse", "foo"}, `多余的参数 "extra"`},
		{[]string{"ingest", "--until-idle", "x"}, `"x"`},
		{[]string{"refdata", "load"}, "缺少参数 目录"},
		{[]string{"refdata", "load", "a", "b"}, `多余的参数 "b"`},
		{[]string{"refdata", "lod", "x"}, `未知命令 "lod"，是否要用 load`},
		{[]string{"frob"}, `未知命令 "frob"`},
		{[]string{"help", "frob"}, `没有命令 "frob"`},
		{[]string{"ingest", "--no-such-flag"}, "--no-such-flag"},
		{[]string{"simulate", "--group", "g"}, "--group"},
		{[]string{"transform", "--full=maybe"}, "maybe"},
		{[]string{"dashboards", "write"}, "缺少参数 目录"},
		{[]string{"dashboards", "publish", "extra"}, `"extra"`},
		{[]string{"report", "--month", "2025-13"}, "2025-13"},
		{[]string{"report", "--date", "yesterday"}, "yesterday"},
		{[]string{"broker", "--listen", "0.0.0.0:0"}, "--allow-remote"},
		{[]string{"broker", "--listen", ":9092"}, "不是本机回环地址"},
		{[]string{"migrate", "--clickhouse", "mysql://db1/x"}, "--clickhouse"},
		{[]string{"migrate", "--version"}, "--version"},
		{[]string{"completion", "tcsh"}, `未知命令 "tcsh"`},
	} {
		r := runArgs(t, nil, tc.args...)
		if r.code != exitUsage {
			t.Errorf("%q: exit %d; want 2 (stderr %q)", tc.args, r.code, r.stderr)
		}
		if lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n"); len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
			t.Errorf("%q: stderr %q; want one line containing %q", tc.args, r.stderr, tc.want)
		}
		if !strings.Contains(r.stderr, "--help 查看用法") {
			t.Errorf("%q: stderr %q does not point to --help", tc.args, r.stderr)
		}
	}
}

func TestMissingCommandIsUsageError(t *testing.T) {
	for _, args := range [][]string{nil, {"refdata"}, {"dashboards"}, {"completion"}} {
		r := runArgs(t, nil, args...)
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if r.code != exitUsage || r.stdout != "" || !strings.Contains(r.stderr, "用法:") || !strings.Contains(lines[len(lines)-1], "缺少命令") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 with the usage and 缺少命令 on stderr", args, r.code, r.stdout, r.stderr)
		}
	}
}

func TestVersionAndCompletion(t *testing.T) {
	r := runArgs(t, nil, "--version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "burdenwatch ") {
		t.Errorf("--version: exit %d, %q", r.code, r.stdout)
	}
	for shell, want := range map[string]string{"bash": "__start_burdenwatch", "zsh": "#compdef burdenwatch", "fish": "complete -c burdenwatch"} {
		r := runArgs(t, nil, "completion", shell)
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("completion %s: exit %d, stderr %q, script lacks %q", shell, r.code, r.stderr, want)
		}
	}
	// The script completes sub-commands through the hidden __complete command.
	r = runArgs(t, nil, "__complete", "refdata", "")
	if r.code != 0 || !strings.Contains(r.stdout, "load\t") {
		t.Errorf("__complete refdata: exit %d, %q", r.code, r.stdout)
	}
}

// writeBoards runs dashboards write into a new directory and returns the
// run and the data source file it wrote.
func writeBoards(t *testing.T, env map[string]string, args ...string) (result, string) {
	t.Helper()
	dir := t.TempDir()
	args = append([]string{"dashboards", "write", dir}, args...)
	r := runArgs(t, env, args...)
	if r.code != 0 {
		t.Fatalf("%q: exit %d, stderr %q", args, r.code, r.stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "provisioning", "datasources", "clickhouse.yaml"))
	if err != nil {
		t.Fatalf("data source file: %v (wrote %s)", err, r.stdout)
	}
	return r, string(b)
}

func TestFlagsAfterPositionalArguments(t *testing.T) {
	r, _ := writeBoards(t, nil, "--clickhouse", "clickhouse://flaghost:19000/flagdb", "--datasource", "vertamedia-clickhouse-datasource")
	if !strings.Contains(r.stdout, "flaghost:18123/flagdb") || !strings.Contains(r.stdout, "vertamedia") {
		t.Errorf("flags after the directory were not applied:\n%s", r.stdout)
	}
	// refdata load DIR --clickhouse X: the DSN after the directory is used
	// (and refused as malformed before any connection).
	for _, args := range [][]string{
		{"refdata", "load", refDir, "--clickhouse", "clickhouse://h:notaport/x"},
		{"refdata", "--clickhouse", "clickhouse://h:notaport/x", "load", refDir},
		{"refdata", "load", "--clickhouse=clickhouse://h:notaport/x", refDir},
	} {
		r := runArgs(t, nil, args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, `--clickhouse`) || !strings.Contains(r.stderr, "notaport") {
			t.Errorf("%q: exit %d, stderr %q; want the DSN given after the command refused", args, r.code, r.stderr)
		}
	}
}

func TestPrecedenceFlagEnvFileDefault(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bw.conf")
	conf := "# office settings\nclickhouse=clickhouse://filehost:19000/filedb\ndatasource-user=fileuser\n" +
		"BURDENWATCH_DATASOURCE_UID=file-uid\n"
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"BURDENWATCH_CLICKHOUSE": "clickhouse://envhost:19000/envdb", "BURDENWATCH_DATASOURCE_UID": "env-uid"}
	r, ds := writeBoards(t, env, "--config", file, "--datasource-uid", "flag-uid")
	for _, want := range []string{"envhost:19000/envdb", "只读账号 fileuser"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("want %q (env over file, file over default) in:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(ds, "flag-uid") {
		t.Errorf("flag did not win over env and file:\n%s", ds)
	}
	// The file alone, named by BURDENWATCH_CONFIG.
	r, _ = writeBoards(t, map[string]string{"BURDENWATCH_CONFIG": file})
	if !strings.Contains(r.stdout, "filehost:19000/filedb") || !strings.Contains(r.stdout, "只读账号 fileuser") {
		t.Errorf("file values not applied:\n%s", r.stdout)
	}
	// Defaults.
	r, ds = writeBoards(t, nil)
	if !strings.Contains(r.stdout, "127.0.0.1:19000/burdenwatch") || !strings.Contains(r.stdout, "只读账号 grafana") || !strings.Contains(ds, "burdenwatch-clickhouse") {
		t.Errorf("defaults not applied:\n%s\n%s", r.stdout, ds)
	}
}

func TestPerCommandEnvironment(t *testing.T) {
	// BURDENWATCH_<COMMAND>_<FLAG> wins over BURDENWATCH_<FLAG>.
	r, _ := writeBoards(t, map[string]string{
		"BURDENWATCH_CLICKHOUSE":            "clickhouse://shared:19000/shared",
		"BURDENWATCH_DASHBOARDS_CLICKHOUSE": "clickhouse://own:19000/own",
	})
	if !strings.Contains(r.stdout, "own:19000/own") {
		t.Errorf("BURDENWATCH_DASHBOARDS_CLICKHOUSE not used:\n%s", r.stdout)
	}
	// simulate reads BURDENWATCH_SIMULATE_FILE and its own province over
	// the shared one; the shared --out of report/export means nothing to it.
	file := filepath.Join(t.TempDir(), "events.jsonl")
	r = runArgs(t, map[string]string{
		"BURDENWATCH_SIMULATE_FILE": file, "BURDENWATCH_PROVINCE": "33", "BURDENWATCH_SIMULATE_PROVINCE": "22",
		"BURDENWATCH_SCALE": "0.02", "BURDENWATCH_OUT": "/nonexistent/out", "BURDENWATCH_REFDATA": refDir,
	}, "simulate")
	if r.code != 0 || !strings.Contains(r.stdout, "省份 22") {
		t.Fatalf("simulate: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if st, err := os.Stat(file); err != nil || st.Size() == 0 {
		t.Errorf("simulate --file from BURDENWATCH_SIMULATE_FILE: %v", err)
	}
	// --listen is the broker's own: BURDENWATCH_LISTEN (deploy/broker.sh's,
	// or serve's) is not read, BURDENWATCH_BROKER_LISTEN is.
	r = runArgs(t, map[string]string{"BURDENWATCH_BROKER_LISTEN": "0.0.0.0:1"}, "broker")
	if r.code != exitUsage || !strings.Contains(r.stderr, "0.0.0.0:1") {
		t.Errorf("broker with BURDENWATCH_BROKER_LISTEN: exit %d, %q", r.code, r.stderr)
	}
	// A bad value names the variable and the value.
	r = runArgs(t, map[string]string{"BURDENWATCH_SIMULATE_SCALE": "lots"}, "simulate")
	if r.code != exitUsage || !strings.Contains(r.stderr, `BURDENWATCH_SIMULATE_SCALE="lots"`) {
		t.Errorf("bad env value: exit %d, %q", r.code, r.stderr)
	}
}

func TestPasswordsNeverPrinted(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bw.conf")
	if err := os.WriteFile(file, []byte("clickhouse=clickhouse://bw:hunter2@h/x\nhunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// export and refdata load open an existing database: their connection
	// error shows the DSN, which must come out redacted (xxxxx).
	for _, tc := range []struct {
		env      map[string]string
		args     []string
		code     int
		redacted bool // the DSN is shown, with xxxxx for the password
	}{
		{nil, []string{"export", "--clickhouse", "clickhouse://bw:hun%ter2@127.0.0.1:1/x"}, exitUsage, true},
		{nil, []string{"export", "--clickhouse", "clickhouse://bw:hunter2@127.0.0.1:1/x"}, exitFailure, true},
		{nil, []string{"refdata", "load", refDir, "--clickhouse", "clickhouse://bw:hun#t/er?2@127.0.0.1:1/x"}, exitFailure, true},
		{nil, []string{"export", "--clickhouse", "clickhouse://bw@127.0.0.1:1/x", "--clickhouse-password-file", pwFile}, exitFailure, true},
		{map[string]string{"BURDENWATCH_CLICKHOUSE_PASSWORD": "hunter2"}, []string{"export", "--clickhouse", "clickhouse://bw@127.0.0.1:1/x"}, exitFailure, true},
		{nil, []string{"migrate", "--clickhouse", "clickhouse://bw:hunter2@127.0.0.1:1/x"}, exitFailure, false},
		{nil, []string{"migrate", "--clickhouse-password", "hunter2"}, exitUsage, false},
		{nil, []string{"migrate", "--config", file}, exitUsage, false},
		{nil, []string{"migrate", "--clickhouse", "bw:hunter2@127.0.0.1:1"}, exitUsage, false},
	} {
		r := runArgs(t, tc.env, tc.args...)
		if r.code != tc.code {
			t.Errorf("%q: exit %d; want %d (stderr %q)", tc.args, r.code, tc.code, r.stderr)
		}
		for _, secret := range []string{"hunter2", "hun%ter2", "hun%25ter2", "er?2", "er%3F2"} {
			if strings.Contains(r.stderr+r.stdout, secret) {
				t.Errorf("%q: password printed: %q", tc.args, r.stderr)
			}
		}
		if tc.redacted && !strings.Contains(r.stderr, "bw:xxxxx@") {
			t.Errorf("%q: stderr %q; want the DSN shown as bw:xxxxx@…", tc.args, r.stderr)
		}
	}
	r := runArgs(t, nil, "migrate", "--clickhouse-password-file", filepath.Join(t.TempDir(), "missing"))
	if r.code != exitFailure || !strings.Contains(r.stderr, "--clickhouse-password-file") {
		t.Errorf("missing password file: exit %d, %q", r.code, r.stderr)
	}
}

func TestPasswordSources(t *testing.T) {
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("from-file\r\nignored\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		flags clickhouseFlags
		want  string
	}{
		{clickhouseFlags{dsn: "clickhouse://bw:from-dsn@h/x"}, "from-dsn"},
		{clickhouseFlags{dsn: "clickhouse://bw:from-dsn@h/x", password: "from-env"}, "from-env"},
		{clickhouseFlags{dsn: "clickhouse://bw:from-dsn@h/x", password: "from-env", passwordFile: pwFile}, "from-file"},
	} {
		d, err := tc.flags.resolve()
		if err != nil || d.Password != tc.want || d.User != "bw" {
			t.Errorf("%+v: password %q user %q, %v; want %q", tc.flags, d.Password, d.User, err, tc.want)
		}
	}
}

func TestCheckLoopback(t *testing.T) {
	for listen, ok := range map[string]bool{
		"127.0.0.1:9092": true, "localhost:0": true, "[::1]:9092": true, "127.0.0.2:1": true,
		"0.0.0.0:9092": false, ":9092": false, "[::]:9092": false, "10.0.0.5:9092": false, "kafka.example:9092": false,
	} {
		if err := checkLoopback(listen, false); (err == nil) != ok {
			t.Errorf("checkLoopback(%q) = %v; want ok=%v", listen, err, ok)
		}
		if err := checkLoopback(listen, true); err != nil {
			t.Errorf("checkLoopback(%q, allowed) = %v", listen, err)
		}
	}
}

// Every command and flag that help lists has Chinese text.
func TestHelpTextIsChinese(t *testing.T) {
	root := (&app{getenv: os.Getenv}).rootCommand()
	for _, c := range walk(root) {
		if c.Hidden || strings.HasPrefix(c.Name(), "__") {
			continue
		}
		if !hasHan(c.Short) || c.Example == "" {
			t.Errorf("%s: Short %q, Example %q; want Chinese text and an example", c.CommandPath(), c.Short, c.Example)
		}
		c.InitDefaultHelpFlag()
		checkFlagsChinese(t, c)
	}
}

func checkFlagsChinese(t *testing.T, c *cobra.Command) {
	t.Helper()
	c.LocalFlags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden && !hasHan(f.Usage) {
			t.Errorf("%s --%s: usage %q is not Chinese", c.CommandPath(), f.Name, f.Usage)
		}
	})
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

// simulate with no flags publishes exactly what sim.DefaultConfig("43")
// generates: the command passes the package's defaults through unchanged.
func TestSimulateDefaultsAreThePackages(t *testing.T) {
	file := filepath.Join(t.TempDir(), "events.jsonl")
	r := runArgs(t, nil, "simulate", "--refdata", refDir, "--scale", "0.05", "--file", file)
	if r.code != 0 {
		t.Fatalf("simulate: exit %d, %s", r.code, r.stderr)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := refdata.ParseDir(refDir)
	if err != nil {
		t.Fatal(err)
	}
	issuers, err := refdata.ParseIssuers(filepath.Join(refDir, "issuers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := sim.DefaultConfig("43")
	cfg.Scale = 0.05
	var want bytes.Buffer
	if _, err := sim.Generate(ref, issuers, cfg, func(m sim.Message) error {
		want.Write(m.Value)
		return want.WriteByte('\n')
	}); err != nil {
		t.Fatal(err)
	}
	if want.Len() == 0 || !bytes.Equal(got, want.Bytes()) {
		t.Errorf("simulate wrote %d bytes, sim.Generate with the defaults %d; want the same bytes", len(got), want.Len())
	}
}

// One --config file serves every command: a key another command reads is
// accepted, a key no command reads (a typo) is refused by line.
func TestConfigFileKeys(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bw.conf")
	if err := os.WriteFile(file, []byte("BURDENWATCH_SERVE_LISTEN=127.0.0.1:8081\nbatch-size=7\nrule-packs=x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	writeBoards(t, map[string]string{"BURDENWATCH_CONFIG": file})
	if err := os.WriteFile(file, []byte("clickhouse=clickhouse://h/x\nclickhous=clickhouse://typo/x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runArgs(t, nil, "dashboards", "write", t.TempDir(), "--config", file)
	if r.code != exitUsage || !strings.Contains(r.stderr, "第 2 行") || !strings.Contains(r.stderr, "BURDENWATCH_CLICKHOUS") {
		t.Errorf("typo in config file: exit %d, %q; want 2 naming line 2 and the key", r.code, r.stderr)
	}
}
