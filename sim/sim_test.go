package sim

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/refdata"
	"github.com/burdenwatch/burdenwatch/rules"
)

var provinces = []string{"43", "37", "22", "33"}

// testNow is a fixed "now": the whole of 2025 and 2026 up to 24 November.
var testNow = time.Date(2026, 11, 24, 12, 0, 0, 0, cst)

type fixture struct {
	ref     *burdenwatch.ReferenceData
	issuers []refdata.Issuer
	points  map[string]burdenwatch.ObservationPoint
}

var loadFixture = sync.OnceValues(func() (*fixture, error) {
	ref, err := refdata.ParseFS(refdata.Default())
	if err != nil {
		return nil, err
	}
	issuers, err := refdata.ParseIssuersFS(refdata.Default(), refdata.FileIssuers)
	if err != nil {
		return nil, err
	}
	points := map[string]burdenwatch.ObservationPoint{}
	for _, p := range ref.ObservationPoints {
		points[p.CountyCode] = p
	}
	return &fixture{ref: ref, issuers: issuers, points: points}, nil
})

func mustFixture(t testing.TB) *fixture {
	t.Helper()
	f, err := loadFixture()
	if err != nil {
		t.Fatalf("default reference data: %v", err)
	}
	return f
}

func testConfig(province string, year int) Config {
	cfg := DefaultConfig(province)
	cfg.Year, cfg.Now = year, testNow
	return cfg
}

// run is the outcome of one Generate call, decoded.
type run struct {
	stats    Stats
	messages []Message
	final    map[string]burdenwatch.Event // highest revision per event_id
	rejected map[string]int               // reason code -> messages
}

func generate(t testing.TB, cfg Config) *run {
	t.Helper()
	f := mustFixture(t)
	r := &run{final: map[string]burdenwatch.Event{}, rejected: map[string]int{}}
	st, err := Generate(f.ref, f.issuers, cfg, func(m Message) error {
		r.messages = append(r.messages, m)
		return nil
	})
	if err != nil {
		t.Fatalf("Generate(%+v): %v", cfg, err)
	}
	r.stats = st
	dec := burdenwatch.NewDecoder(f.points, shanghai)
	dec.Now = func() time.Time { return cfg.Now }
	for _, m := range r.messages {
		ev, err := dec.Decode(m.Value)
		var ve *burdenwatch.ValidationError
		if errors.As(err, &ve) {
			r.rejected[ve.Code]++
			continue
		}
		if old, ok := r.final[ev.ID]; !ok || ev.Revision > old.Revision {
			r.final[ev.ID] = ev
		}
	}
	return r
}

var runs sync.Map // "province/year/violation share" -> *run, shared by the tests

// cachedRun generates the province-year with the default configuration.
func cachedRun(t *testing.T, province string, year int) *run {
	return cachedRunWith(t, testConfig(province, year))
}

// compliantRun generates the province in 2025 without violations.
func compliantRun(t *testing.T, province string) *run {
	cfg := testConfig(province, 2025)
	cfg.ViolationShare, cfg.InvalidCodeShare = 0, 0
	return cachedRunWith(t, cfg)
}

func cachedRunWith(t *testing.T, cfg Config) *run {
	key := fmt.Sprintf("%s/%d/%v", cfg.Province, cfg.Year, cfg.ViolationShare)
	if r, ok := runs.Load(key); ok {
		return r.(*run)
	}
	r := generate(t, cfg)
	runs.Store(key, r)
	return r
}

