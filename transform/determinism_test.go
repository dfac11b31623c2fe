package transform_test

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/internal/testenv"
	"github.com/burdenwatch/burdenwatch/transform"
)

// varied returns n events of 2025 over two counties whose meeting and form
// times have fractional hours, so that a float sum would depend on the
// order of addition, and some of which break rules.
func varied(t testing.TB, n int) []bw.Event {
	rng := rand.New(rand.NewSource(11))
	kinds := []bw.Kind{bw.KindDocument, bw.KindMeeting, bw.KindInspection, bw.KindDataReport}
	out := make([]bw.Event, n)
	for i := range out {
		at := time.Date(2025, time.Month(1+rng.Intn(12)), 1+rng.Intn(28), rng.Intn(24), rng.Intn(60), 0, 0, shanghai)
		county := []string{"430102", "430103"}[rng.Intn(2)]
		out[i] = event(t, fmt.Sprintf("v%05d", i), kinds[rng.Intn(4)], at.Format(time.RFC3339), county, func(e *bw.Event) {
			e.Meeting.DurationMinutes, e.Meeting.Attendees = uint32(7+rng.Intn(173)), uint32(1+rng.Intn(37))
			e.DataReport.EstimatedMinutes, e.DataReport.Fields = uint32(1+rng.Intn(299)), uint32(1+rng.Intn(50))
			e.DataReport.DuplicateFields = uint32(rng.Intn(3))
			e.Document.Pages, e.Document.DocType = uint32(1+rng.Intn(14)), []string{"policy", "notice"}[rng.Intn(2)]
			e.Inspection.OnSite, e.Inspection.Mode = rng.Intn(2) == 0, []string{"covert", "overt"}[rng.Intn(2)]
			if rng.Intn(5) == 0 {
				e.Inspection.PlanCode = "PX"
			}
		})
	}
	return out
}

// dump renders the stored indicators and active rule results of 43/2025
// exactly: floats as their bits, every column but computed_at and version.
func dump(t *testing.T, db *clickhouse.DB) string {
	t.Helper()
	var b strings.Builder
	rows, err := db.Conn().Query(context.Background(), `SELECT county_code, toString(month), indicator, value, ytd
FROM indicators FINAL WHERE toYear(month) = 2025 ORDER BY county_code, month, indicator`)
	if err != nil {
		t.Fatal(err)
	}
	bits := func(p *float64) string {
		if p == nil {
			return "NULL"
		}
		return fmt.Sprintf("%016x", math.Float64bits(*p))
	}
	for rows.Next() {
		var county, month, id string
		var value, ytd *float64
		if err := rows.Scan(&county, &month, &id, &value, &ytd); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\n", county, month, id, bits(value), bits(ytd))
	}
	rows.Close()
	rows, err = db.Conn().Query(context.Background(), `SELECT rule_id, toString(severity), county_code, toString(month),
issuer_code, issuer_name, scope, value, `+"`limit`"+`, event_ids, citation FROM rule_results FINAL
WHERE year = 2025 AND active = 1 ORDER BY county_code, rule_id, scope`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var rule, sev, county, month, issuer, name, scope, citation string
		var value, limit float64
		var ids []string
		if err := rows.Scan(&rule, &sev, &county, &month, &issuer, &name, &scope, &value, &limit, &ids, &citation); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%v\t%s\n", rule, sev, county, month, issuer, name, scope,
			bits(&value), bits(&limit), ids, citation)
	}
	rows.Close()
	return b.String()
}

// TestByteIdenticalTables computes the same events twice: once delivered in
// order in one batch with one full run, once shuffled, a third of them
// delivered twice, corrections delivered before the revisions they
// replace, in chunks (parts that are not merged) with an incremental run
// (a restart) after each. The
// indicators and rule_results tables must be byte for byte the same.
func TestByteIdenticalTables(t *testing.T) {
	evs := varied(t, 3000)
	var corrections []bw.Event
	for i := 0; i < len(evs); i += 40 {
		c := evs[i]
		c.Revision, c.OccurredAt = 1, c.OccurredAt.AddDate(0, 0, 3)
		corrections = append(corrections, c)
	}
	ctx := context.Background()
	inOrder, _ := testenv.ClickHouse(t)
	loadRef(t, inOrder, reference())
	insert(t, inOrder, append(append([]bw.Event{}, evs...), corrections...)...)
	if _, err := transform.Run(ctx, inOrder, transform.Config{Full: true, Packs: shippedPacks(t)}); err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewSource(3))
	delivered := append(append([]bw.Event{}, corrections...), evs...) // corrections first
	for i := 0; i < len(evs); i += 3 {
		delivered = append(delivered, evs[i])
	}
	rng.Shuffle(len(delivered)-len(corrections), func(i, j int) {
		i, j = i+len(corrections), j+len(corrections)
		delivered[i], delivered[j] = delivered[j], delivered[i]
	})
	shuffled, _ := testenv.ClickHouse(t)
	loadRef(t, shuffled, reference())
	// Without merges every chunk stays a part of its own, read in its own
	// order: the sums see the events in another order than in one part.
	if err := shuffled.Exec(ctx, "SYSTEM STOP MERGES events"); err != nil {
		t.Fatal(err)
	}
	cfg := transform.Config{Packs: shippedPacks(t), Margin: time.Nanosecond}
	for i := 0; i < len(delivered); i += 700 {
		insert(t, shuffled, delivered[i:min(i+700, len(delivered))]...)
		if _, err := transform.Run(ctx, shuffled, cfg); err != nil {
			t.Fatal(err)
		}
	}
	want, got := dump(t, inOrder), dump(t, shuffled)
	if strings.Count(want, "\n") < 1000 || !strings.Contains(want, "meeting_hours") || !strings.Contains(want, "inspection.unplanned") {
		t.Fatalf("scenario too small: %d lines", strings.Count(want, "\n"))
	}
	if got != want {
		g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
		for i := range min(len(g), len(w)) {
			if g[i] != w[i] {
				t.Fatalf("tables differ at line %d:\nshuffled %s\nin order %s", i, g[i], w[i])
			}
		}
		t.Fatalf("tables differ in length: %d vs %d lines", len(g), len(w))
	}
}
