package serve

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// benchIndex holds a province-year's worth of inspections on the fixture
// counties: 20,000 visits over 200 units.
func benchIndex(b *testing.B) *Index {
	ix := fixtureIndex(b)
	start := time.Date(2025, 1, 1, 8, 0, 0, 0, loc)
	for i := range 20000 {
		unit := fmt.Sprintf("431024%03d", 100+i%200)
		ix.Apply(inspectionEvent(fmt.Sprintf("b%d", i), fmt.Sprintf("HN-I%02d", i%40), "HN-2025-YJT-01", "431024", unit,
			start.Add(time.Duration(i)*20*time.Minute), i%3 == 0), 1)
	}
	return ix
}

// BenchmarkVerify is the pure verify function over the index.
func BenchmarkVerify(b *testing.B) {
	ix := benchIndex(b)
	q := Query{Code: "HN2025-0001", Unit: "431024150", At: time.Date(2025, 6, 12, 10, 0, 0, 0, loc)}
	b.ReportAllocs()
	for b.Loop() {
		_ = ix.Verify(q)
	}
}

// BenchmarkVerifyHandler is GET /api/v1/verify through the handler
// (parsing, verify, JSON, metrics) without a socket.
func BenchmarkVerifyHandler(b *testing.B) {
	srv, err := NewServer(Config{Index: benchIndex(b)})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	req := httptest.NewRequest(http.MethodGet, "/api/v1/verify?code=HN2025-0001&unit=431024150&at=2025-06-12T10%3A00%3A00%2B08%3A00", nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
}
