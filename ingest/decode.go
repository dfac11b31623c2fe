package ingest

import (
	"errors"
	"fmt"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
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
	rows *clickhouse.EventRows
	dead []bw.DeadLetter
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
		rows, dead := decodeRange(dec, msgs, now, limit)
		out <- decoded{rows, dead}
	}()
}

// collect waits for the chunks of b and returns them in message order.
func collect(b *batch) ([]*clickhouse.EventRows, []bw.DeadLetter) {
	parts := make([]*clickhouse.EventRows, 0, len(b.chunks))
	var dls []bw.DeadLetter
	for _, c := range b.chunks {
		d := <-c
		parts = append(parts, d.rows)
		dls = append(dls, d.dead...)
	}
	return parts, dls
}

func decodeRange(dec *bw.Decoder, msgs []kafka.Message, now time.Time, limit int) (*clickhouse.EventRows, []bw.DeadLetter) {
	rows := clickhouse.NewEventRows(len(msgs))
	var dls []bw.DeadLetter
	for i := range msgs {
		m := &msgs[i]
		if len(m.Value) > limit {
			dls = append(dls, tooLarge(m, limit, now))
			continue
		}
		ev, err := dec.Decode(m.Value)
		if err != nil {
			dls = append(dls, deadLetter(m, err, now))
			continue
		}
		rows.Append(&ev, bw.Version(ev.Revision, m.Value),
			clickhouse.Delivery{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset})
	}
	return rows, dls
}

func deadLetter(m *kafka.Message, err error, now time.Time) bw.DeadLetter {
	d := bw.DeadLetter{ReceivedAt: now, Topic: m.Topic, Partition: m.Partition, Offset: m.Offset,
		Raw: m.Value, Reason: err.Error(), ReasonCode: "invalid"}
	var ve *bw.ValidationError
	if errors.As(err, &ve) {
		d.ReasonCode, d.Field = ve.Code, ve.Field
	}
	return d
}

func tooLarge(m *kafka.Message, limit int, now time.Time) bw.DeadLetter {
	return bw.DeadLetter{ReceivedAt: now, Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Raw: m.Value,
		Reason:     fmt.Sprintf("message of %d bytes is larger than the limit of %d bytes (--max-message-bytes); not decoded", len(m.Value), limit),
		ReasonCode: ReasonMessageTooLarge}
}
