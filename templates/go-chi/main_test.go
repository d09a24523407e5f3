package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"{{PROJECT_NAME}}/internal/config"
)

func TestHealthcheck(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			http.Error(w, "sick", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	}))
	defer srv.Close()

	if err := healthcheck(srv.URL + "/health"); err != nil {
		t.Errorf("healthy: %v", err)
	}
	if err := healthcheck(srv.URL + "/other"); err == nil {
		t.Error("a 503 should fail the check")
	}
	closed := srv.URL
	srv.Close()
	if err := healthcheck(closed + "/health"); err == nil {
		t.Error("nothing listening should fail the check")
	}
}

func TestHealthURL(t *testing.T) {
	for bind, want := range map[string]string{
		"":          "http://127.0.0.1:8080/health",
		"0.0.0.0":   "http://127.0.0.1:8080/health",
		"::":        "http://127.0.0.1:8080/health",
		"127.0.0.2": "http://127.0.0.2:8080/health",
		"::1":       "http://[::1]:8080/health",
	} {
		if got := healthURL(config.Config{Port: 8080, BindAddress: bind}); got != want {
			t.Errorf("BIND_ADDRESS=%q: %s, want %s", bind, got, want)
		}
	}
}

// The checks follow the dependencies the project was generated with, and
// building them contacts nothing.
func TestReadinessChecksFollowTheDependencies(t *testing.T) {
	cfg, err := config.FromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	checks, closeAll, err := readinessChecks(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()

	var names []string
	for _, c := range checks {
		names = append(names, c.Name)
	}
	var want []string
{{#if postgres}}
	want = append(want, "postgres")
{{/if}}
{{#if redis}}
	want = append(want, "redis")
{{/if}}
{{#if kafka}}
	want = append(want, "kafka")
{{/if}}
	if got, want := strings.Join(names, " "), strings.Join(want, " "); got != want {
		t.Errorf("checks %q, want %q", got, want)
	}
}
