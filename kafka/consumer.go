package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ConsumerConfig configures a Consumer.
type ConsumerConfig struct {
	Brokers []string
	Topic   string
	Group   string
	// FetchBytes bounds what the client fetches and buffers ahead of the
	// caller: one fetch response of at most FetchBytes is in flight while
	// the previous one is handed out (a single message larger than it is
	// still fetched, alone). Default 16 MiB.
	FetchBytes int32
	// FetchPartitionBytes bounds what one fetch takes from each partition
	// (default a quarter of FetchBytes), so that a fetch carries several
	// partitions side by side: each partition of a backlog is mostly in
	// time order, and partitions read side by side keep the stream's
	// batches within a few months (a part each in ClickHouse), where one
	// partition read to its end after the other makes every batch span
	// the year.
	FetchPartitionBytes int32
	// SessionTimeout is how long the broker waits for a member's heartbeat
	// before it gives its partitions to others; after a crash the
	// restarted process waits about this long before it is assigned
	// partitions again. It must lie within the broker's
	// group.min/max.session.timeout.ms. Default 6 s (Kafka's minimum).
	SessionTimeout time.Duration
	// InstanceID, when set, makes the member static (KIP-345): a restart
	// with the same ID takes its partitions back at once, without waiting
	// for the session to expire. Each running process needs its own ID.
	InstanceID string
	// OnConnect is called after every connection attempt to a broker with
	// its outcome, so the caller can tell an outage from a recovery.
	OnConnect func(addr string, err error)
	Log       *slog.Logger
}

// Consumer reads one topic as a member of a consumer group. Offsets are
// committed only when Commit is called. Closing it leaves the group, so the
// partitions are reassigned at once.
type Consumer struct {
	cl    *kgo.Client
	group string
	mu    sync.Mutex
	buf   []fetched
}

// fetched is a record with its partition's high watermark at fetch time.
type fetched struct {
	r   *kgo.Record
	hwm int64
}

// NewConsumer joins cfg.Group on cfg.Topic (lazily, on the first Fetch).
// New groups start at the earliest offset.
func NewConsumer(cfg ConsumerConfig) (*Consumer, error) {
	if cfg.FetchBytes <= 0 {
		cfg.FetchBytes = 16 << 20
	}
	if cfg.FetchPartitionBytes <= 0 || cfg.FetchPartitionBytes > cfg.FetchBytes {
		cfg.FetchPartitionBytes = cfg.FetchBytes / 4
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = 6 * time.Second
	}
	heartbeat := max(cfg.SessionTimeout/4, 100*time.Millisecond)
	opts := []kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(cfg.Topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.SessionTimeout(cfg.SessionTimeout),
		kgo.HeartbeatInterval(heartbeat),
		kgo.RebalanceTimeout(max(2*cfg.SessionTimeout, 10*time.Second)),
		kgo.FetchMaxBytes(cfg.FetchBytes),
		kgo.FetchMaxPartitionBytes(cfg.FetchPartitionBytes),
		kgo.BrokerMaxReadBytes(max(cfg.FetchBytes+cfg.FetchBytes/2, 100<<20)),
		kgo.MaxConcurrentFetches(1),
		kgo.FetchMaxWait(500 * time.Millisecond),
		kgo.DialTimeout(3 * time.Second),
		// Outages are ridden out by retrying for ever; the caller's
		// context decides when to stop.
		kgo.RetryTimeout(0),
		kgo.RequestRetries(1 << 30),
		kgo.RetryBackoffFn(func(tries int) time.Duration {
			return min(100*time.Millisecond<<min(tries, 6), 5*time.Second)
		}),
	}
	if cfg.InstanceID != "" {
		opts = append(opts, kgo.InstanceID(cfg.InstanceID))
	}
	if cfg.OnConnect != nil {
		opts = append(opts, kgo.WithHooks(connectHook(cfg.OnConnect)))
	}
	if cfg.Log != nil {
		opts = append(opts, kgo.WithLogger(kgoLogger{cfg.Log}))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka: consumer of %s for group %s: %w", cfg.Topic, cfg.Group, err)
	}
	return &Consumer{cl: cl, group: cfg.Group}, nil
}

// connectHook reports broker connection outcomes.
type connectHook func(addr string, err error)

func (h connectHook) OnBrokerConnect(meta kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	h(net.JoinHostPort(meta.Host, fmt.Sprint(meta.Port)), err)
}

