package transform

import (
	"context"
	"fmt"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/alert"
	"github.com/burdenwatch/burdenwatch/columnar"
	"github.com/burdenwatch/burdenwatch/indicator"
	"github.com/burdenwatch/burdenwatch/rules"
)

// alerts is the alerts step: it evaluates the early warnings of the
// province-year (alert.Evaluate) and hands them to Config.Alerts; without
// a sink there is nothing to deliver them to and nothing is evaluated.
func alerts(ctx context.Context, cfg Config, pack rules.Pack, ev *columnar.Events, ref *bw.ReferenceData,
	res *indicator.Result) error {
	if cfg.Alerts == nil {
		return nil
	}
	as := alert.Evaluate(alert.Input{Province: ev.Province, Year: ev.Year, Events: ev, Ref: ref,
		Indicators: res.Indicators, Params: alert.ParamsFromPack(pack), Now: cfg.Now})
	if err := cfg.Alerts.Deliver(ctx, as); err != nil {
		return &DeliveryError{N: len(as), Err: err}
	}
	return nil
}

// DeliveryError is a run that stopped because Config.Alerts could not
// deliver the early warnings (Kafka or the webhook unreachable, or still
// failing when the sink gave up). It is an outage of a dependency, not of
// the data: the next run delivers what is still pending, once.
type DeliveryError struct {
	N   int // alerts handed to the sink
	Err error
}

func (e *DeliveryError) Error() string { return fmt.Sprintf("deliver %d alerts: %v", e.N, e.Err) }

// Unwrap returns the sink's error.
func (e *DeliveryError) Unwrap() error { return e.Err }
