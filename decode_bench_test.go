package burdenwatch

import (
	"syscall"
	"testing"
	"time"
)

// BenchmarkDecode decodes valid messages of every kind. Besides ns/op it
// reports CPU ns/op of the process (getrusage), which stays meaningful
// when other work shares the machine's cores.
func BenchmarkDecode(b *testing.B) {
	d := testDecoder(b)
	var msgs [][]byte
	for _, kind := range []string{"inspection", "meeting", "document", "data_report", "document", "document", "meeting", "data_report"} {
		msgs = append(msgs, marshal(b, envelope(kind, payloadOf(kind))))
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := d.Decode(msgs[i%len(msgs)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkDecodeView is BenchmarkDecode with DecodeView, as the ingest
// hot path calls it: no string is copied.
func BenchmarkDecodeView(b *testing.B) {
	d := testDecoder(b)
	msgs := benchMessages(b)
	var ev Event
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if err := d.DecodeView(msgs[i%len(msgs)], &ev); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkDecodeFull is BenchmarkDecode with the full decoder alone
// (fastjson, the scanner, the readers), which refusals go through.
func BenchmarkDecodeFull(b *testing.B) {
	d := testDecoder(b)
	msgs := benchMessages(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := d.decodeFull(msgs[i%len(msgs)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkDecodeInvalid decodes messages that are refused, one of each
// case of the decode_test.go table.
func BenchmarkDecodeInvalid(b *testing.B) {
	d := testDecoder(b)
	var msgs [][]byte
	for _, tc := range invalidCases() {
		p := payloadOf(tc.kind)
		m := envelope(tc.kind, p)
		tc.mutate(m, p)
		msgs = append(msgs, marshal(b, m))
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := d.Decode(msgs[i%len(msgs)]); err == nil {
			b.Fatal("accepted")
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// benchMessages are the messages of BenchmarkDecode.
func benchMessages(b *testing.B) [][]byte {
	var msgs [][]byte
	for _, kind := range []string{"inspection", "meeting", "document", "data_report", "document", "document", "meeting", "data_report"} {
		msgs = append(msgs, marshal(b, envelope(kind, payloadOf(kind))))
	}
	return msgs
}

// BenchmarkAppendJSON encodes events of every kind as the simulator does.
func BenchmarkAppendJSON(b *testing.B) {
	d := testDecoder(b)
	var evs []Event
	for _, kind := range kindNames {
		ev, err := d.Decode(marshal(b, envelope(kind, payloadOf(kind))))
		if err != nil {
			b.Fatal(err)
		}
		evs = append(evs, ev)
	}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf = evs[i%len(evs)].AppendJSON(buf[:0])
	}
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
