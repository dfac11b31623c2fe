package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/prometheus/client_golang/prometheus"
)

// The services ingest depends on, as Health names them.
const (
	ServiceClickHouse = "clickhouse"
	ServiceKafka      = "kafka"
)

// Health tracks whether the services ingest depends on are reachable. It
// logs once per change of state (not once per retry), exports the state as
// metrics and answers readiness checks. It is safe for concurrent use.
type Health struct {
	log   *slog.Logger
	now   func() time.Time
	up    *prometheus.GaugeVec
	ready prometheus.Gauge

	mu   sync.Mutex
	down map[string]outage
}

// outage is one service's current outage.
type outage struct {
	since time.Time
	err   error
}

// NewHealth returns a Health with every service up, registering its
// metrics with reg (nil: none).
func NewHealth(log *slog.Logger, reg prometheus.Registerer) *Health {
	if log == nil {
		log = slog.Default()
	}
	h := &Health{
		log: log, now: time.Now, down: map[string]outage{},
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "burdenwatch_ingest_service_up",
			Help: "Whether ingest reaches the service (1) or rides out an outage (0).",
		}, []string{"service"}),
		ready: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "burdenwatch_ingest_ready",
			Help: "1 when ClickHouse and Kafka are both reachable, 0 during an outage.",
		}),
	}
	for _, s := range []string{ServiceClickHouse, ServiceKafka} {
		h.up.WithLabelValues(s).Set(1)
	}
	h.ready.Set(1)
	if reg != nil {
		reg.MustRegister(h.up, h.ready)
	}
	return h
}

// Down records that service failed with a transient error. The first
// failure of an outage is logged; later ones are not.
func (h *Health) Down(service string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if o, ok := h.down[service]; ok {
		o.err = err
		h.down[service] = o
		return
	}
	h.down[service] = outage{since: h.now(), err: err}
	h.log.Warn(service+" unreachable; retrying until it is back", "err", err)
	h.up.WithLabelValues(service).Set(0)
	h.ready.Set(0)
}

// Up records that service answered. The end of an outage is logged with
// its duration.
func (h *Health) Up(service string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	o, ok := h.down[service]
	if !ok {
		return
	}
	delete(h.down, service)
	h.log.Info(service+" reachable again; resuming", "outage", h.now().Sub(o.since).Round(time.Millisecond))
	h.up.WithLabelValues(service).Set(1)
	if len(h.down) == 0 {
		h.ready.Set(1)
	}
}

// KafkaConnect is a kafka.ConsumerConfig.OnConnect callback: a failed
// connection to a broker marks Kafka down, a successful one up.
func (h *Health) KafkaConnect(addr string, err error) {
	if err != nil {
		h.Down(ServiceKafka, fmt.Errorf("broker %s: %w", addr, err))
		return
	}
	h.Up(ServiceKafka)
}

// Ready returns nil when every service is reachable, or an error naming
// the ones that are not, since when, and why.
func (h *Health) Ready() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var errs []error
	for _, s := range h.sortedDown() {
		o := h.down[s]
		errs = append(errs, fmt.Errorf("%s unreachable for %s: %w", s, h.now().Sub(o.since).Round(time.Second), o.err))
	}
	return errors.Join(errs...)
}

// exceeded returns an error when a service has been down for longer than
// limit (0: no limit).
func (h *Health) exceeded(limit time.Duration) error {
	if limit <= 0 {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.sortedDown() {
		o := h.down[s]
		if d := h.now().Sub(o.since); d > limit {
			return fmt.Errorf("ingest: giving up: %s unreachable for %s (more than --max-outage %s): %w",
				s, d.Round(time.Second), limit, o.err)
		}
	}
	return nil
}

func (h *Health) sortedDown() []string {
	out := make([]string, 0, len(h.down))
	for s := range h.down {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Await runs f until it succeeds, retrying the errors transient accepts
// with capped exponential backoff and jitter while service is marked down;
// any other error is returned at once. With limit > 0 it gives up once the
// outage lasted longer. Commands use it to wait at start-up for a service
// that is not there yet.
func (h *Health) Await(ctx context.Context, service string, limit time.Duration, transient func(error) bool, f func(context.Context) error) error {
	return h.retry(ctx, service, limit, func() error {
		err := f(ctx)
		if err != nil && !transient(err) {
			return backoff.Permanent(err)
		}
		return err
	})
}

// retry runs f until it succeeds, fails permanently (f wraps such errors
// with backoff.Permanent), ctx ends, or service has been down for longer
// than limit (0: no limit). Failures mark service down, a success up.
func (h *Health) retry(ctx context.Context, service string, limit time.Duration, f func() error) error {
	bo := &backoff.ExponentialBackOff{InitialInterval: 200 * time.Millisecond, RandomizationFactor: 0.5,
		Multiplier: 2, MaxInterval: 10 * time.Second}
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		err := f()
		if err == nil {
			h.Up(service)
			return struct{}{}, nil
		}
		var perm *backoff.PermanentError
		if errors.As(err, &perm) {
			return struct{}{}, err
		}
		h.Down(service, err)
		h.log.Debug(service+" attempt failed", "err", err)
		if lerr := h.exceeded(limit); lerr != nil {
			return struct{}{}, backoff.Permanent(lerr)
		}
		return struct{}{}, err
	}, backoff.WithBackOff(bo), backoff.WithMaxElapsedTime(0))
	return err
}
