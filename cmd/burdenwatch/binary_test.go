package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/internal/testenv"
)

// binary runs the built burdenwatch binary with only the BURDENWATCH_*
// variables of env (none of the caller's).
type binary struct {
	t    *testing.T
	path string
	env  map[string]string
}

func buildBinary(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "burdenwatch")
	out, err := exec.Command("go", "build", "-o", path, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return path
}

func (b binary) run(env map[string]string, args ...string) result {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.path, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BURDENWATCH_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for _, m := range []map[string]string{b.env, env} {
		for k, v := range m {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		b.t.Fatalf("%q: %v", args, err)
	}
	return result{code, out.String(), errOut.String()}
}

// process is a started binary whose stdout is read line by line.
type process struct {
	cmd   *exec.Cmd
	lines chan string
	done  chan struct{}
}

// start starts the binary with args in the background.
func (b binary) start(args ...string) *process {
	b.t.Helper()
	cmd := exec.Command(b.path, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BURDENWATCH_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range b.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.t.Fatal(err)
	}
	p := &process{cmd: cmd, lines: make(chan string, 1000), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	b.t.Cleanup(func() { _ = cmd.Process.Kill() })
	return p
}

// waitFor reads lines until one contains want; a minute without it fails
// (the process hangs, this is no speed check).
func (p *process) waitFor(t *testing.T, want string) {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case l := <-p.lines:
			if strings.Contains(l, want) {
				return
			}
		case <-p.done:
			t.Fatalf("process ended without printing %q", want)
		case <-timeout:
			t.Fatalf("no line with %q within a minute", want)
		}
	}
}

// stop sends SIGTERM and returns the exit status.
func (p *process) stop(t *testing.T) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-p.done
	err := p.cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

// ok runs args and fails the test unless they exit 0 with stdout
// containing want.
func (b binary) ok(want string, args ...string) result {
	b.t.Helper()
	r := b.run(nil, args...)
	if r.code != 0 || !strings.Contains(r.stdout, want) {
		b.t.Fatalf("%q: exit %d, want 0 and %q in stdout\nstdout: %s\nstderr: %s", args, r.code, want, r.stdout, r.stderr)
	}
	return r
}

