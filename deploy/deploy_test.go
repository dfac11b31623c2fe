// Package deploy_test runs the local deployment scripts (deploy/*.sh) and
// Makefile targets the way a developer does, each in a scratch var/
// directory on free ports, so that the shared development servers are
// never touched.
package deploy_test

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// result is what one script run printed and how it exited.
type result struct {
	out  string // stdout and stderr
	code int
}

// script runs deploy/<name> with args and env added to the environment.
func script(t *testing.T, env []string, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command(filepath.Join(repoRoot(t), "deploy", name), args...)
	cmd.Env = append(baseEnv(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s %v: %v", name, args, err)
	}
	return result{out.String(), code}
}

// baseEnv is the environment without BURDENWATCH_* variables, so that a
// developer's settings (or make's deploy/env.sh) cannot point a scratch run
// at the shared servers.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BURDENWATCH_") {
			env = append(env, kv)
		}
	}
	return env
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// freePort returns a loopback port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func want(t *testing.T, what string, r result, code int, text string) {
	t.Helper()
	if r.code != code || !strings.Contains(r.out, text) {
		t.Fatalf("%s: exit %d, want %d with %q; output:\n%s", what, r.code, code, text, r.out)
	}
}

func mode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != want {
		t.Errorf("%s has mode %v, want %v", path, st.Mode().Perm(), want)
	}
}

func needClickHouse(t *testing.T) {
	t.Helper()
	for _, bin := range []string{"clickhouse-server", "clickhouse-client"} {
		if _, err := exec.LookPath(bin); err != nil {
			if _, err := os.Stat("/usr/bin/" + bin); err != nil {
				t.Skipf("%s not installed (deploy/clickhouse.sh install)", bin)
			}
		}
	}
}

// clickhouseEnv is a scratch server's environment: its own var/ and ports.
func clickhouseEnv(t *testing.T, varDir string) []string {
	return []string{"BURDENWATCH_VAR=" + varDir,
		"BURDENWATCH_CH_TCP_PORT=" + strconv.Itoa(freePort(t)),
		"BURDENWATCH_CH_HTTP_PORT=" + strconv.Itoa(freePort(t)),
		"BURDENWATCH_CH_STOP_TIMEOUT=2"}
}

func envValue(env []string, key string) string {
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v
		}
	}
	return ""
}

