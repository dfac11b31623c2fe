package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func parse(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	c := Defaults()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.StringVar(&c.ConfigFile, "config", "", "")
	fs.StringVar(&c.Topic, "topic", c.Topic, "")
	fs.StringVar(&c.Brokers, "brokers", c.Brokers, "")
	fs.IntVar(&c.BatchSize, "batch-size", c.BatchSize, "")
	err := Parse(fs, args, func(k string) string { return env[k] })
	return c, err
}

func TestPrecedenceFlagEnvFileDefault(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bw.conf")
	os.WriteFile(file, []byte("# comment\ntopic=from.file\nBURDENWATCH_BROKERS=file:9092\nbatch-size=7\n"), 0o644)
	c, err := parse(t, []string{"--config", file, "--topic", "from.flag"},
		map[string]string{"BURDENWATCH_BROKERS": "env:9092"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Topic != "from.flag" || c.Brokers != "env:9092" || c.BatchSize != 7 {
		t.Errorf("got topic %q brokers %q batch %d; want flag, env, file", c.Topic, c.Brokers, c.BatchSize)
	}
	c, _ = parse(t, nil, nil)
	if c.Topic != "burden.events" || c.BatchSize != 100000 {
		t.Errorf("defaults lost: %+v", c)
	}
}

func TestEnvNameAndBadValue(t *testing.T) {
	if got := EnvName("batch-size"); got != "BURDENWATCH_BATCH_SIZE" {
		t.Errorf("EnvName = %q", got)
	}
	_, err := parse(t, nil, map[string]string{"BURDENWATCH_BATCH_SIZE": "many"})
	if err == nil || !strings.Contains(err.Error(), `BURDENWATCH_BATCH_SIZE="many"`) {
		t.Errorf("bad env value error = %v; want it to name the variable and value", err)
	}
}

func TestBadConfigFileLine(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bw.conf")
	os.WriteFile(file, []byte("topic=a\nnonsense\n"), 0o644)
	_, err := parse(t, []string{"--config", file}, nil)
	if err == nil || !strings.Contains(err.Error(), ":2:") {
		t.Errorf("err = %v; want the file and line", err)
	}
}

func TestBrokerList(t *testing.T) {
	c := Config{Brokers: " a:1, ,b:2 "}
	if got := c.BrokerList(); len(got) != 2 || got[0] != "a:1" || got[1] != "b:2" {
		t.Errorf("BrokerList = %q", got)
	}
}
