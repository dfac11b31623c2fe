package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// settings are the flags of a test command.
type settings struct {
	topic, brokers, listen, password, file string
	batch                                  int
}

func flags(s *settings) *pflag.FlagSet {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.StringVar(&s.file, FileFlag, "", "")
	fs.StringVar(&s.topic, "topic", "burden.events", "")
	fs.StringVar(&s.brokers, "brokers", "127.0.0.1:9092", "")
	fs.StringVar(&s.listen, "listen", "127.0.0.1:8080", "")
	fs.StringVar(&s.password, "password", "", "")
	fs.IntVar(&s.batch, "batch-size", 100000, "")
	Local(fs, "listen")
	EnvOnly(fs, "password")
	return fs
}

func resolve(t *testing.T, args []string, env map[string]string) (settings, error) {
	t.Helper()
	var s settings
	fs := flags(&s)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	err := Resolve(fs, "serve", func(k string) string { return env[k] }, KnownKeys(map[string][]*pflag.FlagSet{"serve": {fs}}))
	return s, err
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bw.conf")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPrecedenceFlagEnvFileDefault(t *testing.T) {
	file := writeFile(t, "# comment\ntopic=from.file\nBURDENWATCH_BROKERS=file:9092\nbatch-size=\"7\"\n")
	s, err := resolve(t, []string{"--config", file, "--topic", "from.flag"},
		map[string]string{"BURDENWATCH_BROKERS": "env:9092", "BURDENWATCH_TOPIC": "from.env"})
	if err != nil {
		t.Fatal(err)
	}
	if s.topic != "from.flag" || s.brokers != "env:9092" || s.batch != 7 {
		t.Errorf("got topic %q brokers %q batch %d; want flag, env, file", s.topic, s.brokers, s.batch)
	}
	s, err = resolve(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.topic != "burden.events" || s.batch != 100000 || s.brokers != "127.0.0.1:9092" {
		t.Errorf("defaults lost: %+v", s)
	}
}

func TestConfigFileFromEnvironment(t *testing.T) {
	file := writeFile(t, "topic=from.file\n")
	s, err := resolve(t, nil, map[string]string{"BURDENWATCH_CONFIG": file})
	if err != nil {
		t.Fatal(err)
	}
	if s.topic != "from.file" {
		t.Errorf("topic = %q; want the value of the file named by BURDENWATCH_CONFIG", s.topic)
	}
}

func TestCommandKeysWin(t *testing.T) {
	file := writeFile(t, "BURDENWATCH_SERVE_BATCH_SIZE=3\nbatch-size=4\n")
	s, err := resolve(t, []string{"--config", file}, map[string]string{
		"BURDENWATCH_SERVE_TOPIC": "serve.topic", "BURDENWATCH_TOPIC": "global.topic",
		"BURDENWATCH_LISTEN": "0.0.0.0:9092", // the broker's, not serve's: listen is Local
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.topic != "serve.topic" || s.batch != 3 || s.listen != "127.0.0.1:8080" {
		t.Errorf("got topic %q batch %d listen %q; want the command's keys first and listen untouched by BURDENWATCH_LISTEN",
			s.topic, s.batch, s.listen)
	}
	s, err = resolve(t, nil, map[string]string{"BURDENWATCH_SERVE_LISTEN": "127.0.0.1:1"})
	if err != nil || s.listen != "127.0.0.1:1" {
		t.Errorf("listen = %q, %v; want BURDENWATCH_SERVE_LISTEN", s.listen, err)
	}
}

func TestKeys(t *testing.T) {
	var s settings
	fs := flags(&s)
	for name, want := range map[string]string{
		"batch-size": "BURDENWATCH_INGEST_BATCH_SIZE BURDENWATCH_BATCH_SIZE",
		"listen":     "BURDENWATCH_INGEST_LISTEN",
		FileFlag:     "",
	} {
		if got := strings.Join(Keys("ingest", fs.Lookup(name)), " "); got != want {
			t.Errorf("Keys(%s) = %q; want %q", name, got, want)
		}
	}
	if got := EnvName("batch-size"); got != "BURDENWATCH_BATCH_SIZE" {
		t.Errorf("EnvName = %q", got)
	}
}

func TestBadEnvValueNamesVariableAndValue(t *testing.T) {
	_, err := resolve(t, nil, map[string]string{"BURDENWATCH_BATCH_SIZE": "many"})
	if err == nil || !strings.Contains(err.Error(), `BURDENWATCH_BATCH_SIZE="many"`) {
		t.Errorf("bad env value error = %v; want it to name the variable and value", err)
	}
}

func TestFileErrorsNeverEchoValues(t *testing.T) {
	for name, text := range map[string]string{
		"no equals":   "topic=a\nhunter2-secret\n",
		"bad key":     "topic=a\nhunter2 secret=x\n",
		"bad integer": "topic=a\nbatch-size=hunter2-secret\n",
	} {
		t.Run(name, func(t *testing.T) {
			file := writeFile(t, text)
			_, err := resolve(t, []string{"--config", file}, nil)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), "第 2 行") {
				t.Errorf("err = %v; want the file and line 2", err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("err = %v; shows the value", err)
			}
		})
	}
}

func TestMissingConfigFile(t *testing.T) {
	_, err := resolve(t, []string{"--config", filepath.Join(t.TempDir(), "none.conf")}, nil)
	if err == nil || !strings.Contains(err.Error(), "none.conf") {
		t.Errorf("err = %v; want the missing file named", err)
	}
}

func TestEnvOnlyRefusedOnCommandLine(t *testing.T) {
	_, err := resolve(t, []string{"--password", "hunter2"}, nil)
	if err == nil || !strings.Contains(err.Error(), "--password") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("err = %v; want --password refused without its value", err)
	}
	s, err := resolve(t, nil, map[string]string{"BURDENWATCH_PASSWORD": "hunter2"})
	if err != nil || s.password != "hunter2" {
		t.Errorf("password = %q, %v; want it from the environment", s.password, err)
	}
}

func TestUnknownFileKeyRefused(t *testing.T) {
	file := writeFile(t, "topic=a\nBURDENWATCH_SERVE_TOPIC=b\nbatchsize=7\n")
	_, err := resolve(t, []string{"--config", file}, nil)
	if err == nil || !strings.Contains(err.Error(), "第 3 行") || !strings.Contains(err.Error(), "BURDENWATCH_BATCHSIZE") {
		t.Errorf("err = %v; want line 3 and the unknown key named", err)
	}
	// A key only the broker reads is known to the broker, not to serve.
	file = writeFile(t, "BURDENWATCH_BROKER_LISTEN=127.0.0.1:1\n")
	if _, err := resolve(t, []string{"--config", file}, nil); err == nil {
		t.Error("BURDENWATCH_BROKER_LISTEN accepted where only serve's keys are known")
	}
}
