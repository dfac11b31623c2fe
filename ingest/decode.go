package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/kafka"
)

// chunkSize is how many messages one decoding goroutine takes at a time;
// each chunk becomes one block of the batch's INSERT.
const chunkSize = 16384

// ReasonMessageTooLarge is the dead-letter reason of a message larger than
// Config.MaxMessageBytes; it is not decoded, its raw bytes are kept.
const ReasonMessageTooLarge = "message_too_large"

// decoded is the outcome of decoding one chunk.
type decoded struct {
	months []*monthRows
	dead   []bw.DeadLetter
}

// decodeChunk starts decoding the messages of b not yet handed out, on a
// goroutine bounded by sem.
func (in *Ingester) decodeChunk(b *batch, sem chan struct{}) {
	if len(b.pending) == 0 {
		return
	}
	// The chunk's messages are the decoder's alone: once decoded, only the
	// dead letters keep their raw bytes, and the fetched data is freed.
	msgs := b.pending
	b.pending = make([]kafka.Message, 0, chunkSize)
	out := make(chan decoded, 1)
	b.chunks = append(b.chunks, out)
	points, now, limit := in.cfg.Points(), in.cfg.Now(), in.cfg.MaxMessageBytes
	sem <- struct{}{}
	go func() {
		defer func() { <-sem }()
		dec := bw.NewDecoder(points, in.cfg.Location)
		dec.Now = func() time.Time { return now }
		months, dead := in.decodeRange(dec, msgs, now, limit)
		in.adjust(b, decodedCost(months, msgs, dead))
		out <- decoded{months, dead}
	}()
}

// collect waits for the chunks of b and returns them in message order.
func collect(b *batch) ([]*monthRows, []bw.DeadLetter) {
	var months []*monthRows
	var dls []bw.DeadLetter
	for _, c := range b.chunks {
		d := <-c
		months = append(months, d.months...)
		dls = append(dls, d.dead...)
	}
	return months, dls
}

func (in *Ingester) decodeRange(dec *bw.Decoder, msgs []kafka.Message, now time.Time, limit int) ([]*monthRows, []bw.DeadLetter) {
	g := byMonth{loc: dec.Location, n: len(msgs), now: time.Now()}
	if s := in.sizes.Load(); s != nil {
		g.sizes = *s
	}
	defer func() {
		s := g.rowSizes()
		in.sizes.Store(&s)
	}()
	var dls []bw.DeadLetter
	var ev bw.Event
	for i := range msgs {
		m := &msgs[i]
		if len(m.Value) > limit {
			dls = append(dls, tooLarge(m, limit, now))
			continue
		}
		// The event's strings alias the message; Append copies them.
		ev = bw.Event{}
		err := dec.DecodeView(m.Value, &ev)
		if err != nil {
			dls = append(dls, deadLetter(m, err, now))
			continue
		}
		g.add(&ev, bw.Version(ev.Revision, m.Value), m)
	}
	compact(g.months)
	return g.months, dls
}

// deadLetter is the dead letter of m. Its raw bytes are a copy: the
// message's value may share the consumer's fetch buffer, which a dead
// letter kept until commit would otherwise keep whole.
func deadLetter(m *kafka.Message, err error, now time.Time) bw.DeadLetter {
	d := bw.DeadLetter{ReceivedAt: now, Topic: m.Topic, Partition: m.Partition, Offset: m.Offset,
		Raw: bytes.Clone(m.Value), Reason: err.Error(), ReasonCode: "invalid"}
	var ve *bw.ValidationError
	if errors.As(err, &ve) {
		d.ReasonCode, d.Field = ve.Code, ve.Field
	}
	return d
}

func tooLarge(m *kafka.Message, limit int, now time.Time) bw.DeadLetter {
	return bw.DeadLetter{ReceivedAt: now, Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Raw: bytes.Clone(m.Value),
		Reason:     fmt.Sprintf("message of %d bytes is larger than the limit of %d bytes (--max-message-bytes); not decoded", len(m.Value), limit),
		ReasonCode: ReasonMessageTooLarge}
}

// decodedCost is the change of a chunk's cost once decoded: its columns
// instead of its messages, less the dead letters, which keep their raw
// bytes until the batch is committed.
func decodedCost(months []*monthRows, msgs []kafka.Message, dead []bw.DeadLetter) int64 {
	var delta int64
	for _, mr := range months {
		delta += mr.rows.Bytes()
	}
	for i := range msgs {
		delta -= messageCost(&msgs[i])
	}
	for i := range dead {
		delta += int64(len(dead[i].Raw)) + perMessageCost
	}
	return delta
}
