package logging

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func fixedClock(l *Logger) {
	l.out.now = func() time.Time {
		return time.Date(2026, 11, 24, 1, 46, 45, 758_000_000, time.FixedZone("CET", 3600))
	}
}

func TestLineShape(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, "main")
	fixedClock(log)

	log.Info("listening", "port", 8080, "ok", true)

	want := `{"@timestamp":"2026-11-24T00:46:45.758Z","level":"INFO","logger_name":"main",` +
		`"message":"listening","port":8080,"ok":true}` + "\n"
	if got := buf.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestLevelsAndNames(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, "main")
	log.Named("http").Warn("slow")
	log.Error("failed", "error", errors.New("boom"), "stack_trace", "goroutine 1")

	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %q", buf.String())
	}
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	if first["level"] != "WARN" || first["logger_name"] != "http" {
		t.Errorf("first line: %v", first)
	}
	if second["level"] != "ERROR" || second["error"] != "boom" || second["stack_trace"] != "goroutine 1" {
		t.Errorf("second line: %v", second)
	}
	if _, err := time.Parse(time.RFC3339, fmt.Sprint(first["@timestamp"])); err != nil {
		t.Errorf("@timestamp: %v", err)
	}
}

func TestUnencodableValuesAndOddArguments(t *testing.T) {
	var buf bytes.Buffer
	New(&buf, "main").Info("odd", "key", "value", "f", func() {})

	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v: %s", err, buf.String())
	}
	if got["key"] != "value" {
		t.Errorf("pairs: %v", got)
	}
	if _, ok := got["f"].(string); !ok {
		t.Errorf("an unencodable value should be written as text: %v", got)
	}

	buf.Reset()
	New(&buf, "main").Info("lonely", "orphan")
	if !strings.Contains(buf.String(), `"!BADKEY":"orphan"`) {
		t.Errorf("a value without a key: %s", buf.String())
	}
}

func TestConcurrentLinesStayWhole(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, "main")
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			log.Named("worker").Info("tick", "i", i)
		}(i)
	}
	wg.Wait()

	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 50 {
		t.Fatalf("want 50 lines, got %d", len(lines))
	}
	for _, line := range lines {
		if !json.Valid([]byte(line)) {
			t.Errorf("not a JSON line: %q", line)
		}
	}
}
