package broker_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/burdenwatch/burdenwatch/broker"
	"github.com/burdenwatch/burdenwatch/kafka"
)

const topic = "persist.events"

// TestRestartKeepsDataAndOffsets stops a broker with a data directory and
// starts it again on the same port: the messages and the committed offsets
// of a group are still there.
func TestRestartKeepsDataAndOffsets(t *testing.T) {
	dir := t.TempDir()
	b, err := broker.Start(broker.Config{Listen: "127.0.0.1:0", Topic: topic, Partitions: 4, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addr := []string{b.Addr()}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const n, read = 100, 60
	p := kafka.NewPublisher(addr, topic)
	var msgs []kafka.Message
	for i := 0; i < n; i++ {
		msgs = append(msgs, kafka.Message{Key: []byte(fmt.Sprint(i % 7)), Value: []byte(fmt.Sprintf("message %03d", i))})
	}
	if err := p.Publish(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	p.Close()
	got := consume(t, ctx, addr, "g", read, true)
	if len(got) != read {
		t.Fatalf("read %d messages before the restart, want %d", len(got), read)
	}
	b.Close()
	b2, err := broker.Start(broker.Config{Listen: addr[0], Topic: topic, Partitions: 4, DataDir: dir})
	if err != nil {
		t.Fatalf("restart on %s: %v", addr[0], err)
	}
	defer b2.Close()
	lag, err := kafka.Lag(ctx, addr, topic, "g")
	for tries := 0; err != nil && tries < 50; tries++ { // the first requests may race the broker's start
		time.Sleep(100 * time.Millisecond)
		lag, err = kafka.Lag(ctx, addr, topic, "g")
	}
	if err != nil || lag != n-read {
		t.Errorf("lag of the group after the restart = %d, %v; want %d (its commits kept)", lag, err, n-read)
	}
	all := consume(t, ctx, addr, "new", n, false)
	seen := map[string]bool{}
	for _, m := range all {
		seen[string(m.Value)] = true
	}
	for _, m := range msgs {
		if !seen[string(m.Value)] {
			t.Errorf("%q lost in the restart", m.Value)
		}
	}
}

// consume reads n messages as group and, with commit, commits them.
func consume(t *testing.T, ctx context.Context, addr []string, group string, n int, commit bool) []kafka.Message {
	t.Helper()
	c, err := kafka.NewConsumer(kafka.ConsumerConfig{Brokers: addr, Topic: topic, Group: group})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out []kafka.Message
	last := map[int32]kafka.Message{}
	for len(out) < n {
		m, err := c.Fetch(ctx)
		if err != nil {
			t.Fatalf("fetch %d of %d: %v", len(out)+1, n, err)
		}
		out = append(out, m)
		last[m.Partition] = m
	}
	if commit {
		var ms []kafka.Message
		for _, m := range last {
			ms = append(ms, m)
		}
		if err := c.Commit(ctx, ms); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
