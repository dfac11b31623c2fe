// Package broker runs an embedded, single-node Kafka-protocol broker on
// loopback for local runs and tests. It is built on franz-go's kfake and is a
// development broker only: production points --brokers at a real Kafka
// cluster, and every client of BurdenWatch talks to both the same way.
package broker

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Config configures an embedded broker.
type Config struct {
	// Listen is the host:port to listen on; port 0 picks a free port.
	Listen string
	// DataDir, when set, persists topics, data and group offsets there
	// across restarts.
	DataDir string
	// Topic is created at start with Partitions partitions.
	Topic      string
	Partitions int32
	// Retention bounds what the broker keeps per partition, so memory and
	// disk do not grow without bound.
	Retention      time.Duration
	RetentionBytes int64
	// Brokers is the number of brokers in the cluster (0 means 1); Listen
	// is the first one's address, the others take free ports on its host
	// and clients learn them from the metadata.
	Brokers int
}

// Broker is a running embedded broker.
type Broker struct {
	cluster *kfake.Cluster
	addr    string
	stop    chan struct{}
	once    sync.Once
}

// Start starts a broker with cfg. Topics other than the configured one are
// auto-created on first use, so any Kafka client can produce to it.
func Start(cfg Config) (*Broker, error) {
	host, portStr, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("broker: listen address %q: %w", cfg.Listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("broker: listen port %q: %w", portStr, err)
	}
	if port == 0 {
		if port, err = freePort(host); err != nil {
			return nil, err
		}
	}
	partitions := cfg.Partitions
	if partitions <= 0 {
		partitions = 4
	}
	ports := []int{port}
	for len(ports) < cfg.Brokers {
		p, err := freePort(host)
		if err != nil {
			return nil, err
		}
		ports = append(ports, p)
	}
	opts := []kfake.Opt{
		kfake.Ports(ports...), // one broker per port
		kfake.ListenFn(func(network, addr string) (net.Listener, error) {
			_, p, _ := net.SplitHostPort(addr)
			return net.Listen(network, net.JoinHostPort(host, p))
		}),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(int(partitions)),
		kfake.SeedTopics(partitions, cfg.Topic),
		kfake.BrokerConfigs(retentionConfigs(cfg)),
		// Consumers may ask for sessions down to 1 s, so a member that
		// crashed gives its partitions back within seconds.
		kfake.GroupMinSessionTimeout(time.Second),
	}
	if cfg.DataDir != "" {
		opts = append(opts, kfake.DataDir(cfg.DataDir))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("broker: start on %s: %w", cfg.Listen, err)
	}
	b := &Broker{cluster: c, addr: net.JoinHostPort(host, strconv.Itoa(port)), stop: make(chan struct{})}
	go b.enforceRetention()
	return b, nil
}

func retentionConfigs(cfg Config) map[string]string {
	m := map[string]string{}
	if cfg.Retention > 0 {
		m["log.retention.ms"] = strconv.FormatInt(cfg.Retention.Milliseconds(), 10)
	}
	if cfg.RetentionBytes > 0 {
		m["log.retention.bytes"] = strconv.FormatInt(cfg.RetentionBytes, 10)
	}
	return m
}

// enforceRetention applies the retention limits every minute, as a real
// broker's log cleaner would.
func (b *Broker) enforceRetention() {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.cluster.ApplyRetention()
		}
	}
}

// Addr is the host:port clients connect to.
func (b *Broker) Addr() string { return b.addr }

// Close stops the broker, persisting its state when it has a DataDir. It
// may be called more than once.
func (b *Broker) Close() {
	b.once.Do(func() {
		close(b.stop)
		b.cluster.Close()
	})
}

func freePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("broker: find a free port on %s: %w", host, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
