package ingest

import (
	"time"

	"errors"
	"sync"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/kafka"
)

// decode validates msgs on cfg.Workers goroutines, each taking a contiguous
// share, and returns the valid events (one EventRows per worker) and the
// dead letters in message order.
func (in *Ingester) decode(msgs []kafka.Message) ([]*clickhouse.EventRows, []bw.DeadLetter) {
	workers := min(in.cfg.Workers, max(1, len(msgs)/1000))
	parts := make([]*clickhouse.EventRows, workers)
	dead := make([][]bw.DeadLetter, workers)
	points := in.cfg.Points()
	now := in.cfg.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*len(msgs)/workers, (w+1)*len(msgs)/workers
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			dec := bw.NewDecoder(points, in.cfg.Location)
			dec.Now = func() time.Time { return now }
			parts[w], dead[w] = decodeRange(dec, msgs[lo:hi], now)
		}(w)
	}
	wg.Wait()
	var dls []bw.DeadLetter
	for _, d := range dead {
		dls = append(dls, d...)
	}
	return parts, dls
}

func decodeRange(dec *bw.Decoder, msgs []kafka.Message, now time.Time) (*clickhouse.EventRows, []bw.DeadLetter) {
	rows := clickhouse.NewEventRows(len(msgs))
	var dls []bw.DeadLetter
	for i := range msgs {
		m := &msgs[i]
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