// kgoLogger passes franz-go's warnings and errors to slog; its info and
// debug lines are too chatty for an operator.
type kgoLogger struct{ log *slog.Logger }

func (l kgoLogger) Level() kgo.LogLevel { return kgo.LogLevelWarn }

func (l kgoLogger) Log(level kgo.LogLevel, msg string, kv ...any) {
	if level == kgo.LogLevelError {
		l.log.Error("kafka: "+msg, kv...)
		return
	}
	l.log.Warn("kafka: "+msg, kv...)
}

// ErrPermanent marks a consumer error that retrying cannot cure (refused
// authentication or authorization, an invalid group configuration, a
// fenced static member).
var ErrPermanent = errors.New("permanent")

// Fetch returns the next message, blocking until one is available or ctx
// ends. Broker outages are retried inside; errors that retrying cannot cure
// are returned wrapped with ErrPermanent.
func (c *Consumer) Fetch(ctx context.Context) (Message, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.buf) == 0 {
		if err := c.poll(ctx); err != nil {
			return Message{}, err
		}
	}
	f := c.buf[0]
	c.buf[0] = fetched{}
	c.buf = c.buf[1:]
	r := f.r
	return Message{
		Topic: r.Topic, Partition: r.Partition, Offset: r.Offset,
		HighWaterMark: f.hwm, Key: r.Key, Value: r.Value, Time: r.Timestamp,
	}, nil
}

// poll fills c.buf with the next fetch.
func (c *Consumer) poll(ctx context.Context) error {
	fs := c.cl.PollFetches(ctx)
	if fs.IsClientClosed() {
		return fmt.Errorf("kafka: consumer closed")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, fe := range fs.Errors() {
		if errors.Is(fe.Err, context.Canceled) || errors.Is(fe.Err, context.DeadlineExceeded) {
			return fe.Err
		}
		if permanent(fe.Err) {
			return fmt.Errorf("kafka: consume %s/%d for group %s: %w: %w", fe.Topic, fe.Partition, c.group, ErrPermanent, fe.Err)
		}
	}
	c.buf = c.buf[:0]
	fs.EachPartition(func(p kgo.FetchTopicPartition) {
		for _, r := range p.Records {
			c.buf = append(c.buf, fetched{r, p.HighWatermark})
		}
	})
	return nil
}

// permanent tells errors retrying cannot cure from network trouble.
func permanent(err error) bool {
	var ke *kerr.Error
	if !errors.As(err, &ke) {
		return false
	}
	switch ke {
	case kerr.SaslAuthenticationFailed, kerr.GroupAuthorizationFailed, kerr.TopicAuthorizationFailed,
		kerr.ClusterAuthorizationFailed, kerr.InvalidSessionTimeout, kerr.FencedInstanceID,
		kerr.InvalidGroupID, kerr.UnsupportedVersion:
		return true
	}
	return false
}

// Commit commits, for each partition, the offset after the given message.
// A partition this member no longer owns (the group rebalanced meanwhile)
// is skipped: its new owner reads the batch again, which the events table
// deduplicates.
func (c *Consumer) Commit(ctx context.Context, last []Message) error {
	offsets := map[string]map[int32]kgo.EpochOffset{}
	for _, m := range last {
		if offsets[m.Topic] == nil {
			offsets[m.Topic] = map[int32]kgo.EpochOffset{}
		}
		offsets[m.Topic][m.Partition] = kgo.EpochOffset{Epoch: -1, Offset: m.Offset + 1}
	}
	var err error
	c.cl.CommitOffsetsSync(ctx, offsets, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, e error) {
		if e != nil {
			err = e
			return
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if pe := kerr.ErrorForCode(p.ErrorCode); pe != nil && err == nil {
					err = fmt.Errorf("%s/%d: %w", t.Topic, p.Partition, pe)
				}
			}
		}
	})
	if err != nil {
		return fmt.Errorf("kafka: commit offsets of group %s: %w", c.group, err)
	}
	return nil
}

// Rebalanced reports whether a commit error means the group moved on (the
// batch is redelivered to the partition's new owner) rather than that the
// broker is unreachable.
func Rebalanced(err error) bool {
	return errors.Is(err, kerr.RebalanceInProgress) || errors.Is(err, kerr.IllegalGeneration) ||
		errors.Is(err, kerr.UnknownMemberID) || errors.Is(err, kerr.FencedInstanceID)
}

// Close leaves the group (a static member keeps its place for a restart)
// and closes the connections.
func (c *Consumer) Close() error {
	c.cl.Close()
	return nil
}
