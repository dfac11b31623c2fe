package clickhouse

import (
	"context"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
)

// InsertDeadLetters writes invalid messages with their reasons.
func (db *DB) InsertDeadLetters(ctx context.Context, dls []bw.DeadLetter) error {
	if len(dls) == 0 {
		return nil
	}
	n := len(dls)
	received := make([]time.Time, n)
	topic, raw, reason, code, field := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	partition := make([]int32, n)
	offset := make([]int64, n)
	for i, d := range dls {
		received[i], topic[i], partition[i], offset[i] = d.ReceivedAt, d.Topic, d.Partition, d.Offset
		raw[i], reason[i], code[i], field[i] = string(d.Raw), d.Reason, d.ReasonCode, d.Field
	}
	return db.insertColumns(ctx, "dead_letters", []column{
		{"received_at", received}, {"topic", topic}, {"partition", partition}, {"offset", offset},
		{"raw", raw}, {"reason", reason}, {"reason_code", code}, {"field", field},
	})
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

// LogIngestBatch records a flushed batch in ingest_log.
func (db *DB) LogIngestBatch(ctx context.Context, b IngestBatch) error {
	return db.insertColumns(ctx, "ingest_log", []column{
		{"flushed_at", []time.Time{b.FlushedAt}}, {"topic", []string{b.Topic}},
		{"consumer_group", []string{b.Group}}, {"messages", []uint32{uint32(b.Messages)}},
		{"events", []uint32{uint32(b.Events)}}, {"dead_letters", []uint32{uint32(b.DeadLetters)}},
		{"duration_ms", []uint32{uint32(b.Duration.Milliseconds())}}, {"lag", []int64{b.Lag}},
	})
}
