package clickhouse

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

// TestNativeColumn pins the Native serialization of the column types the
// results tables use, as clickhouse-go sends them.
func TestNativeColumn(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	one := 1.5
	cases := []struct {
		typ  string
		data any
		want []byte
	}{
		{"String", []string{"ab", ""}, []byte{2, 'a', 'b', 0}},
		{"Enum8('violation' = 1, 'warning' = 2)", []string{"warning", "violation"}, []byte{2, 1}},
		{"UInt16", []uint16{2025}, []byte{0xe9, 0x07}},
		{"UInt8", []uint8{1, 0}, []byte{1, 0}},
		{"UInt64", []uint64{1}, []byte{1, 0, 0, 0, 0, 0, 0, 0}},
		// 2025-03-01 in Shanghai is day 20148 whatever the hour.
		{"Date", []time.Time{time.Date(2025, 3, 1, 0, 30, 0, 0, sh), {}}, []byte{0xb4, 0x4e, 0, 0}},
		{"DateTime('Asia/Shanghai')", []time.Time{time.Unix(1700000000, 0), {}}, []byte{0x00, 0xf1, 0x53, 0x65, 0, 0, 0, 0}},
		{"Float64", []float64{1.5}, le64(math.Float64bits(1.5))},
		{"Nullable(Float64)", []*float64{nil, &one}, append([]byte{1, 0}, append(make([]byte, 8), le64(math.Float64bits(1.5))...)...)},
		{"Array(String)", [][]string{{"a", "b"}, {}, {"c"}}, append(append(le64(2), append(le64(2), le64(3)...)...), 1, 'a', 1, 'b', 1, 'c')},
	}
	for _, c := range cases {
		got, ok := nativeColumn(c.typ, c.data)
		if !ok {
			t.Errorf("%s with %T: not handled", c.typ, c.data)
			continue
		}
		if b := bytes.Join(got, nil); !bytes.Equal(b, c.want) {
			t.Errorf("%s: % x, want % x", c.typ, b, c.want)
		}
	}
	for _, c := range []struct {
		typ  string
		data any
	}{{"UInt32", []uint16{1}}, {"Enum8('a' = 1)", []string{"b"}}, {"LowCardinality(String)", []string{"a"}}} {
		if _, ok := nativeColumn(c.typ, c.data); ok {
			t.Errorf("%s with %T: handled, want the driver's path", c.typ, c.data)
		}
	}
}

func le64(v uint64) []byte {
	b := make([]byte, 8)
	for i := range b {
		b[i] = byte(v >> (8 * i))
	}
	return b
}

// TestStringsSize: the size a String column is allocated with is its
// serialization's, varint lengths of one to three bytes included.
func TestStringsSize(t *testing.T) {
	v := []string{"", "a", string(make([]byte, 127)), string(make([]byte, 128)), string(make([]byte, 16384)), "督查"}
	if got, want := stringsSize(v), len(appendStrings(nil, v)); got != want {
		t.Errorf("stringsSize = %d, serialized %d bytes", got, want)
	}
}

// BenchmarkNativeEvidence encodes the event_ids column of a full write of
// the 1M-event bench province-year: 148k results, 1.34M ids.
func BenchmarkNativeEvidence(b *testing.B) {
	ids := make([][]string, 148_000)
	for i := range ids {
		for j := 0; j < 9; j++ {
			ids[i] = append(ids[i], "bench-"+strings.Repeat("7", 6))
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := nativeColumn("Array(String)", ids); !ok {
			b.Fatal("not handled")
		}
	}
}
