// Package config holds BurdenWatch's one configuration struct and loads it
// from command-line flags, environment variables BURDENWATCH_<FLAG> and an
// optional file of KEY=VALUE lines, in that order of precedence.
package config

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

// Config is every setting of every subcommand. Each subcommand registers the
// flags it uses.
type Config struct {
	// Connections.
	Brokers    string // comma-separated host:port
	Topic      string
	Group      string
	ClickHouse string // clickhouse://user:password@host:port/database

	// Embedded broker.
	Listen         string
	BrokerDataDir  string
	Partitions     int
	Retention      time.Duration
	RetentionBytes int64

	// Ingest.
	UntilIdle     bool
	IdleTimeout   time.Duration
	BatchSize     int
	FlushInterval time.Duration
	Workers       int

	// Simulation.
	Province       string
	Year           int
	Seed           int64
	Scale          float64
	ViolationShare float64
	MalformedShare float64
	DuplicateShare float64
	RevisionShare  float64
	LateShare      float64
	RefData        string // directory of reference CSVs

	// Transform, report, export, dashboards.
	Month     string // YYYY-MM
	Follow    bool
	Full      bool
	RulePacks string
	Out       string
	Redact    bool

	GrafanaURL   string
	GrafanaToken string
	Datasource   string

	ConfigFile string
}

// Defaults returns the configuration of a local development stack.
func Defaults() Config {
	return Config{
		Brokers:        "127.0.0.1:9092",
		Topic:          "burden.events",
		Group:          "burdenwatch",
		ClickHouse:     "clickhouse://default:@127.0.0.1:19000/burdenwatch",
		Listen:         "127.0.0.1:9092",
		BrokerDataDir:  "var/broker",
		Partitions:     4,
		Retention:      7 * 24 * time.Hour,
		RetentionBytes: 2 << 30,
		IdleTimeout:    2 * time.Second,
		BatchSize:      100000,
		FlushInterval:  time.Second,
		Workers:        2,
		Province:       "43",
		Year:           2025,
		Seed:           1,
		Scale:          1,
		ViolationShare: 0.05,
		MalformedShare: 0.01,
		DuplicateShare: 0.01,
		RevisionShare:  0.02,
		LateShare:      0.03,
		RefData:        "refdata/default",
		RulePacks:      "rules/packs",
		Out:            "out",
		Datasource:     "grafana-clickhouse-datasource",
	}
}

// BrokerList splits Brokers into addresses.
func (c *Config) BrokerList() []string {
	var out []string
	for _, b := range strings.Split(c.Brokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}

// Parse parses args into fs, then fills every flag not given on the command
// line from the environment (BURDENWATCH_<FLAG>, upper case, "-" → "_") or,
// failing that, from the file named by --config / BURDENWATCH_CONFIG.
func Parse(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	file, err := fileValues(fs, given, getenv)
	if err != nil {
		return err
	}
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		key := EnvName(f.Name)
		v, ok := getenv(key), true
		if v == "" {
			v, ok = file[key]
		}
		if !ok || v == "" {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", key, v, err))
		}
	})
	return errors.Join(errs...)
}

// EnvName is the environment variable of a flag.
func EnvName(flagName string) string {
	return "BURDENWATCH_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func fileValues(fs *flag.FlagSet, given map[string]bool, getenv func(string) string) (map[string]string, error) {
	path := getenv(EnvName("config"))
	if f := fs.Lookup("config"); f != nil && given["config"] {
		path = f.Value.String()
	}
	if path == "" {
		return nil, nil
	}
	return ReadFile(path)
}

// ReadFile reads KEY=VALUE lines; blank lines and lines starting with # are
// skipped, and keys may be flag names or BURDENWATCH_ variables.
func ReadFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("config file %s:%d: %q is not KEY=VALUE", path, n, line)
		}
		k = strings.TrimSpace(k)
		if !strings.HasPrefix(k, "BURDENWATCH_") {
			k = EnvName(k)
		}
		out[k] = strings.Trim(strings.TrimSpace(v), `"`)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	return out, nil
}
