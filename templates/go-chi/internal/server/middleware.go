package server

import (
	"fmt"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// unmatchedRoute is the path label of requests that match no route, so that
// probes of random paths cannot create new series.
const unmatchedRoute = "other"

// observe logs every request as one JSON line and records it in the request
// metrics, labelled with the route pattern chi matched.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)

		next.ServeHTTP(ww, r)

		elapsed := time.Since(start)
		status := ww.Status()
		if status == 0 { // the handler wrote nothing: net/http sends 200
			status = http.StatusOK
		}
		// chi fills in the pattern while routing, below this middleware,
		// so it is known only now.
		route := chi.RouteContext(r.Context()).RoutePattern()
		if route == "" {
			route = unmatchedRoute
		}
		s.metrics.observe(r.Method, route, status, elapsed)

		// Prometheus scrapes every few seconds: logging them would bury
		// the requests that matter.
		if route == MetricsPath {
			return
		}
		log := s.httpLog.Info
		if status >= http.StatusInternalServerError {
			log = s.httpLog.Error
		}
		log(fmt.Sprintf("%s %s %d", r.Method, r.URL.Path, status),
			"method", r.Method,
			"path", r.URL.Path,
			"route", route,
			"status", status,
			"duration_ms", float64(elapsed.Microseconds())/1000)
	})
}

// recoverPanics turns a panicking handler into a 500 answer and an ERROR
// log line with the stack trace, instead of a dropped connection.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler { // net/http's way to abort a response on purpose
				panic(p)
			}
			s.httpLog.Error(fmt.Sprintf("panic serving %s %s: %v", r.Method, r.URL.Path, p),
				"stack_trace", string(debug.Stack()))
			writeError(w, http.StatusInternalServerError, "internal server error")
		}()
		next.ServeHTTP(w, r)
	})
}
