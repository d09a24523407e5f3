// Package ready holds the readiness checks behind GET /ready: one probe per
// dependency the service needs, run together under one deadline.
package ready

import (
	"context"
	"sync"
	"time"
)

// Check probes one dependency.
type Check struct {
	// Name is the key of the check in the /ready answer ("redis", ...).
	Name string
	// Probe returns nil when the dependency answers. It must return once
	// ctx is done.
	Probe func(ctx context.Context) error
}

// Outcome is the result of one check: Err is nil when it is up.
type Outcome struct {
	Name string
	Err  error
}

// Run probes every check at once, all bounded by timeout, and returns the
// outcomes in the order of checks.
func Run(ctx context.Context, checks []Check, timeout time.Duration) []Outcome {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	outcomes := make([]Outcome, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Add(1)
		go func(i int, c Check) {
			defer wg.Done()
			outcomes[i] = Outcome{Name: c.Name, Err: c.Probe(ctx)}
		}(i, c)
	}
	wg.Wait()
	return outcomes
}
