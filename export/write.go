package export

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/burdenwatch/burdenwatch/clickhouse"
)

// chunkRows is how many rows are scanned before they are handed to the
// Parquet writer; only one chunk per table is held in memory besides the
// writer's current row group.
const chunkRows = 4096

// tableWriter exports one table: it runs one query per month and streams
// its rows into Hive-partitioned Parquet files under root.
type tableWriter[S, R any] struct {
	t       table[S, R]
	db      *clickhouse.DB
	root    string
	f       filter
	opts    *Options
	options []parquet.WriterOption
	sum     TableSummary
}

// exportTable writes table t under root.
func exportTable[S, R any](ctx context.Context, db *clickhouse.DB, root string, t table[S, R], f filter, opts *Options) (TableSummary, error) {
	w := &tableWriter[S, R]{t: t, db: db, root: root, f: f, opts: opts}
	w.sum.Name = t.doc.name
	w.options = writerOptions(reflect.TypeFor[R](), t.doc, f, opts)
	months, err := w.months(ctx)
	if err != nil {
		return w.sum, err
	}
	for _, m := range months {
		if err := w.month(ctx, m); err != nil {
			return w.sum, err
		}
	}
	return w.sum, nil
}

// months lists the months to export, honouring Options.Month.
func (w *tableWriter[S, R]) months(ctx context.Context) ([]clickhouse.ExportMonth, error) {
	all, err := w.db.ExportMonths(ctx, w.t.doc.name, w.f.province)
	if err != nil {
		return nil, fmt.Errorf("export %s: list months: %w", w.t.doc.name, err)
	}
	var out []clickhouse.ExportMonth
	for _, m := range all {
		if w.opts.Month == "" || m.Month.Format(monthFormat) == w.opts.Month {
			out = append(out, m)
		}
	}
	return out, nil
}

// month streams the rows of one month into its partition directory.
func (w *tableWriter[S, R]) month(ctx context.Context, m clickhouse.ExportMonth) error {
	name := m.Month.Format(monthFormat)
	rel := "table=" + w.t.doc.name + "/month=" + name
	pw := &partWriter[R]{dir: filepath.Join(w.root, filepath.FromSlash(rel)), rel: rel, maxRows: int64(w.opts.RowsPerFile), options: w.options}
	n, err := w.stream(ctx, m, name, pw)
	if cerr := pw.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("export %s, month %s: %w", w.t.doc.name, name, err)
	}
	if uint64(n) != m.Rows {
		return fmt.Errorf("export %s, month %s: wrote %d rows, expected %d (data changed during the export?)",
			w.t.doc.name, name, n, m.Rows)
	}
	w.sum.Rows += n
	w.sum.Months++
	w.sum.Files = append(w.sum.Files, pw.files...)
	w.opts.Log.Debug("exported month", "table", w.t.doc.name, "month", name, "rows", n, "files", len(pw.files))
	return nil
}

// stream reads the month's rows and writes them chunk by chunk.
func (w *tableWriter[S, R]) stream(ctx context.Context, m clickhouse.ExportMonth, name string, pw *partWriter[R]) (int64, error) {
	chunk := make([]R, 0, chunkRows)
	var total int64
	var s S
	err := w.db.ExportRows(ctx, w.t.doc.name, w.f.province, m.Month, selectList(w.t.doc, w.f), func(scan func(any) error) error {
		if err := scan(&s); err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		chunk = chunk[:len(chunk)+1]
		w.t.fill(&chunk[len(chunk)-1], &s, name)
		if len(chunk) < cap(chunk) {
			return nil
		}
		if err := pw.write(chunk); err != nil {
			return err
		}
		total += int64(len(chunk))
		chunk = chunk[:0]
		return nil
	})
	if err != nil {
		return total, err
	}
	if err := pw.write(chunk); err != nil {
		return total, err
	}
	return total + int64(len(chunk)), nil
}

// writerOptions are the Parquet writer options of a table: zstd, row group
// size, metadata, and the redacted columns left out of the schema.
func writerOptions(model reflect.Type, doc *tableDoc, f filter, opts *Options) []parquet.WriterOption {
	out := []parquet.WriterOption{
		parquet.Compression(&parquet.Zstd),
		parquet.MaxRowsPerRowGroup(int64(opts.RowsPerRowGroup)),
		parquet.CreatedBy("burdenwatch", "export", ""),
		parquet.KeyValueMetadata("burdenwatch.table", doc.name),
		parquet.KeyValueMetadata("burdenwatch.redacted", fmt.Sprint(f.redact)),
	}
	for _, o := range omitColumns(model, redacted(doc, f)) {
		out = append(out, o)
	}
	return out
}

// omitColumns returns struct tag replacements that drop the named Parquet
// columns from the schema derived from model.
func omitColumns(model reflect.Type, names map[string]bool) []*parquet.StructTagOption {
	var out []*parquet.StructTagOption
	for i := range model.NumField() {
		f := model.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("parquet"), ",")
		if names[name] {
			out = append(out, &parquet.StructTagOption{ColumnPath: []string{f.Name}, StructTag: `parquet:"-"`})
		}
	}
	return out
}

// schemaOf is the Parquet schema of a table as written under f.
func schemaOf(model reflect.Type, doc *tableDoc, f filter) *parquet.Schema {
	var opts []parquet.SchemaOption
	for _, o := range omitColumns(model, redacted(doc, f)) {
		opts = append(opts, o)
	}
	return parquet.SchemaOf(reflect.New(model).Interface(), opts...)
}

// partWriter writes the files of one partition directory, starting a new
// part-N.parquet file every maxRows rows.
type partWriter[R any] struct {
	dir     string // absolute
	rel     string // relative to the dataset root, slash-separated
	maxRows int64
	options []parquet.WriterOption

	file  *os.File
	w     *parquet.GenericWriter[R]
	rows  int64 // in the current file
	files []FileSummary
}

// write appends records, rolling to a new file when the current one is full.
func (p *partWriter[R]) write(recs []R) error {
	for len(recs) > 0 {
		if p.w == nil {
			if err := p.open(); err != nil {
				return err
			}
		}
		n := min(int64(len(recs)), p.maxRows-p.rows)
		if _, err := p.w.Write(recs[:n]); err != nil {
			return fmt.Errorf("write %s: %w", p.file.Name(), err)
		}
		p.rows += n
		recs = recs[n:]
		if p.rows >= p.maxRows {
			if err := p.finish(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *partWriter[R]) open() error {
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		return fmt.Errorf("create partition directory: %w", err)
	}
	path := filepath.Join(p.dir, fmt.Sprintf("part-%d.parquet", len(p.files)))
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create file: %w", err)
	}
	p.file, p.w, p.rows = f, parquet.NewGenericWriter[R](f, p.options...), 0
	return nil
}

// finish completes the current file: footer, sync, close.
func (p *partWriter[R]) finish() error {
	f, w := p.file, p.w
	p.file, p.w = nil, nil
	if err := w.Close(); err != nil {
		f.Close()
		return fmt.Errorf("finish %s: %w", f.Name(), err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", f.Name(), err)
	}
	st, err := os.Stat(f.Name())
	if err != nil {
		return fmt.Errorf("stat written file: %w", err)
	}
	rel := path.Join(p.rel, filepath.Base(f.Name()))
	p.files = append(p.files, FileSummary{Path: rel, Rows: p.rows, Bytes: st.Size()})
	return nil
}

// close finishes the open file, if any.
func (p *partWriter[R]) close() error {
	if p.w == nil {
		return nil
	}
	return p.finish()
}
