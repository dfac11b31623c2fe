package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/cenkalti/backoff/v5"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/kafka"
)

// DefaultTopic is the Kafka topic of alert messages (SPEC §8.5).
const DefaultTopic = "burden.alerts"

// Delivery channels recorded in alert_deliveries.
const (
	ChannelKafka   = "kafka"
	ChannelWebhook = "webhook"
)

// Sink delivers the alerts of one evaluation. DATA's transform calls it
// after each recompute with every alert Evaluate returned; a Sink must
// make repeated calls with the same alerts harmless.
type Sink interface {
	Deliver(ctx context.Context, alerts []bw.Alert) error
}

// Store keeps alerts and their deliveries (implemented by
// *clickhouse.DB: the alerts and alert_deliveries tables).
type Store interface {
	// SaveAlerts writes the alerts and returns them as stored (an alert
	// already stored keeps its FirstSeen).
	SaveAlerts(ctx context.Context, alerts []bw.Alert) ([]bw.Alert, error)
	// DeliveredAlerts returns which of ids were delivered on channel.
	DeliveredAlerts(ctx context.Context, channel string, ids []string) (map[string]bool, error)
	// RecordAlertDeliveries records ids as delivered on channel.
	RecordAlertDeliveries(ctx context.Context, channel string, ids []string, attempts []uint32) error
}

// Publisher publishes messages to the alerts topic (implemented by
// *kafka.Publisher).
type Publisher interface {
	Publish(ctx context.Context, msgs []kafka.Message) error
}

// Delivering is the Sink of a running BurdenWatch: every alert is a row
// in the Store; each alert not yet delivered on a channel is published on
// Kafka (when Publisher is set) and POSTed to Webhook (when set), then
// recorded as delivered on that channel. A crash after publishing and
// before recording sends that alert again on the next run; receivers
// deduplicate by alert_id (the Kafka key, the webhook's Idempotency-Key).
type Delivering struct {
	Store     Store
	Publisher Publisher // nil: no Kafka messages
	Webhook   string    // URL; "" = no webhook
	// Client makes the webhook calls; nil means a client with a 10 s
	// timeout per call.
	Client *http.Client
	// MaxElapsed bounds the webhook calls of one Deliver (default 2 min):
	// each alert is retried with exponential backoff from 200 ms, capped
	// at 10 s between attempts, until answered 2xx or the budget is spent.
	// Alerts not delivered by then stay undelivered, Deliver returns an
	// error naming them, and the next Deliver tries them again; an
	// unreachable webhook never holds a recompute longer than this.
	MaxElapsed time.Duration
	Log        *slog.Logger // nil: slog.Default()
}

// Deliver implements Sink.
func (d *Delivering) Deliver(ctx context.Context, alerts []bw.Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	stored, err := d.Store.SaveAlerts(ctx, alerts)
	if err != nil {
		return fmt.Errorf("alert: store: %w", err)
	}
	if d.Publisher != nil {
		if err := d.deliverKafka(ctx, stored); err != nil {
			return err
		}
	}
	if d.Webhook != "" {
		return d.deliverWebhook(ctx, stored)
	}
	return nil
}

// pending returns the alerts not yet delivered on channel.
func (d *Delivering) pending(ctx context.Context, channel string, alerts []bw.Alert) ([]bw.Alert, error) {
	ids := make([]string, len(alerts))
	for i, a := range alerts {
		ids[i] = a.ID
	}
	done, err := d.Store.DeliveredAlerts(ctx, channel, ids)
	if err != nil {
		return nil, fmt.Errorf("alert: read %s deliveries: %w", channel, err)
	}
	var out []bw.Alert
	for _, a := range alerts {
		if !done[a.ID] {
			out = append(out, a)
		}
	}
	return out, nil
}

func (d *Delivering) deliverKafka(ctx context.Context, alerts []bw.Alert) error {
	todo, err := d.pending(ctx, ChannelKafka, alerts)
	if err != nil || len(todo) == 0 {
		return err
	}
	msgs := make([]kafka.Message, len(todo))
	ids := make([]string, len(todo))
	attempts := make([]uint32, len(todo))
	for i, a := range todo {
		body, err := Marshal(a)
		if err != nil {
			return err
		}
		msgs[i], ids[i], attempts[i] = kafka.Message{Key: []byte(a.ID), Value: body}, a.ID, 1
	}
	if err := d.Publisher.Publish(ctx, msgs); err != nil {
		return fmt.Errorf("alert: publish %d alerts: %w", len(msgs), err)
	}
	if err := d.Store.RecordAlertDeliveries(ctx, ChannelKafka, ids, attempts); err != nil {
		return fmt.Errorf("alert: record kafka deliveries: %w", err)
	}
	d.log().Info("alerts published", "count", len(msgs))
	return nil
}