func TestDecodeAll(t *testing.T) {
	for _, p := range provinces {
		t.Run(p, func(t *testing.T) {
			r := cachedRun(t, p, 2025)
			if !maps.Equal(r.rejected, r.stats.MalformedByReason) {
				t.Errorf("decoder rejected %v, want exactly the malformed messages %v", r.rejected, r.stats.MalformedByReason)
			}
			for _, reason := range malformedReasons {
				if r.stats.MalformedByReason[reason] == 0 {
					t.Errorf("no malformed message of reason %s", reason)
				}
			}
			if len(r.final) != r.stats.Events {
				t.Errorf("%d distinct valid events decoded, stats say %d", len(r.final), r.stats.Events)
			}
			want := r.stats.Events + r.stats.Malformed + r.stats.Duplicates + r.stats.Revisions
			if len(r.messages) != want || r.stats.Messages != want {
				t.Errorf("%d messages (stats %d), want events+malformed+duplicates+revisions = %d", len(r.messages), r.stats.Messages, want)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	hash := func(seed int64) [32]byte {
		cfg := testConfig("33", 2025)
		cfg.Seed = seed
		h := sha256.New()
		f := mustFixture(t)
		if _, err := Generate(f.ref, f.issuers, cfg, func(m Message) error {
			h.Write(m.Key)
			h.Write([]byte{0})
			h.Write(m.Value)
			h.Write([]byte{0})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return [32]byte(h.Sum(nil))
	}
	a, b, c := hash(7), hash(7), hash(8)
	if a != b {
		t.Error("the same seed gave different messages")
	}
	if a == c {
		t.Error("different seeds gave the same messages")
	}
}

// TestViolations checks with the real rules engine (rules.Evaluate and the
// province's shipped pack, as transform runs them) that the data produces
// exactly the results Stats reports, rule by rule, and the injected
// invalid codes reason by reason; and that every rule is broken where the
// province's reference data lets it apply.
func TestViolations(t *testing.T) {
	f := mustFixture(t)
	for _, p := range provinces {
		for _, year := range []int{2025, 2026} {
			t.Run(fmt.Sprintf("%s/%d", p, year), func(t *testing.T) {
				r := cachedRun(t, p, year)
				got, res := evaluate(t, r.final, f.ref, p, year)
				if !maps.Equal(got, r.stats.Violations) {
					t.Errorf("rule results differ from Stats.Violations:\n%s", diffCounts(got, r.stats.Violations))
				}
				for _, rule := range rules.IDs() {
					if r.stats.Violations[rule] == 0 && applicable(f.ref, rule, p, year) {
						t.Errorf("rule %s never broken", rule)
					}
				}
				if reasons := codeReasons(res); !maps.Equal(reasons, r.stats.InvalidCodes) {
					t.Errorf("code_invalid results by reason %v, injected %v", reasons, r.stats.InvalidCodes)
				}
				t.Logf("inspections %d, code_invalid injected %v, detected %d", r.stats.ByKind[burdenwatch.KindInspection], r.stats.InvalidCodes, got[rules.InspectionCodeInvalid])
			})
		}
	}
}

// codeReasons counts the inspection.code_invalid results by reason (the
// result's value: 1 unknown, 2 other issuer, 3 other plan, 4 outside
// validity), under the Stats.InvalidCodes keys.
func codeReasons(res []burdenwatch.Violation) map[string]int {
	names := map[float64]string{1: InvalidUnknown, 2: InvalidOtherIssuer, 3: InvalidOtherPlan, 4: InvalidExpired}
	out := map[string]int{}
	for _, v := range res {
		if v.RuleID == rules.InspectionCodeInvalid {
			out[cmp.Or(names[v.Value], fmt.Sprint(v.Value))]++
		}
	}
	return out
}

// applicable reports whether the reference data lets rule apply.
func applicable(ref *burdenwatch.ReferenceData, rule, province string, year int) bool {
	switch rule {
	case rules.MeetingNoMeetingDay:
		return slices.ContainsFunc(ref.Calendar, func(c burdenwatch.CalendarEntry) bool {
			return c.ProvinceCode == province && c.Rule == burdenwatch.CalendarNoMeetingWeekday
		})
	case rules.InspectionNoMeetingMonth:
		return slices.ContainsFunc(ref.Calendar, func(c burdenwatch.CalendarEntry) bool {
			return c.ProvinceCode == province && c.Value == fmt.Sprintf("%d-08", year)
		})
	case rules.InspectionCodeInvalid:
		return refdata.RegistryFor(ref, province, year) != nil
	case rules.InspectionExemptCounty:
		return slices.ContainsFunc(ref.Exemptions, func(x burdenwatch.Exemption) bool {
			return x.Year == year && x.CountyCode[:2] == province
		})
	}
	return true
}

func diffCounts(got, want map[string]int) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(mergeKeys(got, want))) {
		if got[k] != want[k] {
			fmt.Fprintf(&b, "  %s: evaluated %d, stats %d\n", k, got[k], want[k])
		}
	}
	return b.String()
}

func mergeKeys(a, b map[string]int) map[string]int {
	m := maps.Clone(a)
	for k := range b {
		m[k] = 0
	}
	return m
}

func TestCompliantByDefault(t *testing.T) {
	f := mustFixture(t)
	for _, p := range provinces {
		t.Run(p, func(t *testing.T) {
			r := compliantRun(t, p)
			if got, _ := evaluate(t, r.final, f.ref, p, 2025); len(got) > 0 || len(r.stats.Violations) > 0 {
				t.Errorf("compliant run breaks rules: evaluated %v, stats %v", got, r.stats.Violations)
			}
		})
	}
}

// TestVolumes checks the realistic volumes per observation county and
// year at Scale 1.
func TestVolumes(t *testing.T) {
	ranges := map[burdenwatch.Kind][2]int{
		burdenwatch.KindDocument:   {1500, 2500},
		burdenwatch.KindMeeting:    {300, 600},
		burdenwatch.KindInspection: {50, 120},
		burdenwatch.KindDataReport: {300, 800},
	}
	for _, p := range provinces {
		t.Run(p, func(t *testing.T) {
			r := compliantRun(t, p) // the injected quota and baseline breaches inflate a few counties
			per := map[string]map[burdenwatch.Kind]int{}
			for _, ev := range r.final {
				if per[ev.CountyCode] == nil {
					per[ev.CountyCode] = map[burdenwatch.Kind]int{}
				}
				per[ev.CountyCode][ev.Kind]++
			}
			for county, kinds := range per {
				for kind, rg := range ranges {
					if n := kinds[kind]; n < rg[0] || n > rg[1] {
						t.Errorf("county %s: %d %s events, want %d–%d", county, n, kind, rg[0], rg[1])
					}
				}
			}
			if len(r.final) < 25000 || len(r.final) > 50000 {
				t.Errorf("%d events in the province, want 25k–50k", len(r.final))
			}
		})
	}
}

// TestWireFormat decodes every valid message and encodes it again with
// Event.MarshalJSON (the encoder the simulator uses): it must give the
// original bytes.
func TestWireFormat(t *testing.T) {
	f := mustFixture(t)
	r := cachedRun(t, "43", 2025)
	dec := burdenwatch.NewDecoder(f.points, shanghai)
	dec.Now = func() time.Time { return testNow }
	for _, m := range r.messages {
		ev, err := dec.Decode(m.Value)
		if err != nil {
			continue
		}
		if bytes.Contains(m.Value, []byte(`Z","county_code"`)) {
			ev.OccurredAt = ev.OccurredAt.UTC()
		}
		if got, err := ev.MarshalJSON(); err != nil || !bytes.Equal(got, m.Value) {
			t.Fatalf("MarshalJSON round trip (%v):\n got %s\nwant %s", err, got, m.Value)
		}
	}
}

// TestStream checks keys, revisions, duplicates, late events and UTC
// offsets in the message stream.
func TestStream(t *testing.T) {
	f := mustFixture(t)
	r := cachedRun(t, "37", 2025)
	dec := burdenwatch.NewDecoder(f.points, shanghai)
	dec.Now = func() time.Time { return testNow }
	seen := map[string]int{}
	first := map[string]burdenwatch.Event{}
	var latest time.Time
	late, utc, dups, revs := 0, 0, 0, 0
	for _, m := range r.messages {
		seen[string(m.Value)]++
		if seen[string(m.Value)] > 1 {
			dups++
		}
		ev, err := dec.Decode(m.Value)
		if err != nil {
			continue
		}
		if string(m.Key) != ev.CountyCode {
			t.Fatalf("key %s for an event of county %s", m.Key, ev.CountyCode)
		}
		if bytes.Contains(m.Value, []byte(`Z","county_code"`)) {
			utc++
		}
		// Fresh events go out in time order; a first delivery older than
		// an event already seen was held back: a late event.
		if ev.OccurredAt.Before(latest) && seen[string(m.Value)] == 1 && ev.Revision == 0 {
			late++
		}
		if ev.OccurredAt.After(latest) {
			latest = ev.OccurredAt
		}
		orig, ok := first[ev.ID]
		switch {
		case !ok:
			first[ev.ID] = ev
			if ev.Revision != 0 {
				t.Errorf("event %s arrives first as revision %d", ev.ID, ev.Revision)
			}
		case ev.Revision > orig.Revision:
			revs++
			if ev.CountyCode != orig.CountyCode || ev.OccurredAt.Month() != orig.OccurredAt.Month() {
				t.Errorf("revision of %s moves county or month", ev.ID)
			}
		}
	}
	if dups != r.stats.Duplicates || revs != r.stats.Revisions || dups == 0 || revs == 0 {
		t.Errorf("duplicates %d, revisions %d; stats say %d, %d", dups, revs, r.stats.Duplicates, r.stats.Revisions)
	}
	if late != r.stats.Late || late == 0 {
		t.Errorf("%d events arrive after later ones, stats say %d late", late, r.stats.Late)
	}
	if utc < r.stats.Events/20 {
		t.Errorf("only %d of %d events written in UTC", utc, r.stats.Events)
	}
}

// TestNow checks that no event lies on or after now's day.
func TestNow(t *testing.T) {
	cfg := testConfig("22", 2026)
	cfg.Now = time.Date(2026, 6, 15, 9, 30, 0, 0, shanghai)
	r := generate(t, cfg)
	limit := time.Date(2026, 6, 15, 0, 0, 0, 0, shanghai)
	for _, ev := range r.final {
		if !ev.OccurredAt.Before(limit) {
			t.Fatalf("event %s at %v, not before %v", ev.ID, ev.OccurredAt, limit)
		}
	}
	if r.stats.Events < 10000 {
		t.Errorf("%d events for 5½ months, want more", r.stats.Events)
	}
	cfg.Year = 2027
	if _, err := Generate(mustFixture(t).ref, mustFixture(t).issuers, cfg, func(Message) error { return nil }); err == nil {
		t.Error("a year after now: no error")
	}
}

// TestScale checks that Scale multiplies the volume and that Stats still
// reports every rule result: above 1 the quotas and baselines break.
func TestScale(t *testing.T) {
	cfg := testConfig("43", 2025)
	cfg.Scale = 3
	r := generate(t, cfg)
	base := compliantRun(t, "43") // no injected extras at scale 1
	counts := func(r *run) map[string]int {
		out := map[string]int{}
		for _, ev := range r.final {
			out[ev.CountyCode+"/"+string(ev.Kind)]++
		}
		return out
	}
	if len(r.final) != r.stats.Events {
		t.Errorf("scale 3: %d distinct events decoded, Stats.Events %d", len(r.final), r.stats.Events)
	}
	small, big := counts(base), counts(r)
	for k, n := range small { // 3 × the natural volume, which scale 1 caps under quotas and baselines
		if big[k] < 2*n {
			t.Errorf("%s: %d events at scale 3, %d at scale 1: not multiplied", k, big[k], n)
		}
	}
	got, _ := evaluate(t, r.final, mustFixture(t).ref, "43", 2025)
	if !maps.Equal(got, r.stats.Violations) {
		t.Errorf("rule results differ from Stats.Violations:\n%s", diffCounts(got, r.stats.Violations))
	}
	if r.stats.Violations[rules.DocumentQuota] < 5 {
		t.Errorf("scale 3 breaks the document quota of %d counties, want most", r.stats.Violations[rules.DocumentQuota])
	}
}

func TestConfigErrors(t *testing.T) {
	f := mustFixture(t)
	for _, cfg := range []Config{
		{Province: "4"}, {Province: "43", Scale: -1}, {Province: "43", MalformedShare: 2},
		{Province: "44"}, // no observation point
	} {
		if _, err := Generate(f.ref, f.issuers, cfg, func(Message) error { return nil }); err == nil {
			t.Errorf("Generate(%+v): no error", cfg)
		}
	}
	boom := errors.New("boom")
	_, err := Generate(f.ref, f.issuers, testConfig("43", 2025), func(Message) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("emit error not returned: %v", err)
	}
}

// BenchmarkGenerate generates Hunan at Scale 10 (about 330k events).
// Besides wall-clock events/s it reports events per second of process CPU
// time, which stays meaningful on a loaded machine.
func BenchmarkGenerate(b *testing.B) {
	f := mustFixture(b)
	cfg := testConfig("43", 2025)
	cfg.Scale = 10
	events := 0
	cpu0 := cpuTime()
	for b.Loop() {
		st, err := Generate(f.ref, f.issuers, cfg, func(Message) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		events += st.Events
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(events)/(cpuTime()-cpu0).Seconds(), "events/cpu-s")
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
