package burdenwatch

import "testing"

func BenchmarkDecode(b *testing.B) {
	d := testDecoder(b)
	var msgs [][]byte
	for _, kind := range []string{"inspection", "meeting", "document", "data_report", "document", "document", "meeting", "data_report"} {
		msgs = append(msgs, marshal(b, envelope(kind, payloadOf(kind))))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.Decode(msgs[i%len(msgs)]); err != nil {
			b.Fatal(err)
		}
	}
}