func (d *Delivering) deliverWebhook(ctx context.Context, alerts []bw.Alert) error {
	todo, err := d.pending(ctx, ChannelWebhook, alerts)
	if err != nil || len(todo) == 0 {
		return err
	}
	budget := d.MaxElapsed
	if budget <= 0 {
		budget = 2 * time.Minute
	}
	wctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	var errs []error
	for i, a := range todo {
		n, err := d.post(wctx, a)
		if err != nil {
			errs = append(errs, err)
			if wctx.Err() != nil {
				errs = append(errs, fmt.Errorf("alert: webhook %s: %d alerts left undelivered after %s", d.Webhook, len(todo)-i, budget))
				break
			}
			continue
		}
		if err := d.Store.RecordAlertDeliveries(ctx, ChannelWebhook, []string{a.ID}, []uint32{n}); err != nil {
			return fmt.Errorf("alert: record webhook delivery of %s: %w", a.ID, err)
		}
	}
	return errors.Join(errs...)
}

// post sends one alert to the webhook until it answers 2xx, and returns
// the number of attempts. 4xx answers other than 408 and 429 are not
// retried: the receiver refuses the alert and will until it is fixed.
func (d *Delivering) post(ctx context.Context, a bw.Alert) (uint32, error) {
	body, err := Marshal(a)
	if err != nil {
		return 0, err
	}
	var attempts uint32
	bo := &backoff.ExponentialBackOff{InitialInterval: 200 * time.Millisecond, RandomizationFactor: 0.5,
		Multiplier: 2, MaxInterval: 10 * time.Second}
	_, err = backoff.Retry(ctx, func() (struct{}, error) {
		attempts++
		err := d.postOnce(ctx, a.ID, body)
		if err != nil {
			d.log().Warn("alert webhook attempt failed", "alert_id", a.ID, "attempt", attempts, "err", err)
		}
		return struct{}{}, err
	}, backoff.WithBackOff(bo), backoff.WithMaxElapsedTime(0))
	if err != nil {
		return attempts, fmt.Errorf("alert: webhook %s: alert %s after %d attempts: %w", d.Webhook, a.ID, attempts, err)
	}
	return attempts, nil
}

// postOnce makes one POST; a non-2xx answer is an error, permanent for a
// 4xx other than 408 and 429.
func (d *Delivering) postOnce(ctx context.Context, id string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Webhook, bytes.NewReader(body))
	if err != nil {
		return backoff.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", id)
	resp, err := d.client().Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c >= 400 && c < 500 && c != http.StatusRequestTimeout && c != http.StatusTooManyRequests:
		return backoff.Permanent(fmt.Errorf("answered %s", resp.Status))
	default:
		return fmt.Errorf("answered %s", resp.Status)
	}
}

func (d *Delivering) client() *http.Client {
	if d.Client != nil {
		return d.Client
	}
	return &http.Client{Timeout: 10 * time.Second}
}

func (d *Delivering) log() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.Default()
}

// Message is the JSON form of an alert on Kafka and the webhook.
type Message struct {
	AlertID      string  `json:"alert_id"`
	Level        string  `json:"level"`
	ProvinceCode string  `json:"province_code"`
	CountyCode   string  `json:"county_code"`
	Year         int     `json:"year"`
	Scope        string  `json:"scope"`
	Value        float64 `json:"value"`
	Limit        float64 `json:"limit"`
	Projected    float64 `json:"projected"`
	Month        string  `json:"month"`      // YYYY-MM-DD, first day of the month first crossed
	FirstSeen    string  `json:"first_seen"` // RFC 3339, Asia/Shanghai
}

// Marshal returns the JSON message of an alert.
func Marshal(a bw.Alert) ([]byte, error) {
	b, err := json.Marshal(Message{
		AlertID: a.ID, Level: string(a.Level), ProvinceCode: a.ProvinceCode, CountyCode: a.CountyCode,
		Year: a.Year, Scope: a.Scope, Value: a.Value, Limit: a.Limit, Projected: a.Projected,
		Month: a.Month.Format(time.DateOnly), FirstSeen: a.FirstSeen.Format(time.RFC3339),
	})
	if err != nil {
		return nil, fmt.Errorf("alert: marshal %s: %w", a.ID, err)
	}
	return b, nil
}
