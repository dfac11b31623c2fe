package transform

import (
	"context"
	"sort"
	"strconv"
	"time"

	"github.com/burdenwatch/burdenwatch/clickhouse"
)

// State names in transform_state. The events watermark W is the ingest
// sequence below which every event row is known to be computed; rows
// above it are computed again by the next run that has work. A run sets W
// to min(highest sequence, now − margin): ingest sequences are taken from
// the clock before a batch is written, so a batch with a sequence just
// below the highest may still be committed after the run read the table.
const (
	stateEvents   = "transform.events"   // W
	stateTop      = "transform.top"      // highest ingest sequence seen
	stateRequests = "transform.requests" // recompute_requests seq handled up to
	statePending  = "transform.pending@" // + W: event rows above W seen
)

// work is what one run recomputes, and the state it reaches.
type work struct {
	pys                               []clickhouse.ProvinceYear
	watermark, top, pending, requests uint64
	from                              state // the stored state the run started from
	// touched is what the rows above from.watermark touched, when they
	// were at most maxGroupedTouched (nil otherwise, or when none arrived).
	touched *clickhouse.Touched
}

// maxGroupedTouched is the most rows above the watermark for which
// findWork learns the duplicates of the touched events with their
// province-years (clickhouse.DB.TouchedSince), for the incremental reads;
// above it, as on a first run over a whole table, whose recompute reads
// every event anyway, it asks for the province-years alone.
const maxGroupedTouched = 1_000_000

// reached is the state saveState stores for w: what the next run reads.
func (w work) reached() state {
	return state{watermark: w.watermark, top: w.top, pending: w.pending, requests: w.requests}
}

// findWork lists the province-years to recompute: every one with events
// when cfg.Full; else, when rows arrived since the last run (a higher
// sequence, or more rows above the watermark), those touched by rows above
// the watermark, including the province-years of the earlier deliveries
// of those events; plus those named by recompute requests queued since
// the last run.
func findWork(ctx context.Context, db *clickhouse.DB, cfg Config) (work, error) {
	var w work
	st, err := readState(ctx, db)
	if err != nil {
		return w, err
	}
	w.from = st
	// The rows above the stored watermark, and above the new one: that is
	// the stored one, the top, or now − margin (one scan counts all).
	horizon := uint64(time.Now().Add(-cfg.margin()).UnixNano())
	top, counts, err := db.IngestCounts(ctx, st.watermark, max(st.watermark, horizon))
	if err != nil {
		return w, err
	}
	pending := counts[0]
	reqs, reqTop, err := db.RecomputeRequests(ctx, st.requests)
	if err != nil {
		return w, err
	}
	w.top, w.requests = max(top, st.top), max(reqTop, st.requests)
	w.watermark = max(st.watermark, min(top, horizon))
	switch w.watermark {
	case st.watermark:
		w.pending = counts[0]
	case top:
		w.pending = 0 // nothing lies above the top
	default: // the horizon
		w.pending = counts[1]
	}
	var all []clickhouse.ProvinceYear
	if cfg.Full || len(reqs) > 0 { // a scan of the events table, needed only then
		if all, err = db.AllProvinceYears(ctx); err != nil || cfg.Full {
			w.pys = all
			return w, err
		}
	}
	var changed []clickhouse.ProvinceYear
	switch {
	case top <= st.top && pending <= st.pending: // nothing arrived
	case pending <= maxGroupedTouched:
		if w.touched, err = db.TouchedSince(ctx, st.watermark); err != nil {
			return w, err
		}
		changed = w.touched.ProvinceYears
	default:
		if changed, err = db.ChangedProvinceYears(ctx, st.watermark); err != nil {
			return w, err
		}
	}
	w.pys = union(changed, expand(reqs, all))
	return w, nil
}

// state is the transformer's stored progress.
type state struct{ watermark, top, pending, requests uint64 }

func readState(ctx context.Context, db *clickhouse.DB) (state, error) {
	ws, err := db.Watermarks(ctx, stateEvents, stateTop, stateRequests)
	if err != nil {
		return state{}, err
	}
	st := state{watermark: ws[stateEvents], top: ws[stateTop], requests: ws[stateRequests]}
	st.pending, err = db.Watermark(ctx, statePending+strconv.FormatUint(st.watermark, 10))
	return st, err
}

// saveState stores the progress of a completed run in one insert: a
// crash leaves the state before the run or after it, never a mix.
func saveState(ctx context.Context, db *clickhouse.DB, w work) error {
	return db.SetWatermarks(ctx, map[string]uint64{
		statePending + strconv.FormatUint(w.watermark, 10): w.pending, stateTop: w.top,
		stateRequests: w.requests, stateEvents: w.watermark,
	})
}

func (cfg Config) margin() time.Duration {
	if cfg.Margin <= 0 {
		return 5 * time.Minute
	}
	return cfg.Margin
}

// expand resolves requests with Province "" or Year 0 against the
// province-years that have events.
func expand(reqs, all []clickhouse.ProvinceYear) []clickhouse.ProvinceYear {
	var out []clickhouse.ProvinceYear
	for _, r := range reqs {
		for _, py := range all {
			if (r.Province == "" || r.Province == py.Province) && (r.Year == 0 || r.Year == py.Year) {
				out = append(out, py)
			}
		}
	}
	return out
}

// union merges province-year lists without duplicates, sorted.
func union(lists ...[]clickhouse.ProvinceYear) []clickhouse.ProvinceYear {
	seen := map[clickhouse.ProvinceYear]bool{}
	var out []clickhouse.ProvinceYear
	for _, l := range lists {
		for _, py := range l {
			if !seen[py] {
				seen[py] = true
				out = append(out, py)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.Province < b.Province || (a.Province == b.Province && a.Year < b.Year)
	})
	return out
}
