// Package logging writes structured logs as JSON lines, the shape the
// blissful-infra tools read: @timestamp, level, logger_name, message, then
// any fields the caller adds.
//
// Go 1.19 has no log/slog, so this is a small logger of our own. Its calls
// take the message and then alternating keys and values, as slog's do, so
// that moving to slog later is a mechanical change.
package logging

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// timeFormat is RFC 3339 in UTC with milliseconds.
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

// sink is the destination that a Logger and the loggers named from it share,
// so that lines from different goroutines never interleave.
type sink struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
}

// Logger writes JSON lines under one logger_name. It is safe for concurrent use.
type Logger struct {
	name string
	out  *sink
}

// New returns a logger named name that writes to w.
func New(w io.Writer, name string) *Logger {
	return &Logger{name: name, out: &sink{w: w, now: time.Now}}
}

// Named returns a logger with another logger_name writing to the same place.
func (l *Logger) Named(name string) *Logger {
	return &Logger{name: name, out: l.out}
}

// Info logs msg at level INFO with the given key-value pairs.
func (l *Logger) Info(msg string, kv ...any) { l.log("INFO", msg, kv) }

// Warn logs msg at level WARN with the given key-value pairs.
func (l *Logger) Warn(msg string, kv ...any) { l.log("WARN", msg, kv) }

// Error logs msg at level ERROR with the given key-value pairs. A stack
// trace, when there is one, goes under the key "stack_trace".
func (l *Logger) Error(msg string, kv ...any) { l.log("ERROR", msg, kv) }

func (l *Logger) log(level, msg string, kv []any) {
	var b bytes.Buffer
	b.WriteString(`{"@timestamp":`)
	writeValue(&b, l.out.now().UTC().Format(timeFormat))
	b.WriteString(`,"level":`)
	writeValue(&b, level)
	b.WriteString(`,"logger_name":`)
	writeValue(&b, l.name)
	b.WriteString(`,"message":`)
	writeValue(&b, msg)
	for i := 0; i < len(kv); i += 2 {
		// A value without a key is kept under "!BADKEY", as slog does.
		key, val := "!BADKEY", kv[i]
		if i+1 < len(kv) {
			key, val = fmt.Sprint(kv[i]), kv[i+1]
		}
		b.WriteByte(',')
		writeValue(&b, key)
		b.WriteByte(':')
		writeValue(&b, val)
	}
	b.WriteString("}\n")

	l.out.mu.Lock()
	defer l.out.mu.Unlock()
	// A log line that cannot be written has nowhere better to go.
	_, _ = l.out.w.Write(b.Bytes())
}

// writeValue appends v as JSON. Errors become their message (encoding/json
// would write most of them as {}), and anything that cannot be encoded is
// written as the text fmt gives it.
func writeValue(b *bytes.Buffer, v any) {
	if err, ok := v.(error); ok {
		v = err.Error()
	}
	data, err := json.Marshal(v)
	if err != nil {
		data, _ = json.Marshal(fmt.Sprint(v))
	}
	b.Write(data)
}
