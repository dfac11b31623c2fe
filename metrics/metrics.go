// Package metrics serves Prometheus metrics over HTTP for BurdenWatch's
// long-running commands (ingest, transform --follow, serve).
//
// Every long-running command takes a prometheus.Registerer in its Config
// (nil = no metrics); the command line builds one registry with NewRegistry,
// hands it to the command and serves it with Serve on --metrics-listen.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server timeouts for the metrics endpoint. A scrape is small and fast;
// anything slower is a stuck client.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 16 << 10
	shutdownTimeout   = 5 * time.Second
)

// NewRegistry returns a registry with the Go runtime and process collectors
// registered, ready to hand to a command's Config as its Registerer and to
// Serve as its Gatherer.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// Handler returns the HTTP handler that exposes g in the Prometheus text
// format (or OpenMetrics when the scraper asks for it).
func Handler(g prometheus.Gatherer, log *slog.Logger) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog:          slogPrinter{log: log},
		ErrorHandling:     promhttp.ContinueOnError,
		EnableOpenMetrics: true,
		Timeout:           readTimeout,
	})
}

// Serve listens on addr and serves g at /metrics until ctx ends, then shuts
// the server down gracefully. It returns nil after a graceful stop and an
// error when addr cannot be listened on or the server fails.
func Serve(ctx context.Context, addr string, g prometheus.Gatherer, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics: listen on %s: %w", addr, err)
	}
	return ServeListener(ctx, ln, g, log)
}

// ServeListener is Serve on an existing listener (tests listen on port 0 and
// read the address back). The listener is closed when it returns.
func ServeListener(ctx context.Context, ln net.Listener, g prometheus.Gatherer, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", Handler(g, log))
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("metrics listening", "addr", ln.Addr().String(), "path", "/metrics")
	return RunServer(ctx, srv, ln)
}

// RunServer serves srv on ln until ctx ends, then shuts it down, giving
// in-flight requests a few seconds to finish. It returns nil after a
// graceful stop.
func RunServer(ctx context.Context, srv *http.Server, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("http server on %s: shutdown: %w", ln.Addr(), err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server on %s: %w", ln.Addr(), err)
	}
	return nil
}

// slogPrinter adapts a slog.Logger to promhttp's Logger interface.
type slogPrinter struct{ log *slog.Logger }

// Println logs a promhttp error at warning level.
func (p slogPrinter) Println(v ...any) { p.log.Warn(fmt.Sprint(v...)) }