// TestBinary runs what users run, through the real binary, against a
// fresh database on the test ClickHouse server and an embedded broker:
// migrate twice, refdata load (and failing loads that change nothing),
// simulate, ingest, transform --full, dashboards write, export --redact,
// and the --config / BURDENWATCH_* precedence.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	admin, _ := testenv.ClickHouse(t) // fails or skips as testenv says when the server is down
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	name := "bwcli_" + hex.EncodeToString(suffix)
	dsn := testenv.ServerDSN() + name
	t.Cleanup(func() { _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name) })
	b := binary{t: t, path: buildBinary(t), env: passwordFromFile(t, dsn)}
	// Every command that talks to Kafka (simulate, ingest, transform's
	// alerts) uses the test's own broker.
	b.env["BURDENWATCH_BROKERS"] = testenv.Broker(t, "burden.events", "").Addr()

	t.Run("migrate twice", func(t *testing.T) {
		b.t = t
		b.ok("已应用迁移", "migrate")
		b.ok("已是最新结构", "migrate")
	})
	ctx := context.Background()
	db, err := clickhouse.Open(ctx, dsn, false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	t.Run("refdata load", func(t *testing.T) {
		b.t = t
		b.ok("参考数据已导入", "refdata", "load", refDir)
		points, err := db.ObservationPoints(ctx)
		if err != nil || len(points) < 40 {
			t.Fatalf("observation points after load: %d, %v", len(points), err)
		}
	})

	t.Run("failing refdata load changes nothing", func(t *testing.T) {
		b.t = t
		before, err := db.ReferenceData(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// A bad CSV: refused before anything is written.
		bad := copyRefdata(t, "quotas.csv", func(s string) string { return s + "2025,430102,many,,\n" })
		r := b.run(nil, "refdata", "load", bad)
		if r.code != exitFailure || !strings.Contains(r.stderr, "quotas.csv") || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("bad CSV: exit %d, stderr %q; want 1 and one line naming quotas.csv", r.code, r.stderr)
		}
		// Valid but different data, and ClickHouse failing after the
		// datasets were written (ref_loads, the commit record, hidden).
		changed := copyRefdata(t, "quotas.csv", func(s string) string { return strings.Replace(s, ",2500,", ",2499,", 1) })
		if err := db.Exec(ctx, "RENAME TABLE "+name+".ref_loads TO "+name+".ref_loads_hidden"); err != nil {
			t.Fatal(err)
		}
		r = b.run(nil, "refdata", "load", changed)
		if err := db.Exec(ctx, "RENAME TABLE "+name+".ref_loads_hidden TO "+name+".ref_loads"); err != nil {
			t.Fatal(err)
		}
		if r.code != exitFailure || !strings.Contains(r.stderr, "ref_loads") {
			t.Errorf("load with ref_loads missing: exit %d, stderr %q; want 1 naming ref_loads", r.code, r.stderr)
		}
		after, err := db.ReferenceData(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(before, after) {
			t.Error("reference data changed by failed loads")
		}
	})

	t.Run("simulate to a file", func(t *testing.T) {
		b.t = t
		file := filepath.Join(t.TempDir(), "sim", "events.jsonl")
		b.ok("模拟汇总：省份 37", "simulate", "--province", "37", "--scale", "0.02", "--refdata", refDir, "--file", file)
		data, err := os.ReadFile(file)
		if err != nil || bytes.Count(data, []byte("\n")) < 100 {
			t.Fatalf("simulated file: %d lines, %v", bytes.Count(data, []byte("\n")), err)
		}
	})

	t.Run("simulate ingest transform", func(t *testing.T) {
		b.t = t
		for _, args := range [][]string{
			{"simulate", "--scale", "0.05", "--refdata", refDir},
			{"ingest", "--until-idle"},
		} {
			if r := b.run(nil, args...); r.code != 0 {
				t.Fatalf("%q: exit %d\n%s\n%s", args, r.code, r.stdout, r.stderr)
			}
		}
		b.ok("已重算 1 个省份年度：43/2025", "transform", "--full")
		var n uint64
		if err := db.Conn().QueryRow(ctx, "SELECT count() FROM "+name+".indicators").Scan(&n); err != nil || n == 0 {
			t.Fatalf("indicators after transform --full: %d, %v", n, err)
		}
		b.ok("没有新数据", "transform")
	})

	t.Run("transform --follow", func(t *testing.T) {
		b.t = t
		follow := b.start("transform", "--follow")
		// A reference data load asks for a recompute; the follower does it.
		b.ok("参考数据已导入", "refdata", "load", refDir)
		follow.waitFor(t, "已重算 1 个省份年度：43/2025")
		if code := follow.stop(t); code != 0 {
			t.Errorf("transform --follow after SIGTERM: exit %d; want 0", code)
		}
	})

	t.Run("report", func(t *testing.T) {
		b.t = t
		if _, err := exec.LookPath("chromium"); err != nil {
			t.Skip("chromium not installed (make tools installs it)")
		}
		dir := t.TempDir()
		b.ok("通报.pdf", "report", "--province", "43", "--month", "2025-12", "--out", dir, "--date", "2026-01-05")
		for _, f := range []string{"43-2025-12/通报.html", "43-2025-12/通报.pdf"} {
			if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
				t.Errorf("%s: %v", f, err)
			}
		}
	})

	t.Run("dashboards write", func(t *testing.T) {
		b.t = t
		dir := t.TempDir()
		b.ok("已写出 Grafana 配置文件", "dashboards", "write", dir)
		for _, f := range []string{"dashboards/bw-province-overview.json", "provisioning/datasources/clickhouse.yaml"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Error(err)
			}
		}
	})

	t.Run("export --redact", func(t *testing.T) {
		b.t = t
		full, redacted := filepath.Join(t.TempDir(), "full"), filepath.Join(t.TempDir(), "public")
		b.ok("完整版", "export", "--out", full)
		b.ok("脱敏版", "export", "--redact", "--out", redacted)
		if !parquetHas(t, full, "issuer_name") || parquetHas(t, redacted, "issuer_name") {
			t.Errorf("issuer_name column: in full export %v, in redacted %v; want true, false",
				parquetHas(t, full, "issuer_name"), parquetHas(t, redacted, "issuer_name"))
		}
	})

	t.Run("exit codes and precedence", func(t *testing.T) {
		b.t = t
		refused := "clickhouse://default@127.0.0.1:1/" + name // nothing listens on port 1
		file := filepath.Join(t.TempDir(), "bw.conf")
		if err := os.WriteFile(file, []byte("clickhouse="+refused+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			env  map[string]string
			args []string
			code int
		}{
			{nil, []string{"migrate", "--config", file}, exitOK},                                                            // env over file
			{map[string]string{"BURDENWATCH_MIGRATE_CLICKHOUSE": refused}, []string{"migrate"}, exitFailure},                // command's variable over the shared one
			{nil, []string{"migrate", "--clickhouse", refused}, exitFailure},                                                // flag over env
			{map[string]string{"BURDENWATCH_CLICKHOUSE": "", "BURDENWATCH_CONFIG": file}, []string{"migrate"}, exitFailure}, // file over default
			{nil, []string{"migrate", "extra"}, exitUsage},
			{nil, []string{"--help"}, exitOK},
			{nil, nil, exitUsage},
		} {
			r := b.run(tc.env, tc.args...)
			if r.code != tc.code {
				t.Errorf("%v %q: exit %d; want %d\n%s", tc.env, tc.args, r.code, tc.code, r.stderr)
			}
			if tc.code == exitFailure && (!strings.Contains(r.stderr, "127.0.0.1:1") || strings.Count(r.stderr, "\n") != 1) {
				t.Errorf("%q: stderr %q; want one line naming the refused address", tc.args, r.stderr)
			}
		}
	})
}

