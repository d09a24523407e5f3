package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"{{PROJECT_NAME}}/internal/logging"
	"{{PROJECT_NAME}}/internal/ready"
)

var startedAt = time.Date(2026, 11, 24, 1, 46, 45, 758_000_000, time.UTC)

// newServer returns a Server with the given checks, and the buffer its logs go to.
func newServer(checks ...ready.Check) (*Server, *bytes.Buffer) {
	var logs bytes.Buffer
	s := New(Options{
		Logger:    logging.New(&logs, "main"),
		Checks:    checks,
		StartedAt: startedAt,
		Startup:   42 * time.Millisecond,
	})
	return s, &logs
}

// do serves one request and returns the status code and body.
func do(h http.Handler, method, target, body string) (int, string) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, strings.NewReader(body)))
	return rec.Code, rec.Body.String()
}

func TestFixedAnswers(t *testing.T) {
	s, _ := newServer()
	cases := []struct {
		method, target string
		code           int
		body           string
	}{
		{"GET", "/health", 200, `{"status":"ok"}`},
		{"GET", "/live", 200, `{"status":"alive"}`},
		{"GET", "/hello", 200, `{"message":"Hello, World!"}`},
		{"GET", "/hello/world", 200, `{"message":"Hello, world!"}`},
		{"GET", "/hello/Ada%20Lovelace", 200, `{"message":"Hello, Ada Lovelace!"}`},
		{"GET", "/startup", 200, `{"started_at":"2026-11-24T01:46:45.758Z","startup_ms":42}`},
		{"GET", "/ready", 200, `{"status":"ready","checks":{}}`},
		{"GET", "/nowhere", 404, `{"error":"not found"}`},
		{"DELETE", "/health", 405, `{"error":"method not allowed"}`},
	}
	for _, c := range cases {
		code, body := do(s, c.method, c.target, "")
		if code != c.code || body != c.body {
			t.Errorf("%s %s = %d %s; want %d %s", c.method, c.target, code, body, c.code, c.body)
		}
	}
}

func TestContentType(t *testing.T) {
	s, _ := newServer()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/health", nil))
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestEcho(t *testing.T) {
	s, _ := newServer()
	for _, body := range []string{`{"a":1}`, `{ "spaced" : [1, 2.5, "x"] }`, `"just a string"`, `null`} {
		if code, got := do(s, "POST", "/echo", body); code != 200 || got != body {
			t.Errorf("echo %s = %d %s", body, code, got)
		}
	}

	for _, body := range []string{"", "{", "not json", `{"a":1} trailing`} {
		code, got := do(s, "POST", "/echo", body)
		var answer struct{ Error string }
		if code != 400 || json.Unmarshal([]byte(got), &answer) != nil || answer.Error == "" {
			t.Errorf("echo %q = %d %s; want 400 with an error", body, code, got)
		}
	}

	huge := `"` + strings.Repeat("x", maxEchoBytes) + `"`
	if code, _ := do(s, "POST", "/echo", huge); code != http.StatusRequestEntityTooLarge {
		t.Errorf("echo of %d bytes = %d; want 413", len(huge), code)
	}
}

func TestReady(t *testing.T) {
	up := ready.Check{Name: "redis", Probe: func(context.Context) error { return nil }}
	down := ready.Check{Name: "postgres", Probe: func(context.Context) error {
		return errors.New("connection refused")
	}}

	s, _ := newServer(up)
	if code, body := do(s, "GET", "/ready", ""); code != 200 || body != `{"status":"ready","checks":{"redis":"up"}}` {
		t.Errorf("all up: %d %s", code, body)
	}

	s, logs := newServer(up, down)
	code, body := do(s, "GET", "/ready", "")
	if code != 503 || body != `{"status":"not ready","checks":{"postgres":"down","redis":"up"}}` {
		t.Errorf("one down: %d %s", code, body)
	}
	if !strings.Contains(logs.String(), `"level":"WARN","logger_name":"readiness","message":"postgres is down"`) ||
		!strings.Contains(logs.String(), `"error":"connection refused"`) {
		t.Errorf("the reason should be logged:\n%s", logs)
	}
}

func TestMetricsUseRoutePatterns(t *testing.T) {
	s, _ := newServer()
	do(s, "GET", "/hello/ada", "")
	do(s, "GET", "/hello/grace", "")
	do(s, "GET", "/no/such/page", "")

	code, body := do(s, "GET", MetricsPath, "")
	if code != 200 {
		t.Fatalf("GET %s = %d", MetricsPath, code)
	}
	for _, want := range []string{
		"# TYPE http_requests_total counter",
		`http_requests_total{method="GET",path="/hello/{name}",status="200"} 2`,
		`http_requests_total{method="GET",path="other",status="404"} 1`,
		"# TYPE http_request_duration_seconds histogram",
		`http_request_duration_seconds_bucket{method="GET",path="/hello/{name}",le="0.005"}`,
		`http_request_duration_seconds_bucket{method="GET",path="/hello/{name}",le="10"} 2`,
		`http_request_duration_seconds_bucket{method="GET",path="/hello/{name}",le="+Inf"} 2`,
		`http_request_duration_seconds_count{method="GET",path="/hello/{name}"} 2`,
		`http_request_duration_seconds_sum{method="GET",path="/hello/{name}"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "/hello/ada") {
		t.Error("a raw path leaked into a label")
	}
}

func TestRequestLog(t *testing.T) {
	s, logs := newServer()
	do(s, "GET", "/hello/ada", "")
	do(s, "GET", MetricsPath, "")

	lines := strings.Split(strings.TrimSuffix(logs.String(), "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one line (scrapes are not logged), got:\n%s", logs)
	}
	var entry map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &entry); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"level": "INFO", "logger_name": "http", "message": "GET /hello/ada 200",
		"method": "GET", "path": "/hello/ada", "route": "/hello/{name}", "status": 200.0,
	}
	for k, v := range want {
		if entry[k] != v {
			t.Errorf("%s = %v, want %v", k, entry[k], v)
		}
	}
	if _, ok := entry["duration_ms"].(float64); !ok {
		t.Errorf("duration_ms = %v", entry["duration_ms"])
	}
	if _, err := time.Parse(time.RFC3339, fmt.Sprint(entry["@timestamp"])); err != nil {
		t.Errorf("@timestamp: %v", err)
	}
}

func TestPanicBecomes500WithStackTrace(t *testing.T) {
	s, logs := newServer()
	r := chi.NewRouter()
	r.Use(s.observe, s.recoverPanics)
	r.Get("/boom", func(http.ResponseWriter, *http.Request) { panic("kaboom") })

	code, body := do(r, "GET", "/boom", "")
	if code != 500 || body != `{"error":"internal server error"}` {
		t.Errorf("GET /boom = %d %s", code, body)
	}
	lines := strings.Split(strings.TrimSuffix(logs.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want the panic and the request logged, got:\n%s", logs)
	}
	var panicked, request map[string]any
	if json.Unmarshal([]byte(lines[0]), &panicked) != nil || json.Unmarshal([]byte(lines[1]), &request) != nil {
		t.Fatalf("not JSON lines:\n%s", logs)
	}
	if panicked["level"] != "ERROR" || !strings.Contains(fmt.Sprint(panicked["message"]), "kaboom") ||
		!strings.Contains(fmt.Sprint(panicked["stack_trace"]), "goroutine") {
		t.Errorf("panic line: %v", panicked)
	}
	if request["level"] != "ERROR" || request["status"] != 500.0 {
		t.Errorf("request line: %v", request)
	}
}
