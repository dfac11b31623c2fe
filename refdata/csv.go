package refdata

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"
)

// FieldError is one invalid value (or line) of a reference file. Its
// message names the file, the line, the column and the value, e.g.
//
//	quotas.csv:7: column documents: value "-3": must be a non-negative integer or empty
type FieldError struct {
	File   string // base name of the file, e.g. "quotas.csv"
	Line   int    // 1-based line number; 0 for the whole file
	Column string // column name from the header; empty for a whole line
	Value  string // the value as written
	Msg    string // what is wrong
}

// Error returns "file:line: column name: value "v": message".
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
	}
	if e.Column != "" {
		fmt.Fprintf(&b, ": column %s: value %q", e.Column, e.Value)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// record is one data line of a CSV file, with the helpers that parse and
// validate its fields. Errors are collected in the file's error list, so a
// file reports every bad value, not only the first.
type record struct {
	file   *file
	line   int
	fields []string
}

// file is a CSV reference file being read.
type file struct {
	name   string
	header []string
	errs   []error
}

// readFile reads name from fsys and checks its header. A missing file is
// reported through ok=false; it is an error only when required. Records
// with the wrong number of fields are reported and skipped.
func readFile(fsys fs.FS, name string, header []string, required bool) (f *file, recs []record, ok bool) {
	f = &file{name: name, header: header}
	data, err := fs.ReadFile(fsys, name)
	if errors.Is(err, fs.ErrNotExist) && !required {
		return f, nil, false
	}
	if errors.Is(err, fs.ErrNotExist) {
		f.errs = append(f.errs, &FieldError{File: name, Msg: "required file is missing"})
		return f, nil, false
	}
	if err != nil {
		f.errs = append(f.errs, fmt.Errorf("read %s: %w", name, err))
		return f, nil, false
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // spreadsheet exports start with a BOM
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	if !f.readHeader(r) {
		return f, nil, true
	}
	for {
		fields, err := r.Read()
		if err == io.EOF {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			f.errs = append(f.errs, &FieldError{File: name, Line: csvErrLine(err, line), Msg: "malformed CSV: " + csvErrMsg(err)})
			break
		}
		if len(fields) != len(header) {
			f.lineErr(line, fmt.Sprintf("%d fields, want %d (%s)", len(fields), len(header), strings.Join(header, ",")))
			continue
		}
		for i := range fields {
			fields[i] = strings.TrimSpace(fields[i])
		}
		recs = append(recs, record{file: f, line: line, fields: fields})
	}
	return f, recs, true
}

func (f *file) readHeader(r *csv.Reader) bool {
	got, err := r.Read()
	if err == io.EOF {
		f.lineErr(1, "file is empty, want header "+strings.Join(f.header, ","))
		return false
	}
	if err != nil {
		f.errs = append(f.errs, &FieldError{File: f.name, Line: csvErrLine(err, 1), Msg: "malformed CSV: " + csvErrMsg(err)})
		return false
	}
	for i := range got {
		got[i] = strings.TrimSpace(got[i])
	}
	if strings.Join(got, ",") != strings.Join(f.header, ",") {
		f.lineErr(1, fmt.Sprintf("header %q, want %q", strings.Join(got, ","), strings.Join(f.header, ",")))
		return false
	}
	return true
}

func csvErrLine(err error, fallback int) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Line
	}
	return fallback
}

func csvErrMsg(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func (f *file) lineErr(line int, msg string) {
	f.errs = append(f.errs, &FieldError{File: f.name, Line: line, Msg: msg})
}

// err joins every error found in the file; nil when there is none.
func (f *file) err() error { return errors.Join(f.errs...) }

// fail records that column col of the record is invalid.
func (r record) fail(col int, msg string) {
	r.file.errs = append(r.file.errs, &FieldError{
		File: r.file.name, Line: r.line, Column: r.file.header[col], Value: r.fields[col], Msg: msg,
	})
}

// text returns column col, which must not be empty when required.
func (r record) text(col int, required bool) string {
	s := r.fields[col]
	if required && s == "" {
		r.fail(col, "must not be empty")
	}
	return s
}

// digitsCol returns column col, which must be exactly n ASCII digits.
func (r record) digitsCol(col, n int, what string) (string, bool) {
	s := r.fields[col]
	if !allDigits(s, n) {
		r.fail(col, fmt.Sprintf("must be %d digits (%s)", n, what))
		return s, false
	}
	return s, true
}

// province returns column col, a GB/T 2260 province code.
func (r record) province(col int) string {
	s, ok := r.digitsCol(col, 2, "province code")
	if ok && !provinceCodes[s] {
		r.fail(col, "is not a GB/T 2260 province code")
	}
	return s
}

// county returns column col, a 6-digit county-level code.
func (r record) county(col int) string {
	s, ok := r.digitsCol(col, 6, "GB/T 2260 county code")
	if ok && (s[4:] == "00" || s[2:4] == "00" || !provinceCodes[s[:2]]) {
		r.fail(col, "is not a county-level code (province, city and county parts must be non-zero)")
	}
	return s
}

// year returns column col, a 4-digit year.
func (r record) year(col int) int {
	s, ok := r.digitsCol(col, 4, "year")
	if !ok {
		return 0
	}
	y, _ := strconv.Atoi(s)
	if y < 1949 {
		r.fail(col, "must be a year from 1949 on")
	}
	return y
}

// date returns column col, a date YYYY-MM-DD at midnight in loc.
func (r record) date(col int, loc *time.Location) time.Time {
	t, err := time.ParseInLocation("2006-01-02", r.fields[col], loc)
	if err != nil {
		r.fail(col, "must be a date YYYY-MM-DD")
	}
	return t
}

// optCount returns column col, a non-negative integer, or nil when empty.
func (r record) optCount(col int) *int {
	s := r.fields[col]
	if s == "" {
		return nil
	}
	if !allDigits(s, len(s)) || len(s) > 9 {
		r.fail(col, "must be a non-negative integer or empty")
		return nil
	}
	n, _ := strconv.Atoi(s)
	return &n
}

// enum returns column col, which must be one of allowed.
func (r record) enum(col int, allowed ...string) string {
	s := r.fields[col]
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	r.fail(col, "must be one of "+strings.Join(allowed, ", "))
	return s
}

// unique records key at this line and reports a duplicate of an earlier
// line, naming the key's columns.
func (r record) unique(seen map[string]int, key string, col int, what string) {
	if first, ok := seen[key]; ok {
		r.fail(col, fmt.Sprintf("duplicate %s (first on line %d)", what, first))
		return
	}
	seen[key] = r.line
}

func allDigits(s string, n int) bool {
	if len(s) != n || n == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// provinceCodes are the province-level codes of GB/T 2260.
var provinceCodes = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true,
}
