package clickhouse

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

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
// proto.Block.DecodeRawBlock with Results.Auto does. String columns, the
// bulk of the events' and the results' bytes, are parsed from the read
// buffer in place: ch-go reads each length a byte at a time and each
// value with its own copy call, about half of a 10M-event read's CPU.
type blockReader struct {
	br *bufio.Reader
	r  *proto.Reader
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
	for i := 0; i < cols; i++ {
		col, err := b.column(rows)
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

// column decodes one column: name, type and rows values.
func (b *blockReader) column(rows int) (proto.ResultColumn, error) {
	name, err := b.r.Str()
	if err != nil {
		return proto.ResultColumn{}, fmt.Errorf("name: %w", err)
	}
	typ, err := b.r.Str()
	if err != nil {
		return proto.ResultColumn{}, fmt.Errorf("%s: type: %w", name, err)
	}
	var auto proto.ColAuto
	if err := auto.Infer(proto.ColumnType(typ)); err != nil {
		return proto.ResultColumn{}, fmt.Errorf("%s: %w", name, err)
	}
	if rows > 0 {
		if err := b.decode(auto.Data, rows); err != nil {
			return proto.ResultColumn{}, fmt.Errorf("%s (%s): %w", name, typ, err)
		}
	}
	return proto.ResultColumn{Name: name, Data: auto.Data}, nil
}

// decode reads rows values into col: Strings and arrays of them in place,
// anything else with ch-go.
func (b *blockReader) decode(col proto.ColResult, rows int) error {
	switch c := col.(type) {
	case *proto.ColStr:
		return b.strings(c, rows)
	case *proto.ColArr[string]:
		if inner, ok := c.Data.(*proto.ColStr); ok {
			if err := c.Offsets.DecodeColumn(b.r, rows); err != nil {
				return fmt.Errorf("offsets: %w", err)
			}
			var n uint64
			if len(c.Offsets) > 0 {
				n = c.Offsets[len(c.Offsets)-1]
			}
			if n > 1<<31 {
				return fmt.Errorf("array of %d values", n)
			}
			return b.strings(inner, int(n))
		}
	}
	if s, ok := col.(proto.Stateful); ok {
		if err := s.DecodeState(b.r); err != nil {
			return fmt.Errorf("state: %w", err)
		}
	}
	return col.DecodeColumn(b.r, rows)
}

// strings reads rows String values (length as unsigned LEB128, bytes) into
// c, contiguously in c.Buf. Values wholly in the read buffer are parsed
// there; one that is not is read through the buffered reader.
func (b *blockReader) strings(c *proto.ColStr, rows int) error {
	c.Pos = slices.Grow(c.Pos[:0], rows)
	c.Buf = c.Buf[:0]
	for len(c.Pos) < rows {
		if b.buffered(c, rows) == 0 {
			if err := b.oneString(c); err != nil {
				return fmt.Errorf("row %d: %w", len(c.Pos), err)
			}
		}
	}
	return nil
}

// buffered parses the values that lie wholly in the read buffer and
// returns how many it took.
func (b *blockReader) buffered(c *proto.ColStr, rows int) int {
	buf, _ := b.br.Peek(b.br.Buffered()) // no I/O: what is buffered
	off, took := 0, 0
	for len(c.Pos) < rows {
		n, k := binary.Uvarint(buf[off:])
		if k <= 0 || n > uint64(len(buf)-off-k) {
			break // incomplete (or invalid: oneString reports it)
		}
		start := off + k
		off = start + int(n)
		c.Buf = b.grow(c, int(n), rows)
		from := len(c.Buf)
		c.Buf = append(c.Buf, buf[start:off]...)
		c.Pos = append(c.Pos, proto.Position{Start: from, End: len(c.Buf)})
		took++
	}
	_, _ = b.br.Discard(off) // off bytes are buffered
	return took
}

// oneString reads one value through the reader: one that spans the end
// of the buffer, or the first after it ran empty.
func (b *blockReader) oneString(c *proto.ColStr) error {
	n, err := binary.ReadUvarint(b.br)
	if err != nil {
		return fmt.Errorf("length: %w", noEOF(err))
	}
	if n > maxStringLen {
		return fmt.Errorf("string of %d bytes", n)
	}
	from := len(c.Buf)
	// A buffer at a time: a length read from a broken stream (an error
	// text the server appended, say) allocates only what arrives.
	for left := int(n); left > 0; {
		k := min(left, blockReaderSize)
		c.Buf = b.grow(c, k, 0)
		at := len(c.Buf)
		c.Buf = c.Buf[:at+k]
		if _, err := io.ReadFull(b.br, c.Buf[at:]); err != nil {
			return fmt.Errorf("%d bytes: %w", n, noEOF(err))
		}
		left -= k
	}
	c.Pos = append(c.Pos, proto.Position{Start: from, End: len(c.Buf)})
	return nil
}

// grow makes room in c.Buf for n more bytes; when it must reallocate, for
// the rows still to come at the average length so far.
func (b *blockReader) grow(c *proto.ColStr, n, rows int) []byte {
	if cap(c.Buf)-len(c.Buf) >= n {
		return c.Buf
	}
	more := n
	if done, left := len(c.Pos), rows-len(c.Pos); done > 0 && left > 0 {
		more = max(n, left*(len(c.Buf)/done+1))
	}
	return slices.Grow(c.Buf, more)
}

// noEOF turns an end of stream inside a block into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
