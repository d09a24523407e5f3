//go:build integration

// The integration tests run against the service running with its
// dependencies (`docker compose up -d`, then `make integration`). SERVICE_URL
// says where it is: http://127.0.0.1:{{PORT}} by default.
package main_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

var client = &http.Client{Timeout: 5 * time.Second}

func serviceURL() string {
	if u := os.Getenv("SERVICE_URL"); u != "" {
		return strings.TrimSuffix(u, "/")
	}
	return "http://127.0.0.1:{{PORT}}"
}

func get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := client.Get(serviceURL() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// TestReady waits for every dependency to come up: a minute, as a slow
// database needs on its first start.
func TestReady(t *testing.T) {
	deadline := time.Now().Add(time.Minute)
	for {
		code, body := get(t, "/ready")
		if code == http.StatusOK {
			var answer struct{ Checks map[string]string }
			if err := json.Unmarshal([]byte(body), &answer); err != nil {
				t.Fatalf("/ready: %v: %s", err, body)
			}
			for name, state := range answer.Checks {
				if state != "up" {
					t.Errorf("%s is %s", name, state)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready after a minute: %d %s", code, body)
		}
		time.Sleep(time.Second)
	}
}

func TestHelloAndMetrics(t *testing.T) {
	if code, body := get(t, "/hello/integration"); code != 200 || body != `{"message":"Hello, integration!"}` {
		t.Fatalf("/hello/integration = %d %s", code, body)
	}
	code, body := get(t, "{{METRICS_PATH}}")
	if code != 200 || !strings.Contains(body, `http_requests_total{method="GET",path="/hello/{name}",status="200"}`) {
		t.Errorf("{{METRICS_PATH}} = %d, without the request to /hello/{name}", code)
	}
}

func TestEcho(t *testing.T) {
	const sent = `{"integration":true}`
	resp, err := client.Post(serviceURL()+"/echo", "application/json", strings.NewReader(sent))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != sent {
		t.Errorf("/echo = %d %s", resp.StatusCode, body)
	}
}
