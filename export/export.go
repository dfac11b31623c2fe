// Package export writes BurdenWatch's research dataset: the events,
// indicators, rule results, alerts and scans of ClickHouse as Hive-partitioned Parquet
// files (DIR/table=T/month=YYYY-MM/part-N.parquet, zstd), with a data
// dictionary (DATA_DICTIONARY.md and .csv) and a manifest.json beside them.
//
// Every table is streamed month by month: one query per month, rows scanned
// and written in chunks, files rolled every Options.RowsPerFile rows, so
// memory does not grow with the size of the database. The dataset is built
// in a temporary directory next to DIR and renamed into place only when
// complete, so a failed export leaves no partial dataset. With Redact, the
// names and free-text columns (and the names and roles of the people who
// accompanied an inspection, recorded with scans) are left out of the
// files, for open release.
package export

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"github.com/burdenwatch/burdenwatch/clickhouse"
)

// Defaults of Options.
const (
	DefaultRowsPerFile     = 1_000_000
	DefaultRowsPerRowGroup = 128 * 1024
)

// manifestName is the manifest file; its presence marks a directory as a
// BurdenWatch export that a later export may replace.
const manifestName = "manifest.json"

// Options says what to export and where.
type Options struct {
	Dir             string // dataset root; replaced as a whole
	Province        string // two-digit province code; empty = all provinces
	Month           string // YYYY-MM; empty = all months
	Redact          bool   // leave out names and free text
	RowsPerFile     int    // rows per Parquet file before part-N+1; 0 = DefaultRowsPerFile
	RowsPerRowGroup int    // rows per row group; 0 = DefaultRowsPerRowGroup
	Log             *slog.Logger
	Now             func() time.Time // for the manifest; nil = time.Now
}

// Summary describes a completed export.
type Summary struct {
	Dir      string // absolute path of the dataset
	Redacted bool
	Tables   []TableSummary
	Elapsed  time.Duration
	month    string
}

// TableSummary describes the export of one table.
type TableSummary struct {
	Name   string
	Rows   int64
	Months int
	Files  []FileSummary
}

// FileSummary describes one written Parquet file.
type FileSummary struct {
	Path  string `json:"path"` // relative to the dataset root, slash-separated
	Rows  int64  `json:"rows"`
	Bytes int64  `json:"bytes"`
}

// Bytes is the size of the table's files.
func (t TableSummary) Bytes() int64 {
	var n int64
	for _, f := range t.Files {
		n += f.Bytes
	}
	return n
}

// Files is the number of Parquet files written.
func (s *Summary) Files() int {
	n := 0
	for _, t := range s.Tables {
		n += len(t.Files)
	}
	return n
}

// Bytes is the size of the Parquet files written.
func (s *Summary) Bytes() int64 {
	var n int64
	for _, t := range s.Tables {
		n += t.Bytes()
	}
	return n
}

// OptionError is an invalid option: the field, its value and what is
// wanted.
type OptionError struct {
	Field, Value, Want string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("export: %s %q: want %s", e.Field, e.Value, e.Want)
}

