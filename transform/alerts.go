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
		return fmt.Errorf("deliver %d alerts: %w", len(as), err)
	}
	return nil
}
