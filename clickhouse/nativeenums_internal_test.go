package clickhouse

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ClickHouse/ch-go/proto"
)

// enumStream is one block of an Enum8 column of rows values cycling
// through names, as ch-go encodes it.
func enumStream(t *testing.T, typ string, names []string, rows int) []byte {
	t.Helper()
	col := &proto.ColEnum{}
	if err := col.Infer(proto.ColumnType(typ)); err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		col.Append(names[i%len(names)])
	}
	if err := col.Prepare(); err != nil {
		t.Fatal(err)
	}
	var buf proto.Buffer
	input := []proto.InputColumn{{Name: "kind", Data: col}}
	if err := (proto.Block{Columns: 1, Rows: rows}).EncodeRawBlock(&buf, 0, input); err != nil {
		t.Fatal(err)
	}
	return buf.Buf
}

// TestBlockReaderEnums decodes Enum8 columns into the names of their
// values, a negative value included, across several blocks and small
// reads.
func TestBlockReaderEnums(t *testing.T) {
	typ := `Enum8('inspection' = 1, 'meeting' = 2, 'neg' = -3, 'data_report' = 4)`
	names := []string{"meeting", "neg", "inspection", "data_report", "inspection"}
	stream := append(enumStream(t, typ, names, 7), enumStream(t, typ, names, 5000)...)
	for _, chunk := range []int{len(stream), 3} {
		br := newBlockReader(chunkReader{bytes.NewReader(stream), chunk})
		for blk, rows := range []int{7, 5000} {
			res, err := br.next()
			if err != nil {
				t.Fatalf("chunk %d, block %d: %v", chunk, blk, err)
			}
			c, ok := res[0].Data.(*stringColumn)
			if !ok || c.Rows() != rows {
				t.Fatalf("chunk %d, block %d: %T of %d rows, want a stringColumn of %d", chunk, blk, res[0].Data, c.Rows(), rows)
			}
			for i := range rows {
				if got := c.Row(i); got != names[i%len(names)] {
					t.Fatalf("chunk %d, block %d, row %d: %q, want %q", chunk, blk, i, got, names[i%len(names)])
				}
			}
		}
	}
}

// TestParseEnum8Quotes: a name may hold an escaped quote and a comma
// (ch-go's own parser splits at the comma).
func TestParseEnum8Quotes(t *testing.T) {
	names, ok, err := parseEnum8(`Enum8('it\'s, odd' = -3, 'b' = 2)`)
	if err != nil || !ok {
		t.Fatalf("%v %v", ok, err)
	}
	if got := string(names.names[uint8(253)]); got != "it's, odd" || !names.known[253] {
		t.Errorf("value -3: %q", got)
	}
	if got := string(names.names[2]); got != "b" || names.known[1] {
		t.Errorf("value 2: %q; value 1 known: %v", got, names.known[1])
	}
}

// TestBlockReaderEnumErrors: a value the type does not declare and a type
// that cannot be parsed are errors naming them.
func TestBlockReaderEnumErrors(t *testing.T) {
	stream := enumStream(t, `Enum8('a' = 1, 'b' = 2)`, []string{"a", "b"}, 4)
	stream[len(stream)-2] = 9 // row 2
	_, err := newBlockReader(bytes.NewReader(stream)).next()
	if err == nil || !strings.Contains(err.Error(), "row 2: value 9 not in the type") {
		t.Errorf("undeclared value: %v", err)
	}
	for _, typ := range []string{`Enum8('a' = x)`, `Enum8('a = 1)`, `Enum8(a = 1)`, `Enum8('a' = 300)`} {
		if _, _, err := parseEnum8(proto.ColumnType(typ)); err == nil || !strings.Contains(err.Error(), typ) {
			t.Errorf("%s: %v, want an error naming the type", typ, err)
		}
	}
	if names, ok, err := parseEnum8("Enum16('a' = 1)"); names != nil || ok || err != nil {
		t.Errorf("Enum16 is not parsed here: %v %v %v", names, ok, err)
	}
}
