package sim

import (
	"cmp"
	"container/heap"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/burdenwatch/burdenwatch"
)

// gen publishes the planned province-year day by day.
type gen struct {
	w     *world
	cfg   Config
	emit  func(Message) error
	r     *rand.Rand
	stats Stats

	today    []burdenwatch.Event // fresh events of the current day
	todayC   []*county           // and their counties
	todayI   []*issuer           // and their issuers
	byKind   [4]int
	order    []orderKey
	pending  pendingQueue
	pseq     uint64
	scratch  []byte
	slab     []byte          // message values are written into it
	injected map[string]bool // event rules broken at least once
	mustLeft [4]int          // per kind: event rules not broken yet
	malSeq   int
}

func newGen(w *world, emit func(Message) error) *gen {
	g := &gen{w: w, cfg: w.cfg, emit: emit, r: w.rngFor("events"), stats: newStats(), injected: map[string]bool{}}
	for ki, rules := range eventRules {
		g.mustLeft[ki] = len(rules)
	}
	return g
}

// run generates and publishes every day's events, then the pending
// late events, duplicates and revisions.
func (g *gen) run() error {
	for d := 0; d <= g.w.lastDay; d++ {
		g.buildDay(d)
		if err := g.publishDay(); err != nil {
			return err
		}
	}
	if err := g.flush(time.Time{}); err != nil {
		return err
	}
	for ki, n := range g.byKind {
		if n > 0 {
			g.stats.ByKind[burdenwatch.Kinds[ki]] = n
		}
	}
	return nil
}

func kindIndex(k burdenwatch.Kind) int {
	switch k {
	case burdenwatch.KindInspection:
		return kiInspection
	case burdenwatch.KindMeeting:
		return kiMeeting
	case burdenwatch.KindDocument:
		return kiDocument
	}
	return kiDataReport
}

// buildDay generates the fresh events of day d for every county.
func (g *gen) buildDay(d int) {
	g.today, g.todayC, g.todayI = g.today[:0], g.todayC[:0], g.todayI[:0]
	for _, c := range g.w.counties {
		if d < c.from {
			continue
		}
		for range c.documents[d] {
			ev, is := g.document(c, d)
			g.keep(c, &ev, is)
		}
		for range c.meetings[d] {
			ev, is := g.meeting(c, d)
			g.keep(c, &ev, is)
		}
		for range c.forms[d] {
			ev, is := g.dataReport(c, d)
			g.keep(c, &ev, is)
		}
		for ; c.nextInsp < len(c.insp) && c.insp[c.nextInsp].day == d; c.nextInsp++ {
			ev, is := g.inspection(c, c.insp[c.nextInsp])
			g.keep(c, &ev, is)
		}
	}
}

// keep holds a fresh event of county c for the day (none when is is nil).
func (g *gen) keep(c *county, ev *burdenwatch.Event, is *issuer) {
	if is == nil {
		return
	}
	g.today = append(g.today, *ev)
	g.todayC = append(g.todayC, c)
	g.todayI = append(g.todayI, is)
}

// publishDay publishes the day's events in time order, each after the
// pending messages that are due before it.
func (g *gen) publishDay() error {
	g.order = g.order[:0]
	for i := range g.today {
		g.order = append(g.order, orderKey{g.today[i].OccurredAt.Unix(), i})
	}
	slices.SortFunc(g.order, func(a, b orderKey) int {
		if a.at != b.at {
			return cmp.Compare(a.at, b.at)
		}
		return a.i - b.i
	})
	for _, o := range g.order {
		i := o.i
		ev := &g.today[i]
		if err := g.flush(ev.OccurredAt); err != nil {
			return err
		}
		if err := g.publish(ev, g.todayC[i], g.todayI[i]); err != nil {
			return err
		}
	}
	return nil
}

// orderKey orders the day's events by time, then by generation order.
type orderKey struct {
	at int64 // Unix seconds
	i  int
}