// normalize checks opts and fills in the defaults.
func (o *Options) normalize() error {
	if o.Dir == "" {
		return &OptionError{Field: "dir", Want: "an output directory"}
	}
	if o.Province != "" && !isProvinceCode(o.Province) {
		return &OptionError{Field: "province", Value: o.Province, Want: "a two-digit code such as 43"}
	}
	if o.Month != "" {
		if _, err := time.Parse(monthFormat, o.Month); err != nil {
			return &OptionError{Field: "month", Value: o.Month, Want: "YYYY-MM"}
		}
	}
	if o.RowsPerFile <= 0 {
		o.RowsPerFile = DefaultRowsPerFile
	}
	if o.RowsPerRowGroup <= 0 {
		o.RowsPerRowGroup = DefaultRowsPerRowGroup
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// exporter is one table of the dataset, with its type parameters bound.
type exporter struct {
	doc   *tableDoc
	model reflect.Type // the exported record type
	run   func(ctx context.Context, db *clickhouse.DB, root string, f filter, opts *Options) (TableSummary, error)
}

func exporterOf[S, R any](t table[S, R]) exporter {
	return exporter{
		doc:   t.doc,
		model: reflect.TypeFor[R](),
		run: func(ctx context.Context, db *clickhouse.DB, root string, f filter, opts *Options) (TableSummary, error) {
			return exportTable(ctx, db, root, t, f, opts)
		},
	}
}

// exporters lists the tables of the dataset in order.
func exporters() []exporter {
	return []exporter{exporterOf(eventsTable()), exporterOf(indicatorsTable()), exporterOf(ruleResultsTable()),
		exporterOf(alertsTable()), exporterOf(scansTable())}
}

// Export writes the dataset described by opts from db and returns what it
// wrote. On failure nothing is left at opts.Dir but what was there before.
func Export(ctx context.Context, db *clickhouse.DB, opts Options) (*Summary, error) {
	start := time.Now()
	if err := opts.normalize(); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("export: output directory: %w", err)
	}
	if err := checkTarget(dir); err != nil {
		return nil, err
	}
	tmp, err := makeTemp(dir)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp) // a no-op once renamed into place
	sum := &Summary{Dir: dir, Redacted: opts.Redact, month: opts.Month}
	if err := writeDataset(ctx, db, tmp, &opts, sum); err != nil {
		return nil, err
	}
	if err := replaceDir(tmp, dir); err != nil {
		return nil, err
	}
	sum.Elapsed = time.Since(start)
	return sum, nil
}

// writeDataset writes every table, the dictionary and the manifest under root.
func writeDataset(ctx context.Context, db *clickhouse.DB, root string, opts *Options, sum *Summary) error {
	f := filter{province: opts.Province, redact: opts.Redact}
	exps := exporters()
	for _, e := range exps {
		ts, err := e.run(ctx, db, root, f, opts)
		if err != nil {
			return err
		}
		opts.Log.Info("exported table", "table", ts.Name, "rows", ts.Rows, "months", ts.Months, "files", len(ts.Files))
		sum.Tables = append(sum.Tables, ts)
	}
	if err := writeDictionary(root, exps, f, sum); err != nil {
		return err
	}
	return writeManifest(root, exps, f, opts, sum)
}

// checkTarget refuses to replace a directory that is not a previous export.
func checkTarget(dir string) error {
	st, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("export: output directory: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("export: output %s exists and is not a directory", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("export: output directory: %w", err)
	}
	if len(entries) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, manifestName)); err != nil {
		return fmt.Errorf("export: output directory %s is not empty and holds no %s of a previous export; refusing to replace it",
			dir, manifestName)
	}
	return nil
}

// makeTemp creates the temporary directory beside dir, on the same file
// system so that the final rename is atomic.
func makeTemp(dir string) (string, error) {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("export: create %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return "", fmt.Errorf("export: create temporary directory: %w", err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", fmt.Errorf("export: temporary directory: %w", err)
	}
	return tmp, nil
}

// replaceDir renames tmp to dir. A previous dir is moved aside first and
// removed once the new one is in place (restored if the rename fails).
func replaceDir(tmp, dir string) error {
	_, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.Rename(tmp, dir); err != nil {
			return fmt.Errorf("export: move dataset into place: %w", err)
		}
		return syncDir(filepath.Dir(dir))
	}
	old := filepath.Join(filepath.Dir(dir), "."+filepath.Base(dir)+".old-"+randomSuffix())
	if err := os.Rename(dir, old); err != nil {
		return fmt.Errorf("export: move previous dataset aside: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if rerr := os.Rename(old, dir); rerr != nil {
			return fmt.Errorf("export: move dataset into place: %w (previous dataset left at %s: %v)", err, old, rerr)
		}
		return fmt.Errorf("export: move dataset into place: %w", err)
	}
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("export: remove previous dataset %s: %w", old, err)
	}
	return syncDir(filepath.Dir(dir))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("export: sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("export: sync %s: %w", dir, err)
	}
	return nil
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func isProvinceCode(s string) bool {
	return len(s) == 2 && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9'
}