// passwordFromFile gives the binary the DSN without its password and the
// password through BURDENWATCH_CLICKHOUSE_PASSWORD_FILE, the documented way,
// when the local server's password file holds it.
func passwordFromFile(t *testing.T, dsn string) map[string]string {
	t.Helper()
	env := map[string]string{"BURDENWATCH_CLICKHOUSE": dsn}
	d, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(testenv.PasswordFile())
	if pw, _, _ := strings.Cut(string(b), "\n"); err == nil && d.Password != "" && pw == d.Password {
		d.Password = ""
		env["BURDENWATCH_CLICKHOUSE"] = d.String()
		env["BURDENWATCH_CLICKHOUSE_PASSWORD_FILE"] = testenv.PasswordFile()
	}
	return env
}

// copyRefdata copies the shipped reference data to a new directory,
// editing one file.
func copyRefdata(t *testing.T, file string, edit func(string) string) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(refDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(refDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == file {
			edited := edit(string(b))
			if edited == string(b) {
				t.Fatalf("edit of %s changed nothing", file)
			}
			b = []byte(edited)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// parquetHas reports whether any Parquet file under dir names column in
// its schema (the footer holds column names as plain text).
func parquetHas(t *testing.T, dir, column string) bool {
	t.Helper()
	found, files := false, 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(path, ".parquet") {
			return err
		}
		files++
		b, err := os.ReadFile(path)
		found = found || bytes.Contains(b, []byte(column))
		return err
	})
	if err != nil || files == 0 {
		t.Fatalf("parquet files under %s: %d, %v", dir, files, err)
	}
	return found
}
