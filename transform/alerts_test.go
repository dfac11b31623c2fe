package transform_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/internal/testenv"
	"github.com/burdenwatch/burdenwatch/transform"
)

// recordingSink keeps what it is handed, or fails.
type recordingSink struct {
	calls [][]bw.Alert
	err   error
}

func (s *recordingSink) Deliver(_ context.Context, alerts []bw.Alert) error {
	s.calls = append(s.calls, alerts)
	return s.err
}

func TestAlertsStep(t *testing.T) {
	db, _ := testenv.ClickHouse(t)
	ref := reference()
	ref.Quotas[0].Documents = ptr(2) // the scenario's 3 documents by February exceed it
	loadRef(t, db, ref)
	a, b := scenario(t)
	insert(t, db, a...)
	insert(t, db, b...)
	sink := &recordingSink{}
	cfg := transform.Config{Packs: shippedPacks(t), Alerts: sink, Now: time.Date(2025, 3, 15, 12, 0, 0, 0, shanghai)}
	if _, err := transform.Run(context.Background(), db, cfg); err != nil {
		t.Fatal(err)
	}
	if len(sink.calls) != 1 {
		t.Fatalf("Deliver called %d times, want once for 43/2025", len(sink.calls))
	}
	ids := map[string]bw.Alert{}
	for _, al := range sink.calls[0] {
		ids[al.ID] = al
	}
	breach, ok := ids["430102/2025/documents.quota/breach"]
	if !ok || breach.Value != 3 || breach.Limit != 2 || !breach.Month.Equal(month(2)) {
		t.Errorf("alerts %+v, want the documents quota breach of February (3 of 2)", sink.calls[0])
	}

	sink.err = errors.New("kafka down")
	cfg.Full = true
	_, err := transform.Run(context.Background(), db, cfg)
	var de *transform.DeliveryError
	if err == nil || !strings.Contains(err.Error(), "kafka down") || !errors.As(err, &de) {
		t.Errorf("a failing sink: %v, want its error as a *transform.DeliveryError", err)
	}
}
