// Package server is the HTTP face of {{PROJECT_NAME}}: the routes, their
// handlers, and the middleware that logs and measures every request.
package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"{{PROJECT_NAME}}/internal/logging"
	"{{PROJECT_NAME}}/internal/ready"
)

const (
	// MetricsPath is where Prometheus scrapes the service.
	MetricsPath = "{{METRICS_PATH}}"

	// readyTimeout bounds the readiness checks of one GET /ready, well
	// inside the timeouts of Kubernetes probes and compose health checks.
	readyTimeout = 2 * time.Second

	// maxEchoBytes bounds the body that POST /echo reads.
	maxEchoBytes = 1 << 20

	// timeFormat is RFC 3339 in UTC with milliseconds, as in the logs.
	timeFormat = "2006-01-02T15:04:05.000Z07:00"
)

// Options configures a Server.
type Options struct {
	// Logger is the parent of the server's loggers.
	Logger *logging.Logger
	// Checks are the readiness checks, one per dependency.
	Checks []ready.Check
	// StartedAt is when the process started; Startup how long it took
	// until it could serve. GET /startup reports both.
	StartedAt time.Time
	Startup   time.Duration
}

// Server is the service's http.Handler.
type Server struct {
	router   chi.Router
	httpLog  *logging.Logger
	readyLog *logging.Logger
	checks   []ready.Check
	startup  []byte // the answer of GET /startup, fixed at start
	metrics  *metrics
}

// New returns a Server with its own Prometheus registry, which holds the
// request metrics and the Go runtime and process collectors.
func New(o Options) *Server {
	registry := prometheus.NewRegistry()
	registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)

	s := &Server{
		httpLog:  o.Logger.Named("http"),
		readyLog: o.Logger.Named("readiness"),
		checks:   o.Checks,
		metrics:  newMetrics(registry),
	}
	s.startup = mustJSON(struct {
		StartedAt string `json:"started_at"`
		StartupMS int64  `json:"startup_ms"`
	}{o.StartedAt.UTC().Format(timeFormat), o.Startup.Milliseconds()})

	r := chi.NewRouter()
	r.Use(s.observe, s.recoverPanics)
	r.NotFound(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "not found")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
	})

	r.Get("/health", s.health)
	r.Get("/hello", s.hello)
	r.Get("/hello/{name}", s.hello)
	r.Post("/echo", s.echo)
	r.Get("/ready", s.readiness)
	r.Get("/live", s.live)
	r.Get("/startup", s.startupInfo)
	r.Method(http.MethodGet, MetricsPath, promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	s.router = r
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.router.ServeHTTP(w, r)
}

func (s *Server) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) live(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "alive"})
}

func (s *Server) hello(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	if name == "" {
		name = "World"
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": fmt.Sprintf("Hello, %s!", name)})
}

// echo answers with the JSON body it was sent, byte for byte.
func (s *Server) echo(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxEchoBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body is larger than %d bytes", tooLarge.Limit))
	case err != nil:
		writeError(w, http.StatusBadRequest, "cannot read body: "+err.Error())
	case !json.Valid(body):
		writeError(w, http.StatusBadRequest, "body is not valid JSON")
	default:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}
}

// readiness runs every readiness check: 200 when all are up, else 503,
// with each check's state; why a check is down goes to the log.
func (s *Server) readiness(w http.ResponseWriter, r *http.Request) {
	code, status := http.StatusOK, "ready"
	states := make(map[string]string, len(s.checks))
	for _, o := range ready.Run(r.Context(), s.checks, readyTimeout) {
		if o.Err != nil {
			code, status = http.StatusServiceUnavailable, "not ready"
			states[o.Name] = "down"
			s.readyLog.Warn(o.Name+" is down", "check", o.Name, "error", o.Err)
			continue
		}
		states[o.Name] = "up"
	}
	writeJSON(w, code, struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}{status, states})
}

func (s *Server) startupInfo(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.startup)
}

// writeJSON answers with v as compact JSON.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(mustJSON(v))
}

// writeError answers {"error": msg}.
func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// mustJSON encodes the handlers' own values, which always encode.
func mustJSON(v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encoding %T: %v", v, err))
	}
	return data
}