// publish sends a fresh event, or holds it back as a late event, and
// plans its duplicate, revision and malformed sibling.
func (g *gen) publish(ev *burdenwatch.Event, c *county, is *issuer) error {
	g.stats.Events++
	g.byKind[kindIndex(ev.Kind)]++
	var revision *burdenwatch.Event
	if g.r.Float64() < g.cfg.RevisionShare {
		revision = g.revise(ev)
	}
	val := g.encode(ev, is)
	at := ev.OccurredAt
	if g.r.Float64() < g.cfg.LateShare {
		at = at.Add(time.Duration(7*24*60+g.r.IntN(28*24*60)) * time.Minute)
		g.push(at, c.key, val)
		g.stats.Late++
	} else if err := g.send(c.key, val); err != nil {
		return err
	}
	if g.r.Float64() < g.cfg.DuplicateShare {
		g.push(at.Add(time.Duration(1+g.r.IntN(3*24*60))*time.Minute), c.key, val)
		g.stats.Duplicates++
	}
	if revision != nil {
		g.push(at.Add(time.Duration(60+g.r.IntN(20*24*60))*time.Minute), c.key, g.encode(revision, is))
		g.stats.Revisions++
	}
	if g.r.Float64() < g.cfg.MalformedShare {
		key, val, reason := g.malformed(ev, c)
		g.stats.Malformed++
		g.stats.MalformedByReason[reason]++
		return g.send(key, val)
	}
	return nil
}

// revise returns the corrected revision of ev: one field fixed, never the
// county or the month. A document's original gets its 文号 brackets wrong
// (ASCII [ ] for 〔 〕), which the revision corrects.
func (g *gen) revise(ev *burdenwatch.Event) *burdenwatch.Event {
	rv := *ev
	rv.Revision = ev.Revision + 1
	switch ev.Kind {
	case burdenwatch.KindDocument:
		ev.Document.DocNumber = strings.NewReplacer("〔", "[", "〕", "]").Replace(ev.Document.DocNumber)
		rv.Document.VetoItems = slices.Clone(ev.Document.VetoItems)
	case burdenwatch.KindMeeting:
		rv.Meeting.Attendees += uint32(1 + g.r.IntN(3))
	case burdenwatch.KindInspection:
		rv.Inspection.TeamSize++
	case burdenwatch.KindDataReport:
		rv.DataReport.EstimatedMinutes += uint32(10 + g.r.IntN(21))
	}
	return &rv
}

// encode returns the wire bytes of ev in a slice of its own, written
// straight into the slab: a megabyte at a time, so messages cost no
// allocation of their own. The slice is capped so that appending to it
// cannot touch the next message.
func (g *gen) encode(ev *burdenwatch.Event, is *issuer) []byte {
	const room = 16 << 10 // far more than any event needs
	if cap(g.slab)-len(g.slab) < room {
		g.slab = make([]byte, 0, 1<<20)
	}
	n := len(g.slab)
	g.slab = ev.AppendJSON(g.slab)
	return g.slab[n:len(g.slab):len(g.slab)]
}

func (g *gen) send(key, val []byte) error {
	g.stats.Messages++
	if err := g.emit(Message{Key: key, Value: val}); err != nil {
		return fmt.Errorf("emit message %d: %w", g.stats.Messages, err)
	}
	return nil
}

// push holds a message back until due.
func (g *gen) push(due time.Time, key, val []byte) {
	g.pseq++
	heap.Push(&g.pending, pendingMsg{due: due, seq: g.pseq, key: key, val: val})
}

// flush sends the pending messages due at or before t (all of them when t
// is zero), in due order.
func (g *gen) flush(t time.Time) error {
	for len(g.pending) > 0 && (t.IsZero() || !g.pending[0].due.After(t)) {
		m := heap.Pop(&g.pending).(pendingMsg)
		if err := g.send(m.key, m.val); err != nil {
			return err
		}
	}
	return nil
}

// pendingMsg is a message held back: a late event, a duplicate or a
// revision.
type pendingMsg struct {
	due      time.Time
	seq      uint64
	key, val []byte
}

// pendingQueue is a min-heap of pending messages by due time, then by
// the order they were pushed.
type pendingQueue []pendingMsg

func (q pendingQueue) Len() int { return len(q) }
func (q pendingQueue) Less(i, j int) bool {
	if c := q[i].due.Compare(q[j].due); c != 0 {
		return c < 0
	}
	return q[i].seq < q[j].seq
}
func (q pendingQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *pendingQueue) Push(x any)   { *q = append(*q, x.(pendingMsg)) }
func (q *pendingQueue) Pop() any {
	old := *q
	m := old[len(old)-1]
	*q = old[:len(old)-1]
	return m
}
