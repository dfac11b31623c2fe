package clickhouse

import (
	"context"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
)

// deadLetterBlockBytes bounds the raw bytes of one block of a dead-letter
// insert, so that a run of huge messages does not make huge client
// buffers (the driver keeps a connection's buffer at its largest block).
const deadLetterBlockBytes = 4 << 20

// InsertDeadLetters writes invalid messages with their reasons and raw
// bytes, in one INSERT of blocks of at most deadLetterBlockBytes.
func (db *DB) InsertDeadLetters(ctx context.Context, dls []bw.DeadLetter) error {
	if len(dls) == 0 {
		return nil
	}
	var blocks [][]column
	for lo := 0; lo < len(dls); {
		hi, size := lo, 0
		for hi < len(dls) && hi-lo < insertBlockRows && (hi == lo || size+len(dls[hi].Raw) <= deadLetterBlockBytes) {
			size += len(dls[hi].Raw)
			hi++
		}
		blocks = append(blocks, deadLetterBlock(dls[lo:hi]))
		lo = hi
	}
	return db.insertBlocks(ctx, "dead_letters", blocks)
}

func deadLetterBlock(dls []bw.DeadLetter) []column {
	n := len(dls)
	received := make([]time.Time, n)
	topic, reason, code, field := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	raw := make([][]byte, n) // the driver copies the bytes into its buffer: no string copy first
	partition := make([]int32, n)
	offset := make([]int64, n)
	for i, d := range dls {
		received[i], topic[i], partition[i], offset[i] = d.ReceivedAt, d.Topic, d.Partition, d.Offset
		raw[i], reason[i], code[i], field[i] = d.Raw, d.Reason, d.ReasonCode, d.Field
		if raw[i] == nil {
			raw[i] = []byte{}
		}
	}
	return []column{
		{"received_at", received}, {"topic", topic}, {"partition", partition}, {"offset", offset},
		{"raw", raw}, {"reason", reason}, {"reason_code", code}, {"field", field},
	}
}

// IngestBatch describes one batch flushed by ingest, for pipeline health.
type IngestBatch struct {
	FlushedAt   time.Time
	Topic       string
	Group       string
	Messages    int
	Events      int
	DeadLetters int
	Duration    time.Duration
	Lag         int64
}

// LogIngestBatch records flushed batches in ingest_log, in one insert.
func (db *DB) LogIngestBatch(ctx context.Context, bs ...IngestBatch) error {
	if len(bs) == 0 {
		return nil
	}
	n := len(bs)
	flushed, topics, groups := make([]time.Time, n), make([]string, n), make([]string, n)
	msgs, evs, dls, ms := make([]uint32, n), make([]uint32, n), make([]uint32, n), make([]uint32, n)
	lags := make([]int64, n)
	for i, b := range bs {
		flushed[i], topics[i], groups[i], lags[i] = b.FlushedAt, b.Topic, b.Group, b.Lag
		msgs[i], evs[i], dls[i] = uint32(b.Messages), uint32(b.Events), uint32(b.DeadLetters)
		ms[i] = uint32(b.Duration.Milliseconds())
	}
	return db.insertColumns(ctx, "ingest_log", []column{
		{"flushed_at", flushed}, {"topic", topics}, {"consumer_group", groups}, {"messages", msgs},
		{"events", evs}, {"dead_letters", dls}, {"duration_ms", ms}, {"lag", lags},
	})
}
