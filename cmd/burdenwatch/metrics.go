package main

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/burdenwatch/burdenwatch/metrics"
)

// startMetrics serves a new registry's /metrics on addr until ctx ends and
// returns the registry for the command's package to register with.
func startMetrics(ctx context.Context, a *app, addr string) *prometheus.Registry {
	reg := metrics.NewRegistry()
	go func() {
		if err := metrics.Serve(ctx, addr, reg, a.log); err != nil {
			a.log.Error("metrics server stopped", "addr", addr, "err", err)
		}
	}()
	return reg
}
