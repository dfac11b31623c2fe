package clickhouse

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
)

// Events go to the server as `INSERT … FORMAT Native` over its HTTP
// interface: EventRows already holds every column in the Native
// serialization, so the request body is the rows' own buffers, sent as
// they are (issue 11). Through clickhouse-go the same insert copied every
// value into the driver's columns first, which cost about a fifth of the
// ingest process's CPU and doubled the batch's memory.

// typeName is the type a column of kind k is sent as when the table's
// column has type table: what EventRows encodes, so that a table changed
// under it makes the server convert or refuse (naming the column) rather
// than misread the bytes. DateTime and Enum8 columns take the table's own
// spelling (time zone, names), their encodings being the same.
func (k wireKind) typeName(table string) string {
	switch k {
	case wireString:
		return "String"
	case wireEnum:
		if strings.HasPrefix(table, "Enum8(") {
			return table
		}
		return "String"
	case wireUInt8:
		return "UInt8"
	case wireUInt32:
		return "UInt32"
	case wireUInt64, wireSeq:
		return "UInt64"
	case wireInt32:
		return "Int32"
	case wireInt64:
		return "Int64"
	case wireStrings:
		return "Array(String)"
	}
	if strings.HasPrefix(table, "DateTime(") || table == "DateTime" { // wireDateTime, wireIngested
		return table
	}
	return "DateTime"
}

// sameType reports whether the table's column type is the one sent.
// ClickHouse 18.16 casts nothing in a Native insert (a UInt32 column sent
// to a String one fails with "Bad cast", naming no column), so the types
// are checked here, where the column can be named.
func sameType(sent, table string) bool { return sent == table }

// eventSchema is what an insert needs to know of the events table: each
// column's type as the server spells it, and the codes of its Enum8s.
type eventSchema struct {
	types [nEventColumns]string
	enums [nEventColumns]map[string]int8
}

// eventSchema returns (once built, from the cache) what an insert needs
// to know of the events table.
func (db *DB) eventSchema(ctx context.Context) (*eventSchema, error) {
	if s := db.schema.Load(); s != nil {
		return s, nil
	}
	types, err := db.columnTypes(ctx, "events")
	if err != nil {
		return nil, err
	}
	s, err := newEventSchema(types)
	if err != nil {
		db.forgetTypes("events") // read them again once the table is repaired
		return nil, err
	}
	db.schema.Store(s)
	return s, nil
}

func newEventSchema(types map[string]string) (*eventSchema, error) {
	var s eventSchema
	for i, c := range wireColumns {
		t, ok := types[c.name]
		if !ok {
			return nil, fmt.Errorf("clickhouse: table events has no column %s (run migrate)", c.name)
		}
		s.types[i] = c.kind.typeName(t)
		if !sameType(s.types[i], t) {
			return nil, fmt.Errorf("clickhouse: events column %s has type %s, ingest writes %s (run migrate)", c.name, t, s.types[i])
		}
		if c.kind == wireEnum && strings.HasPrefix(t, "Enum8(") {
			codes, err := enumCodes(t)
			if err != nil {
				return nil, fmt.Errorf("clickhouse: events column %s: %w", c.name, err)
			}
			s.enums[i] = codes
		}
	}
	return &s, nil
}

var enumValue = regexp.MustCompile(`'((?:[^'\\]|\\.)*)'\s*=\s*(-?\d+)`)

// enumCodes parses "Enum8('a' = 1, 'b' = 2)" into its names' codes.
func enumCodes(typ string) (map[string]int8, error) {
	if !strings.HasPrefix(typ, "Enum8(") {
		return nil, fmt.Errorf("type %s is not an Enum8", typ)
	}
	codes := map[string]int8{}
	for _, m := range enumValue.FindAllStringSubmatch(typ, -1) {
		n, err := strconv.ParseInt(m[2], 10, 8)
		if err != nil {
			return nil, fmt.Errorf("type %s: code %s: %w", typ, m[2], err)
		}
		codes[strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(m[1])] = int8(n)
	}
	if len(codes) == 0 {
		return nil, fmt.Errorf("type %s has no values", typ)
	}
	return codes, nil
}

