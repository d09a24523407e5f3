// Command {{PROJECT_NAME}} is an HTTP service built on chi: the standard
// blissful-infra endpoints, Prometheus metrics and JSON logs.
//
// With -healthcheck it instead asks the running service for /health and
// exits 0 if it is healthy, 1 if not: the container health check of an
// image that has no curl.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"{{PROJECT_NAME}}/internal/config"
{{#if postgres}}
	"{{PROJECT_NAME}}/internal/database"
{{/if}}
	"{{PROJECT_NAME}}/internal/logging"
	"{{PROJECT_NAME}}/internal/ready"
	"{{PROJECT_NAME}}/internal/server"
)

// shutdownGrace is how long in-flight requests may take to finish once a
// stop signal arrives (compose and Kubernetes wait 10 s or more).
const shutdownGrace = 8 * time.Second

func main() {
	started := time.Now()
	healthcheckMode := flag.Bool("healthcheck", false, "check the running service's /health and exit 0 if it answers 200")
	flag.Parse()

	cfg, err := config.FromEnv(os.Getenv)
	if *healthcheckMode {
		if err == nil {
			err = healthcheck(healthURL(cfg))
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "healthcheck:", err)
			os.Exit(1)
		}
		return
	}

	log := logging.New(os.Stdout, "main")
	if err == nil {
		err = run(cfg, log, started)
	}
	if err != nil {
		log.Error(err.Error())
		os.Exit(1)
	}
}

// run serves until SIGINT or SIGTERM, then drains in-flight requests.
func run(cfg config.Config, log *logging.Logger, started time.Time) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	checks, closeAll, err := readinessChecks(cfg)
	if err != nil {
		return err
	}
	defer closeAll()

	addr := net.JoinHostPort(cfg.BindAddress, strconv.Itoa(cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	startup := time.Since(started)
	srv := &http.Server{
		Handler: server.New(server.Options{
			Logger:    log,
			Checks:    checks,
			StartedAt: started,
			Startup:   startup,
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info(fmt.Sprintf("{{PROJECT_NAME}} listening on %s (started in %d ms)", ln.Addr(), startup.Milliseconds()),
		"port", cfg.Port, "startup_ms", startup.Milliseconds())

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// readinessChecks builds one check per dependency from the configuration,
// and a function that releases what they hold.
func readinessChecks(cfg config.Config) ([]ready.Check, func(), error) {
	var checks []ready.Check
	closeAll := func() {}
{{#if postgres}}

	db, err := database.Open(cfg.DatabaseURL)
	if err != nil {
		return nil, nil, err
	}
	closeAll = func() { _ = db.Close() }
	// The ping goes through the pool the service would query with, so the
	// check fails too when the pool cannot get a connection.
	checks = append(checks, ready.Check{Name: "postgres", Probe: db.PingContext})
{{/if}}
{{#if redis}}

	redis, err := ready.Redis(cfg.RedisURL)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	checks = append(checks, redis)
{{/if}}
{{#if kafka}}

	kafka, err := ready.Kafka(cfg.KafkaBootstrapServers)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	checks = append(checks, kafka)
{{/if}}

	return checks, closeAll, nil
}

// healthURL is the service's /health on this host.
func healthURL(cfg config.Config) string {
	host := cfg.BindAddress
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(cfg.Port)) + "/health"
}

// healthcheck GETs url and returns nil when it answers 200.
func healthcheck(url string) error {
	client := http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	return nil
}
