// Command verifyload measures GET /api/v1/verify of a running
// `burdenwatch serve`: it reads verify queries, one per line, from stdin
// in the format `burdenwatch codes sample` prints (verdict, code, unit,
// at, tab-separated), and loads them round-robin.
//
//	bin/burdenwatch codes sample | go run ./internal/loadgen/verifyload --base http://127.0.0.1:8080 --duration 20s
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/burdenwatch/burdenwatch/internal/loadgen"
)

func main() {
	base := flag.String("base", "http://127.0.0.1:8080", "base URL of burdenwatch serve")
	cfg := loadgen.Config{}
	flag.IntVar(&cfg.Concurrency, "concurrency", 32, "concurrent clients (closed loop)")
	flag.DurationVar(&cfg.Duration, "duration", 20*time.Second, "measured time")
	flag.DurationVar(&cfg.Warmup, "warmup", 2*time.Second, "unmeasured warm-up")
	flag.Float64Var(&cfg.Rate, "rate", 0, "open-loop requests per second (0 = closed loop: each client sends as fast as answered)")
	flag.Parse()
	urls, err := readQueries(os.Stdin, *base)
	if err != nil {
		fmt.Fprintln(os.Stderr, "verifyload:", err)
		os.Exit(1)
	}
	cfg.URLs = urls
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := loadgen.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "verifyload:", err)
		os.Exit(1)
	}
	mode := "closed loop"
	if cfg.Rate > 0 {
		mode = fmt.Sprintf("open loop at %.0f req/s", cfg.Rate)
	}
	fmt.Printf("verify: %d queries, %s, concurrency %d: %s\n", len(urls), mode, cfg.Concurrency, res)
	if res.Errors > 0 {
		os.Exit(1)
	}
}

// readQueries turns `codes sample` lines into verify URLs.
func readQueries(r io.Reader, base string) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Split(strings.TrimSpace(sc.Text()), "\t")
		if len(f) != 4 {
			continue
		}
		q := url.Values{"code": {f[1]}, "unit": {f[2]}, "at": {f[3]}}
		out = append(out, strings.TrimRight(base, "/")+"/api/v1/verify?"+q.Encode())
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no queries on stdin (expected `burdenwatch codes sample` lines: verdict, code, unit, at)")
	}
	return out, nil
}
