package clickhouse

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/ClickHouse/ch-go/proto"
)

// chunkReader hands out at most n bytes a Read, so that values straddle
// the end of the read buffer, or lie beyond it when it runs empty.
type chunkReader struct {
	r io.Reader
	n int
}

func (c chunkReader) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

// nativeStream is three blocks of the column types the reads use, with
// empty, multi-byte, long (over a read buffer) and random strings.
func nativeStream(t *testing.T) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	var buf proto.Buffer
	for blk, rows := range []int{5, 0, 3000} {
		var s, ids proto.ColStr
		arr := proto.NewArray[string](new(proto.ColStr))
		var u32 proto.ColUInt32
		var u64 proto.ColUInt64
		for i := 0; i < rows; i++ {
			v := strings.Repeat("湖南省部门", rng.IntN(4))
			switch {
			case i == 1 && blk == 0:
				v = strings.Repeat("x", blockReaderSize+300) // longer than the buffer
			case i%97 == 0:
				v = strings.Repeat("y", 128+rng.IntN(300)) // 2-byte length
			case i%89 == 0:
				v = strings.Repeat("z", 64+rng.IntN(64)) // the highest 1-byte lengths
			}
			s.Append(v)
			ids.Append("bench-" + strings.Repeat("9", rng.IntN(12)))
			var list []string
			for j := rng.IntN(3); j > 0; j-- {
				list = append(list, strings.Repeat("安全", j))
			}
			arr.Append(list)
			u32.Append(rng.Uint32())
			u64.Append(rng.Uint64())
		}
		input := []proto.InputColumn{{Name: "c0", Data: &ids}, {Name: "c1", Data: &s}, {Name: "c2", Data: arr},
			{Name: "c3", Data: &u32}, {Name: "v", Data: &u64}}
		if err := (proto.Block{Columns: len(input), Rows: rows}).EncodeRawBlock(&buf, 0, input); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Buf
}

// TestBlockReaderMatchesChGo decodes the same stream with ch-go's
// DecodeRawBlock and with blockReader, whole and a few bytes a read.
func TestBlockReaderMatchesChGo(t *testing.T) {
	stream := nativeStream(t)
	var want []proto.Results
	r := proto.NewReader(bytes.NewReader(stream))
	for {
		var b proto.Block
		var res proto.Results
		if err := b.DecodeRawBlock(r, 0, res.Auto()); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		want = append(want, res)
	}
	if len(want) != 3 {
		t.Fatalf("ch-go decoded %d blocks, want 3", len(want))
	}
	// ch-go's block decoding into this package's string columns: their
	// DecodeColumn.
	r = proto.NewReader(bytes.NewReader(stream))
	for i := range want {
		var b proto.Block
		res := proto.Results{{Name: "c0", Data: &stringColumn{}}, {Name: "c1", Data: &stringColumn{}},
			{Name: "c2", Data: &stringListColumn{}}, {Name: "c3", Data: &proto.ColUInt32{}}, {Name: "v", Data: &proto.ColUInt64{}}}
		if err := b.DecodeRawBlock(r, 0, res); err != nil {
			t.Fatalf("block %d into string columns: %v", i, err)
		}
		if !sameResults(res, want[i]) {
			t.Fatalf("block %d: DecodeColumn of the string columns differs from ch-go's", i)
		}
	}
	for _, chunk := range []int{len(stream), 7, 1} {
		br := newBlockReader(chunkReader{bytes.NewReader(stream), chunk})
		for i := 0; ; i++ {
			res, err := br.next()
			if errors.Is(err, io.EOF) {
				if i != len(want) {
					t.Fatalf("chunk %d: %d blocks, want %d", chunk, i, len(want))
				}
				break
			}
			if err != nil {
				t.Fatalf("chunk %d, block %d: %v", chunk, i, err)
			}
			if i >= len(want) || !sameResults(res, want[i]) {
				t.Fatalf("chunk %d, block %d differs from ch-go's decoding", chunk, i)
			}
		}
	}
}

// sameResults compares two decodings value by value.
func sameResults(a, b proto.Results) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Data.Type() != b[i].Data.Type() || a[i].Data.Rows() != b[i].Data.Rows() {
			return false
		}
		for row := 0; row < a[i].Data.Rows(); row++ {
			if v := value(a[i].Data, row); v == nil || !reflect.DeepEqual(v, value(b[i].Data, row)) {
				return false
			}
		}
	}
	return true
}

// value is one row of a column as ch-go or blockReader decodes it; arrays
// of no values are empty slices either way.
func value(c proto.ColResult, row int) any {
	switch c := c.(type) {
	case *proto.ColStr:
		return c.Row(row)
	case *stringColumn:
		return c.Row(row)
	case *proto.ColArr[string]:
		return append([]string{}, c.Row(row)...)
	case *stringListColumn:
		return c.Row(row)
	case *proto.ColUInt32:
		return c.Row(row)
	case *proto.ColUInt64:
		return c.Row(row)
	}
	return nil
}

// TestBlockReaderTruncated: a stream cut inside a block is an error that
// says so, never a silent end.
func TestBlockReaderTruncated(t *testing.T) {
	stream := nativeStream(t)
	for _, cut := range []int{1, 40, len(stream) / 2, len(stream) - 1} {
		br := newBlockReader(bytes.NewReader(stream[:cut]))
		var err error
		for err == nil {
			_, err = br.next()
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("cut at %d of %d: %v, want an unexpected EOF", cut, len(stream), err)
		}
	}
}

// TestBlockReaderServerError: an exception the server appends to the body
// after some blocks (HTTP has sent its 200 already) is an error that
// carries the server's text, not an end of stream.
func TestBlockReaderServerError(t *testing.T) {
	text := "Code: 241, e.displayText() = DB::Exception: Memory limit (for query) exceeded: would use 9.32 GiB " +
		"(attempt to allocate chunk of 1048576 bytes), maximum: 9.31 GiB, e.what() = DB::Exception\n"
	stream := append(nativeStream(t), text...)
	br := newBlockReader(bytes.NewReader(stream))
	var err error
	for i := 0; err == nil; i++ {
		_, err = br.next()
	}
	t.Log(err)
	if errors.Is(err, io.EOF) || !strings.Contains(err.Error(), "server error in the result stream: "+strings.TrimSpace(text)) {
		t.Errorf("server error after the blocks: %v, want an error with the server's text", err)
	}
}
