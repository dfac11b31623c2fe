package clickhouse

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/ClickHouse/ch-go/proto"
)

// blockReaderSize is the read buffer of a Native stream. It is at least
// ch-go's own (128 KiB), so that proto.NewReader reuses the buffered reader
// instead of wrapping it: String columns are parsed straight from its
// buffer and every other column is decoded by ch-go from the same bytes.
const blockReaderSize = 1 << 20

// maxStringLen bounds one String value of a Native stream.
const maxStringLen = 1 << 30

// blockReader decodes the blocks of a Native stream (the HTTP interface's
// FORMAT Native: no block info, revision 0) into proto.Results, as
// proto.Block.DecodeRawBlock with Results.Auto does, except that String
// and Array(String) columns are stringColumn and stringListColumn, parsed
// from the read buffer in place: ch-go reads each length a byte at a time
// and each value with its own copy call, about half of a 10M-event read's
// CPU, and keeps positions the Arrow arrays cannot share.
type blockReader struct {
	br *bufio.Reader
	r  *proto.Reader
	// widths are the String bytes per value of each column of the last
	// block (by position), to size the next block's columns: the blocks
	// of one result have the same columns, of about the same widths.
	widths []float64
}

func newBlockReader(r io.Reader) *blockReader {
	br := bufio.NewReaderSize(r, blockReaderSize)
	return &blockReader{br: br, r: proto.NewReader(br)}
}

// next decodes the next block; io.EOF at the end of the stream. A block
// of no rows (the header ClickHouse may send) gives empty results.
func (b *blockReader) next() (proto.Results, error) {
	if err := b.serverError(); err != nil {
		return nil, err
	}
	cols, err := b.r.Int()
	if err != nil {
		return nil, err // io.EOF between blocks is the end
	}
	rows, err := b.r.Int()
	if err != nil {
		return nil, fmt.Errorf("rows: %w", noEOF(err))
	}
	if cols < 0 || cols > 1<<16 || rows < 0 || rows > 1<<31 {
		return nil, fmt.Errorf("invalid block of %d columns and %d rows", cols, rows)
	}
	res := make(proto.Results, 0, cols)
	if len(b.widths) < cols {
		b.widths = append(b.widths, make([]float64, cols-len(b.widths))...)
	}
	for i := 0; i < cols; i++ {
		col, err := b.column(i, rows)
		if err != nil {
			return nil, fmt.Errorf("column %d: %w", i, noEOF(err))
		}
		res = append(res, col)
	}
	return res, nil
}

// serverError returns the exception a server appended to the stream in
// place of the next block ("Code: 241, e.displayText() = DB::Exception: …"
// on 18.16, "Code: 241. DB::Exception: …" on current releases): over HTTP
// the status was sent with the first block. A block cannot start so: it
// would have 67 columns of 111 rows, the first named "e: …".
func (b *blockReader) serverError() error {
	head, _ := b.br.Peek(len(serverErrorPrefix))
	if string(head) != serverErrorPrefix {
		return nil
	}
	text, _ := io.ReadAll(io.LimitReader(b.br, 4096))
	return fmt.Errorf("server error in the result stream: %s", bytes.TrimSpace(text))
}

// serverErrorPrefix starts a ClickHouse exception's text.
const serverErrorPrefix = "Code: "

// column decodes column i of a block: name, type and rows values.
func (b *blockReader) column(i, rows int) (proto.ResultColumn, error) {
	name, err := b.r.Str()
	if err != nil {
		return proto.ResultColumn{}, fmt.Errorf("name: %w", err)
	}
	typ, err := b.r.Str()
	if err != nil {
		return proto.ResultColumn{}, fmt.Errorf("%s: type: %w", name, err)
	}
	data, err := b.decode(i, proto.ColumnType(typ), rows)
	if err != nil {
		return proto.ResultColumn{}, fmt.Errorf("%s (%s): %w", name, typ, err)
	}
	return proto.ResultColumn{Name: name, Data: data}, nil
}

