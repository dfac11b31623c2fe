// Package kafka connects BurdenWatch to a Kafka-protocol broker: publishing
// messages and measuring a group's lag through segmentio/kafka-go, consuming
// in a consumer group with explicit offset commits and a bounded fetch
// buffer through franz-go. It works the
// same against the embedded development broker and a real cluster.
package kafka

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	kgo "github.com/segmentio/kafka-go"
)

// Message is one Kafka record as BurdenWatch sees it.
type Message struct {
	Topic         string
	Partition     int32
	Offset        int64
	HighWaterMark int64
	Key           []byte
	Value         []byte
	Time          time.Time
}

// Publisher writes messages to one topic, partitioned by key.
type Publisher struct {
	w *kgo.Writer
}

// NewPublisher returns a Publisher to topic on brokers.
func NewPublisher(brokers []string, topic string) *Publisher {
	return &Publisher{w: &kgo.Writer{
		Addr:                   kgo.TCP(brokers...),
		Topic:                  topic,
		Balancer:               &kgo.Hash{},
		BatchSize:              10000,
		BatchBytes:             1 << 20, // a record batch within Kafka's default message.max.bytes (1 MiB + 12)
		BatchTimeout:           5 * time.Millisecond,
		RequiredAcks:           kgo.RequireAll,
		AllowAutoTopicCreation: true,
	}}
}

// Publish writes msgs and waits until the broker acknowledged all of them.
func (p *Publisher) Publish(ctx context.Context, msgs []Message) error {
	out := make([]kgo.Message, len(msgs))
	for i, m := range msgs {
		out[i] = kgo.Message{Key: m.Key, Value: m.Value}
	}
	if err := p.w.WriteMessages(ctx, out...); err != nil {
		return fmt.Errorf("kafka: publish %d messages to %s: %w", len(msgs), p.w.Topic, summarize(err))
	}
	return nil
}

// summarize shortens kafka-go's per-message write errors to the first one
// and a count.
func summarize(err error) error {
	var we kgo.WriteErrors
	if !errors.As(err, &we) {
		return err
	}
	for _, e := range we {
		if e != nil {
			return fmt.Errorf("%d of %d messages failed, first: %w", we.Count(), len(we), e)
		}
	}
	return err
}

// Close flushes and closes the publisher.
func (p *Publisher) Close() error { return p.w.Close() }

// Lag returns the group's lag on the topic: for each partition, the high
// watermark minus the committed offset (or minus the first offset when the
// group has committed nothing), summed.
func Lag(ctx context.Context, brokers []string, topic, group string) (int64, error) {
	client := &kgo.Client{Addr: kgo.TCP(brokers...), Timeout: 10 * time.Second}
	parts, err := partitions(ctx, client, topic)
	if err != nil {
		return 0, err
	}
	reqs := make([]kgo.OffsetRequest, 0, 2*len(parts))
	for _, p := range parts {
		reqs = append(reqs, kgo.FirstOffsetOf(p), kgo.LastOffsetOf(p))
	}
	lo, err := client.ListOffsets(ctx, &kgo.ListOffsetsRequest{Topics: map[string][]kgo.OffsetRequest{topic: reqs}})
	if err != nil {
		return 0, fmt.Errorf("kafka: list offsets of %s: %w", topic, err)
	}
	of, err := client.OffsetFetch(ctx, &kgo.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: parts}})
	if err != nil {
		return 0, fmt.Errorf("kafka: fetch offsets of group %s: %w", group, err)
	}
	committed := map[int]int64{}
	for _, p := range of.Topics[topic] {
		committed[p.Partition] = p.CommittedOffset
	}
	var lag int64
	for _, p := range lo.Topics[topic] {
		if p.Error != nil {
			return 0, fmt.Errorf("kafka: offsets of %s/%d: %w", topic, p.Partition, p.Error)
		}
		from := p.FirstOffset
		if c, ok := committed[p.Partition]; ok && c >= 0 {
			from = c
		}
		if p.LastOffset > from {
			lag += p.LastOffset - from
		}
	}
	return lag, nil
}

func partitions(ctx context.Context, client *kgo.Client, topic string) ([]int, error) {
	md, err := client.Metadata(ctx, &kgo.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("kafka: metadata of %s: %w", topic, err)
	}
	for _, t := range md.Topics {
		if t.Name != topic {
			continue
		}
		if t.Error != nil {
			return nil, fmt.Errorf("kafka: topic %s: %w", topic, t.Error)
		}
		ps := make([]int, len(t.Partitions))
		for i, p := range t.Partitions {
			ps[i] = p.ID
		}
		return ps, nil
	}
	return nil, fmt.Errorf("kafka: topic %s not found", topic)
}

// DeleteTopic deletes topic from the cluster.
func DeleteTopic(ctx context.Context, brokers []string, topic string) error {
	client := &kgo.Client{Addr: kgo.TCP(brokers...), Timeout: 30 * time.Second}
	res, err := client.DeleteTopics(ctx, &kgo.DeleteTopicsRequest{Topics: []string{topic}})
	if err == nil {
		err = res.Errors[topic]
	}
	if err != nil {
		return fmt.Errorf("kafka: delete topic %s: %w", topic, err)
	}
	return nil
}

// Ping checks that a broker answers, with a short timeout.
func Ping(ctx context.Context, brokers []string) error {
	var errs []error
	for _, b := range brokers {
		d := net.Dialer{Timeout: 3 * time.Second}
		conn, err := d.DialContext(ctx, "tcp", b)
		if err == nil {
			conn.Close()
			return nil
		}
		errs = append(errs, err)
	}
	return fmt.Errorf("kafka: no broker of %s answers: %w", strings.Join(brokers, ","), errors.Join(errs...))
}
