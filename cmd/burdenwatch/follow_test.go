package main

import (
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"

	"github.com/burdenwatch/burdenwatch/transform"
)

// TestOutage: transform --follow waits out ClickHouse unreachable and
// alerts that cannot be delivered, and stops on anything else.
func TestOutage(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("read events: %w", syscall.ECONNREFUSED), true},
		{fmt.Errorf("read events: %w", io.ErrUnexpectedEOF), true},
		{&transform.DeliveryError{N: 3, Err: errors.New("webhook answered 500")}, true},
		{fmt.Errorf("recompute 43/2025: %w", &transform.DeliveryError{N: 1, Err: errors.New("kafka down")}), true},
		{errors.New("rule pack 43: unknown rule"), false},
	}
	for _, c := range cases {
		if got := outage(c.err); got != c.want {
			t.Errorf("outage(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
