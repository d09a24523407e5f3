// Package database opens the service's PostgreSQL connection pool.
package database

import (
	"database/sql"
	"fmt"
	"net/url"

	"github.com/lib/pq"
)

// Open returns a connection pool for the database at rawURL
// (postgres://user:password@host:port/name?options). It does not connect:
// the first query, or a readiness ping, does.
func Open(rawURL string) (*sql.DB, error) {
	dsn, err := withDefaultSSLMode(rawURL)
	if err != nil {
		return nil, err
	}
	connector, err := pq.NewConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	return sql.OpenDB(connector), nil
}

// withDefaultSSLMode adds sslmode=disable to a URL that names no sslmode.
// lib/pq, unlike libpq, defaults to sslmode=require, which the PostgreSQL
// container of the local stack does not offer; a deployment that has TLS
// says so in DATABASE_URL (sslmode=verify-full).
func withDefaultSSLMode(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("DATABASE_URL: %w", err)
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return "", fmt.Errorf("DATABASE_URL: %q is not a postgres:// URL", rawURL)
	}
	q := u.Query()
	if !q.Has("sslmode") {
		q.Set("sslmode", "disable")
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}
