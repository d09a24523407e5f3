package ready

import (
	"context"
	"errors"
{{#if redis,kafka}}
	"net"
{{/if}}
	"testing"
	"time"
)

func TestRunKeepsOrderAndOutcomes(t *testing.T) {
	down := errors.New("connection refused")
	checks := []Check{
		{Name: "a", Probe: func(context.Context) error { return nil }},
		{Name: "b", Probe: func(context.Context) error { return down }},
	}

	got := Run(context.Background(), checks, time.Second)

	if len(got) != 2 || got[0].Name != "a" || got[0].Err != nil || got[1].Name != "b" || got[1].Err != down {
		t.Errorf("Run = %+v", got)
	}
}

func TestRunBoundsSlowChecks(t *testing.T) {
	hang := func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}
	checks := []Check{
		{Name: "slow", Probe: hang},
		{Name: "slower", Probe: hang},
	}

	start := time.Now()
	got := Run(context.Background(), checks, 50*time.Millisecond)

	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("Run took %v; the checks should share one deadline", elapsed)
	}
	for _, o := range got {
		if !errors.Is(o.Err, context.DeadlineExceeded) {
			t.Errorf("%s: err = %v, want the deadline", o.Name, o.Err)
		}
	}
}

func TestRunWithNoChecks(t *testing.T) {
	if got := Run(context.Background(), nil, time.Second); len(got) != 0 {
		t.Errorf("Run(nil) = %+v", got)
	}
}
{{#if redis,kafka}}

// closedAddr returns a 127.0.0.1 address that nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
{{/if}}
