package clickhouse_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/internal/testenv"
	"github.com/burdenwatch/burdenwatch/refdata"
)

// TestInspectionCodesLoad loads the shipped registry, reads it back equal,
// then reloads one province-year: that set is replaced, the others stay,
// and a recompute of that province-year is requested.
func TestInspectionCodesLoad(t *testing.T) {
	ctx := context.Background()
	db, _ := testenv.ClickHouse(t)
	ref, err := refdata.ParseFS(refdata.Default())
	if err != nil {
		t.Fatal(err)
	}
	if err := db.LoadReferenceData(ctx, &bw.ReferenceData{InspectionCodes: ref.InspectionCodes}, "t1"); err != nil {
		t.Fatal(err)
	}
	got, err := db.ReferenceData(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.InspectionCodes) != len(ref.InspectionCodes) {
		t.Fatalf("read %d codes, loaded %d", len(got.InspectionCodes), len(ref.InspectionCodes))
	}
	want := refdata.RegistryFor(ref, "43", 2025)
	back := refdata.RegistryFor(got, "43", 2025)
	for code, w := range want {
		if !reflect.DeepEqual(back[code], w) {
			t.Fatalf("code %s read back as %+v, want %+v", code, back[code], w)
		}
	}

	loc, _ := time.LoadLocation("Asia/Shanghai")
	one := bw.InspectionCode{Year: 2025, ProvinceCode: "43", Code: "DC43-2025-9999", PlanCode: "HN-2025-YJT-01",
		IssuerCode: "HN-YJT", Title: "补充赋码", ValidFrom: time.Date(2025, 7, 1, 0, 0, 0, 0, loc),
		ValidTo: time.Date(2025, 7, 31, 0, 0, 0, 0, loc), Counties: []string{"431024"}}
	if err := db.LoadReferenceData(ctx, &bw.ReferenceData{InspectionCodes: []bw.InspectionCode{one}}, "t2"); err != nil {
		t.Fatal(err)
	}
	got, err = db.ReferenceData(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hn := refdata.RegistryFor(got, "43", 2025)
	if len(hn) != 1 || !reflect.DeepEqual(hn[one.Code], &one) {
		t.Errorf("registry 43/2025 after reload = %v, want only %+v", hn, one)
	}
	if n, m := len(refdata.RegistryFor(got, "33", 2025)), len(refdata.RegistryFor(ref, "33", 2025)); n != m || n == 0 {
		t.Errorf("registry 33/2025 after reloading 43/2025 has %d codes, want %d", n, m)
	}
	if n, m := len(refdata.RegistryFor(got, "43", 2026)), len(refdata.RegistryFor(ref, "43", 2026)); n != m || n == 0 {
		t.Errorf("registry 43/2026 after reloading 43/2025 has %d codes, want %d", n, m)
	}
	var requests uint64
	if err := db.Conn().QueryRow(ctx, "SELECT count() FROM recompute_requests WHERE province_code = '43' AND year = 2025 AND reason = 'refdata t2'").Scan(&requests); err != nil {
		t.Fatal(err)
	}
	if requests != 1 {
		t.Errorf("recompute requests for 43/2025 after the reload = %d, want 1", requests)
	}
}