// client runs clickhouse-client against the scratch server with args.
func client(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	args = append([]string{"--host", "127.0.0.1", "--port", envValue(env, "BURDENWATCH_CH_TCP_PORT")}, args...)
	out, err := exec.Command("clickhouse-client", args...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

var hexPassword = regexp.MustCompile(`^[0-9a-f]{48}$`)

// TestClickHouseScript: start, status, client, the generated password and
// the file modes, the grafana user's fences, a restart on the same var/,
// a port in use, and stop from TERM to KILL.
func TestClickHouseScript(t *testing.T) {
	needClickHouse(t)
	varDir := t.TempDir()
	env := clickhouseEnv(t, varDir)
	t.Cleanup(func() { script(t, env, "clickhouse.sh", "stop") })

	want(t, "status before start", script(t, env, "clickhouse.sh", "status"), 1, "stopped")
	want(t, "start", script(t, env, "clickhouse.sh", "start"), 0, "clickhouse running")
	want(t, "status", script(t, env, "clickhouse.sh", "status"), 0, "running (pid")

	ch := filepath.Join(varDir, "clickhouse")
	pwFile := filepath.Join(ch, "default.password")
	mode(t, pwFile, 0o600)
	mode(t, filepath.Join(ch, "etc", "users.xml"), 0o600)
	mode(t, filepath.Join(ch, "etc", "client.xml"), 0o600)
	mode(t, filepath.Join(ch, "etc"), 0o700)
	pw := readPassword(t, pwFile)
	if users, _ := os.ReadFile(filepath.Join(ch, "etc", "users.xml")); bytes.Contains(users, []byte(pw)) {
		t.Error("users.xml holds the password itself, not only its hash")
	}

	want(t, "client", script(t, env, "clickhouse.sh", "client", "-q", "SELECT 40 + 2"), 0, "42")
	if out, err := client(t, env, "-q", "SELECT 1"); err == nil || !strings.Contains(out, "Password required") {
		t.Errorf("default without password: %v %s", err, out)
	}
	if out, err := client(t, env, "--password", pw, "-q", "SELECT 1"); err != nil || out != "1" {
		t.Errorf("default with the password file's password: %v %s", err, out)
	}
	grafanaFences(t, env)

	want(t, "start while running", script(t, env, "clickhouse.sh", "start"), 0, "already running")
	want(t, "stop", script(t, env, "clickhouse.sh", "stop"), 0, "clickhouse stopped")
	want(t, "status after stop", script(t, env, "clickhouse.sh", "status"), 1, "stopped")
	want(t, "start on the same var/", script(t, env, "clickhouse.sh", "start"), 0, "clickhouse running")
	if again := readPassword(t, pwFile); again != pw {
		t.Errorf("restart changed the password: %s → %s", pw, again)
	}

	t.Run("port in use", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		busy := clickhouseEnv(t, t.TempDir())
		busy[1] = "BURDENWATCH_CH_TCP_PORT=" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
		want(t, "start on a taken port", script(t, busy, "clickhouse.sh", "start"), 1, "is already in use")
	})
	t.Run("fresh var gets its own password", func(t *testing.T) {
		other := clickhouseEnv(t, t.TempDir())
		t.Cleanup(func() { script(t, other, "clickhouse.sh", "stop") })
		want(t, "start", script(t, other, "clickhouse.sh", "start"), 0, "generated the password")
		if p := readPassword(t, filepath.Join(envValue(other, "BURDENWATCH_VAR"), "clickhouse", "default.password")); p == pw {
			t.Error("two fresh var/ directories got the same password")
		}
	})

	// A server that does not react to TERM (stopped with SIGSTOP) is killed.
	pid := pidOf(t, filepath.Join(ch, "clickhouse.pid"))
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	want(t, "stop a hung server", script(t, env, "clickhouse.sh", "stop"), 0, "sending KILL")
	if syscall.Kill(pid, 0) == nil {
		t.Errorf("pid %d still alive after stop", pid)
	}
	want(t, "status after KILL", script(t, env, "clickhouse.sh", "status"), 1, "stopped")
}

// grafanaFences: the grafana user reads, cannot write, cannot lift its
// limits and cannot reach default through table functions.
func grafanaFences(t *testing.T, env []string) {
	t.Helper()
	g := []string{"--user", "grafana", "--password", "grafana"}
	if out, err := client(t, env, append(g, "-q", "SELECT count() FROM system.one")...); err != nil || out != "1" {
		t.Fatalf("grafana SELECT: %v %s", err, out)
	}
	for _, q := range []string{
		"CREATE TABLE default.grafana_was_here (x UInt8) ENGINE = Memory",
		"SET max_memory_usage = 100000000000",
		"SELECT 1 SETTINGS max_execution_time = 100000",
		"SELECT * FROM remote('127.0.0.1:" + envValue(env, "BURDENWATCH_CH_TCP_PORT") + "', system.one, 'default', '')",
		"SELECT * FROM url('http://127.0.0.1:" + envValue(env, "BURDENWATCH_CH_HTTP_PORT") + "/?query=SELECT+1', CSV, 'x UInt8')",
	} {
		if out, err := client(t, env, append(g, "-q", q)...); err == nil || !strings.Contains(out, "readonly mode") {
			t.Errorf("grafana %s: %v %s", q, err, out)
		}
	}
	// Settings sent by a native client are ignored: the limits stay.
	out, err := client(t, env, append(g, "--max_memory_usage", "100000000000", "--max_execution_time", "100000", "-q",
		"SELECT name, value FROM system.settings WHERE name IN ('max_memory_usage', 'max_execution_time') ORDER BY name")...)
	if err != nil || out != "max_execution_time\t60\nmax_memory_usage\t4000000000" {
		t.Errorf("grafana limits after sending others: %v %q", err, out)
	}
}

func readPassword(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pw := strings.TrimSpace(string(b))
	if !hexPassword.MatchString(pw) {
		t.Fatalf("password %q is not 48 hex digits", pw)
	}
	return pw
}

func pidOf(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file %s: %v", path, err)
	}
	return pid
}

