package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/kafka"
	"github.com/burdenwatch/burdenwatch/rules"
)

// FollowConfig says which topic the service follows.
type FollowConfig struct {
	Brokers []string
	Topic   string
	// Group is the service's own consumer group. It never commits: every
	// start reads the topic from the beginning (events already loaded from
	// ClickHouse are recognised by their version and skipped), so an event
	// is never lost to an offset committed before ingest stored it.
	Group string
	Log   *slog.Logger
}

// Follow consumes the events topic into the index until ctx ends, with the
// same decoder as ingest (bw.Decoder, the observation points of the
// index's current reference data). Invalid messages are counted and
// skipped: ingest dead-letters them. It returns nil when ctx ends.
func (s *Server) Follow(ctx context.Context, cfg FollowConfig) error {
	log := cfg.Log
	if log == nil {
		log = s.cfg.Log
	}
	c, err := kafka.NewConsumer(kafka.ConsumerConfig{Brokers: cfg.Brokers, Topic: cfg.Topic, Group: cfg.Group, Log: log})
	if err != nil {
		return fmt.Errorf("serve: follow %s: %w", cfg.Topic, err)
	}
	defer c.Close()
	dec := bw.NewDecoder(nil, s.cfg.Location)
	dec.Point = func(county string) (bw.ObservationPoint, bool) {
		p, ok := s.cfg.Index.Reference().points[county]
		return p, ok
	}
	for {
		m, err := c.Fetch(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, kafka.ErrPermanent) {
				return fmt.Errorf("serve: follow %s: %w", cfg.Topic, err)
			}
			log.Warn("follow events topic", "topic", cfg.Topic, "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Second):
			}
			continue
		}
		s.metrics.lag.Set(float64(max(m.HighWaterMark-m.Offset-1, 0)))
		ev, err := dec.Decode(m.Value)
		if err != nil {
			s.metrics.invalid.Inc()
			continue
		}
		s.metrics.applied.Inc()
		s.cfg.Index.Apply(&ev, bw.Version(ev.Revision, m.Value))
	}
}

// Loader reads the service's data from storage (clickhouse.DB implements
// it through LoadFromClickHouse's adapter).
type Loader interface {
	ReferenceData(ctx context.Context) (*bw.ReferenceData, error)
	Inspections(ctx context.Context, each func(evs []bw.Event, versions []uint64)) error
}

// LoadReference reads the reference data into the index.
func LoadReference(ctx context.Context, ix *Index, l Loader, packs rules.Packs) error {
	ref, err := l.ReferenceData(ctx)
	if err != nil {
		return fmt.Errorf("serve: load reference data: %w", err)
	}
	ix.SetReference(NewReference(ref, packs))
	return nil
}

// LoadInspections reads every stored inspection event into the index and
// marks it loaded.
func LoadInspections(ctx context.Context, ix *Index, l Loader) error {
	if err := l.Inspections(ctx, ix.ApplyBatch); err != nil {
		return fmt.Errorf("serve: load inspection events: %w", err)
	}
	ix.MarkLoaded()
	return nil
}
