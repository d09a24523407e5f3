package ready

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
)

// Redis returns a check that sends PING to the Redis server at rawURL
// (redis://[[user]:password@]host[:port][/db]) and expects PONG, after AUTH
// when the URL holds a password. One command needs no client library: it
// speaks RESP, Redis's wire protocol, over a plain connection.
func Redis(rawURL string) (Check, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Check{}, fmt.Errorf("REDIS_URL: %w", err)
	}
	if u.Scheme != "redis" || u.Hostname() == "" {
		return Check{}, fmt.Errorf("REDIS_URL: %q is not a redis://host:port URL", rawURL)
	}
	port := u.Port()
	if port == "" {
		port = "6379"
	}
	addr := net.JoinHostPort(u.Hostname(), port)

	var auth []string
	if password, ok := u.User.Password(); ok {
		auth = []string{"AUTH", password}
		if user := u.User.Username(); user != "" {
			auth = []string{"AUTH", user, password}
		}
	}

	probe := func(ctx context.Context) error { return redisPing(ctx, addr, auth) }
	return Check{Name: "redis", Probe: probe}, nil
}

func redisPing(ctx context.Context, addr string, auth []string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(deadline); err != nil {
			return err
		}
	}

	r := bufio.NewReader(conn)
	if auth != nil {
		if _, err := redisCommand(conn, r, auth...); err != nil {
			return fmt.Errorf("AUTH: %w", err)
		}
	}
	reply, err := redisCommand(conn, r, "PING")
	if err != nil {
		return fmt.Errorf("PING: %w", err)
	}
	if reply != "PONG" {
		return fmt.Errorf("PING: unexpected reply %q", reply)
	}
	return nil
}

// redisCommand sends one command as a RESP array of bulk strings and reads
// a one-line reply: a simple string, or an error reply as an error.
func redisCommand(w io.Writer, r *bufio.Reader, args ...string) (string, error) {
	var req strings.Builder
	fmt.Fprintf(&req, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&req, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(w, req.String()); err != nil {
		return "", err
	}

	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	switch {
	case strings.HasPrefix(line, "+"):
		return line[1:], nil
	case strings.HasPrefix(line, "-"):
		return "", errors.New(line[1:])
	default:
		return "", fmt.Errorf("unexpected reply %q", line)
	}
}