// decode reads rows values of type typ: Strings and arrays of them in
// place, as stringColumn and stringListColumn, Enum8 as the stringColumn
// of its names, anything else with ch-go.
func (b *blockReader) decode(i int, typ proto.ColumnType, rows int) (proto.ColResult, error) {
	if names, ok, err := parseEnum8(typ); ok {
		if err != nil {
			return nil, err
		}
		c := &stringColumn{}
		return c, b.enums(i, names, c, rows)
	}
	switch typ {
	case proto.ColumnTypeString:
		c := &stringColumn{}
		return c, b.strings(i, c, rows)
	case proto.ColumnTypeString.Array():
		c := &stringListColumn{}
		n, err := c.decodeOffsets(b.r, rows)
		if err != nil {
			return nil, err
		}
		return c, b.strings(i, &c.values, n)
	}
	var auto proto.ColAuto
	if err := auto.Infer(typ); err != nil {
		return nil, err
	}
	if rows == 0 {
		return auto.Data, nil
	}
	if s, ok := auto.Data.(proto.Stateful); ok {
		if err := s.DecodeState(b.r); err != nil {
			return nil, fmt.Errorf("state: %w", err)
		}
	}
	return auto.Data, auto.Data.DecodeColumn(b.r, rows)
}

// maxSizedColumn bounds the bytes a String column is sized for before
// its values are read.
const maxSizedColumn = 64 << 20

// strings reads rows String values (length as unsigned LEB128, bytes) into
// c. Values wholly in the read buffer are parsed there; one that is not is
// read through the buffered reader. The bytes are sized for the width of
// the last block's column i, up to maxSizedColumn (a broken stream then
// allocates little before its bytes arrive).
func (b *blockReader) strings(i int, c *stringColumn, rows int) error {
	c.start(rows)
	if w := b.widths[i]; w > 0 {
		c.data = make([]byte, 0, min(int(w*float64(rows)*1.05)+64, maxSizedColumn))
	}
	defer func() {
		if rows > 0 {
			b.widths[i] = float64(len(c.data)) / float64(rows)
		}
	}()
	for c.Rows() < rows {
		if b.buffered(c, rows) == 0 {
			if err := b.oneString(c, rows); err != nil {
				return fmt.Errorf("row %d: %w", c.Rows(), err)
			}
		}
	}
	return nil
}

// buffered parses the values that lie wholly in the read buffer and
// returns how many it took.
func (b *blockReader) buffered(c *stringColumn, rows int) int {
	buf, _ := b.br.Peek(b.br.Buffered()) // no I/O: what is buffered
	off, took := 0, 0
	for left := rows - c.Rows(); took < left; took++ {
		n, k := uint64(0), 1
		if off < len(buf) && buf[off] < 0x80 { // a length below 128: one byte
			n = uint64(buf[off])
		} else if n, k = binary.Uvarint(buf[off:]); k <= 0 {
			break // incomplete (or invalid: oneString reports it)
		}
		if n > uint64(len(buf)-off-k) || !c.reserve(int(n), rows) {
			break // incomplete, or too much for the block (oneString reports it)
		}
		start := off + k
		off = start + int(n)
		c.data = append(c.data, buf[start:off]...)
		c.end()
	}
	_, _ = b.br.Discard(off) // off bytes are buffered
	return took
}

// oneString reads one value through the reader: one that spans the end
// of the buffer, or the first after it ran empty.
func (b *blockReader) oneString(c *stringColumn, rows int) error {
	n, err := binary.ReadUvarint(b.br)
	if err != nil {
		return fmt.Errorf("length: %w", noEOF(err))
	}
	if n > maxStringLen {
		return fmt.Errorf("string of %d bytes", n)
	}
	// A buffer at a time: a length read from a broken stream (an error
	// text the server appended, say) allocates only what arrives.
	for left := int(n); left > 0; {
		k := min(left, blockReaderSize)
		at, err := c.more(k, rows)
		if err != nil {
			return err
		}
		if _, err := io.ReadFull(b.br, c.data[at:]); err != nil {
			return fmt.Errorf("%d bytes: %w", n, noEOF(err))
		}
		left -= k
	}
	c.end()
	return nil
}

// noEOF turns an end of stream inside a block into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
