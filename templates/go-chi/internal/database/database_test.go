package database

import (
	"context"
	"net"
	"testing"
	"time"
)

func TestDefaultSSLMode(t *testing.T) {
	cases := map[string]string{
		"postgres://app:app@postgres:5432/db":                     "postgres://app:app@postgres:5432/db?sslmode=disable",
		"postgresql://app@db/x?connect_timeout=5":                 "postgresql://app@db/x?connect_timeout=5&sslmode=disable",
		"postgres://app:app@postgres:5432/db?sslmode=verify-full": "postgres://app:app@postgres:5432/db?sslmode=verify-full",
	}
	for in, want := range cases {
		got, err := withDefaultSSLMode(in)
		if err != nil || got != want {
			t.Errorf("withDefaultSSLMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestOpenRejectsOtherURLs(t *testing.T) {
	for _, u := range []string{"mysql://app@db/x", "host=db dbname=x", "postgres://%zz"} {
		if db, err := Open(u); err == nil {
			db.Close()
			t.Errorf("Open(%q): want an error", u)
		}
	}
}

func TestPingFailsWhenNothingListens(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	db, err := Open("postgres://app:app@" + addr + "/app")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err == nil {
		t.Error("nothing listens: want an error")
	}
}