// TestBrokerScript: start, status, a second start, an address in use, and
// stop from TERM to KILL, with the real binary.
func TestBrokerScript(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "burdenwatch")
	build := exec.Command("go", "build", "-o", bin, "./cmd/burdenwatch")
	build.Dir = repoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	varDir := t.TempDir()
	env := []string{"BURDENWATCH_VAR=" + varDir, "BURDENWATCH_BIN=" + bin,
		"BURDENWATCH_LISTEN=127.0.0.1:" + strconv.Itoa(freePort(t)), "BURDENWATCH_BROKER_STOP_TIMEOUT=1"}
	t.Cleanup(func() { script(t, env, "broker.sh", "stop") })

	want(t, "status before start", script(t, env, "broker.sh", "status"), 1, "stopped")
	want(t, "start", script(t, env, "broker.sh", "start"), 0, "running (pid")
	want(t, "status", script(t, env, "broker.sh", "status"), 0, "running (pid")
	want(t, "start again", script(t, env, "broker.sh", "start"), 0, "already running")
	conn, err := net.DialTimeout("tcp", envValue(env, "BURDENWATCH_LISTEN"), time.Second)
	if err != nil {
		t.Fatalf("broker does not listen: %v", err)
	}
	conn.Close()

	t.Run("address in use", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		busy := []string{"BURDENWATCH_VAR=" + t.TempDir(), "BURDENWATCH_BIN=" + bin, "BURDENWATCH_LISTEN=" + l.Addr().String()}
		want(t, "start on a taken address", script(t, busy, "broker.sh", "start"), 1, "already in use")
	})

	want(t, "stop", script(t, env, "broker.sh", "stop"), 0, "stopped (was pid")
	want(t, "status after stop", script(t, env, "broker.sh", "status"), 1, "stopped")
	want(t, "start after stop", script(t, env, "broker.sh", "start"), 0, "running (pid")
	pid := pidOf(t, filepath.Join(varDir, "broker", "broker.pid"))
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	want(t, "stop a hung broker", script(t, env, "broker.sh", "stop"), 0, "sending KILL")
	if syscall.Kill(pid, 0) == nil {
		t.Errorf("pid %d still alive after stop", pid)
	}
}

// TestMakeServices: `make services` and `make stop` with a scratch var/ and
// ports bring both services up and down; deploy/env.sh points at the
// scratch server's password file.
func TestMakeServices(t *testing.T) {
	needClickHouse(t)
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not installed")
	}
	varDir := t.TempDir()
	env := append(clickhouseEnv(t, varDir), "BURDENWATCH_LISTEN=127.0.0.1:"+strconv.Itoa(freePort(t)))
	make := func(target string) result {
		cmd := exec.Command("make", "-s", target)
		cmd.Dir = repoRoot(t)
		cmd.Env = append(baseEnv(), env...)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return result{string(out), code}
	}
	t.Cleanup(func() { make("stop") })
	want(t, "make services", make("services"), 0, "clickhouse running")
	want(t, "clickhouse status", script(t, env, "clickhouse.sh", "status"), 0, "running")
	want(t, "broker status", script(t, env, "broker.sh", "status"), 0, "running")

	sh := exec.Command("sh", "-c", ". deploy/env.sh && cat \"$BURDENWATCH_CLICKHOUSE_PASSWORD_FILE\"")
	sh.Dir, sh.Env = repoRoot(t), append(baseEnv(), env...)
	if out, err := sh.Output(); err != nil || !hexPassword.MatchString(strings.TrimSpace(string(out))) {
		t.Errorf("deploy/env.sh password file: %v %q", err, out)
	}

	want(t, "make stop", make("stop"), 0, "clickhouse stopped")
	want(t, "clickhouse status after make stop", script(t, env, "clickhouse.sh", "status"), 1, "stopped")
	want(t, "broker status after make stop", script(t, env, "broker.sh", "status"), 1, "stopped")
}