// nativeBody is the Native serialization of parts, one block each: the
// rows' buffers with the block and column headers between them.
func (s *eventSchema) nativeBody(parts []*EventRows, seq uint64, now time.Time) (net.Buffers, error) {
	var body nativeBody
	for _, p := range parts {
		if p.n == 0 {
			continue
		}
		body.block(nEventColumns, p.n)
		for i, c := range wireColumns {
			data, err := s.columnData(p, i, seq, now)
			if err != nil {
				return nil, err
			}
			body.column(c.name, s.types[i], data)
		}
	}
	return body.bufs, nil
}

// columnData is column i of p in Native serialization.
func (s *eventSchema) columnData(p *EventRows, i int, seq uint64, now time.Time) ([][]byte, error) {
	switch wireColumns[i].kind {
	case wireEnum:
		if s.enums[i] == nil { // not an Enum8 in the table: sent as the names
			return [][]byte{p.col(i)}, nil
		}
		codes, err := encodeEnum(p.col(i), p.n, s.enums[i])
		if err != nil {
			return nil, fmt.Errorf("clickhouse: events column %s: %w", wireColumns[i].name, err)
		}
		return [][]byte{codes}, nil
	case wireStrings:
		return [][]byte{p.col(bVetoOffsets), p.col(i)}, nil
	case wireSeq:
		b := make([]byte, 0, 8*p.n)
		for range p.n {
			b = binary.LittleEndian.AppendUint64(b, seq)
		}
		return [][]byte{b}, nil
	case wireIngested:
		b := make([]byte, 0, 4*p.n)
		for range p.n {
			b = binary.LittleEndian.AppendUint32(b, uint32(now.Unix()))
		}
		return [][]byte{b}, nil
	}
	return [][]byte{p.col(i)}, nil
}

// encodeEnum turns n names in String serialization into Enum8 codes.
func encodeEnum(d []byte, n int, codes map[string]int8) ([]byte, error) {
	out := make([]byte, 0, n)
	for len(d) > 0 {
		l, k := binary.Uvarint(d)
		name := d[k : k+int(l)]
		code, ok := codes[string(name)]
		if !ok {
			return nil, fmt.Errorf("value %q is not one of the Enum8's names", name)
		}
		out = append(out, byte(code))
		d = d[k+int(l):]
	}
	return out, nil
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// insertTimeout bounds one HTTP insert, as the native connection's read
// timeout bounds the driver's.
const insertTimeout = 60 * time.Second

// insertNative sends body, Native blocks of the named columns, to table in
// one INSERT over the HTTP interface. The insert runs without the caller's
// cancellation (bounded by insertTimeout): a batch under way is finished,
// so that a stop between insert and offset commit only redelivers it.
func (h httpEndpoint) insertNative(ctx context.Context, table string, names []string, body net.Buffers) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), insertTimeout)
	defer cancel()
	query := "INSERT INTO " + quoteIdent(table) + " (" + strings.Join(names, ", ") + ") FORMAT Native"
	params := url.Values{"database": {h.database}, "query": {query}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url+"?"+params.Encode(), &body)
	if err != nil {
		return fmt.Errorf("clickhouse: insert into %s: %w", table, err)
	}
	var size int64
	for _, b := range body {
		size += int64(len(b))
	}
	req.ContentLength = size
	orig := append(net.Buffers(nil), body...)
	req.GetBody = func() (io.ReadCloser, error) { // a resend on a stale keep-alive connection
		b := append(net.Buffers(nil), orig...)
		return io.NopCloser(&b), nil
	}
	req.Header.Set("X-ClickHouse-User", h.user)
	req.Header.Set("X-ClickHouse-Key", h.password)
	resp, err := h.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) { // its URL holds the whole query
			err = ue.Err
		}
		return fmt.Errorf("clickhouse: insert into %s over HTTP interface %s: %w", table, h.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("clickhouse: insert into %s: %w", table, h.responseError(resp))
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

var exceptionCode = regexp.MustCompile(`^Code: (\d+)`)

// responseError is the error of a response other than 200 OK: the
// server's exception (as *ch.Exception, so that Transient and the
// cluster's quorum handling see its code) when the body holds one.
func (h httpEndpoint) responseError(resp *http.Response) error {
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	text := strings.TrimSpace(string(msg))
	if m := exceptionCode.FindStringSubmatch(text); m != nil {
		code, _ := strconv.ParseInt(m[1], 10, 32)
		return fmt.Errorf("HTTP interface %s: %w", h.url, &ch.Exception{Code: int32(code), Message: text})
	}
	return fmt.Errorf("HTTP interface %s: %s: %s", h.url, resp.Status, text)
}
