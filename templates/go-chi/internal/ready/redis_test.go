package ready

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeRedis serves RESP on 127.0.0.1: it answers AUTH with +OK when the
// password matches (-WRONGPASS otherwise), PING with pong, and records the
// commands it saw.
type fakeRedis struct {
	addr     string
	password string
	pong     string
	commands chan string
}

func startFakeRedis(t *testing.T, password, pong string) *fakeRedis {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	f := &fakeRedis{addr: ln.Addr().String(), password: password, pong: pong, commands: make(chan string, 16)}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(conn)
		}
	}()
	return f
}

func (f *fakeRedis) serve(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	for {
		args, err := readArray(r)
		if err != nil {
			return
		}
		f.commands <- strings.Join(args, " ")
		switch {
		case args[0] == "AUTH" && args[len(args)-1] == f.password:
			fmt.Fprint(conn, "+OK\r\n")
		case args[0] == "AUTH":
			fmt.Fprint(conn, "-WRONGPASS invalid username-password pair\r\n")
		case args[0] == "PING":
			fmt.Fprint(conn, f.pong+"\r\n")
		default:
			fmt.Fprint(conn, "-ERR unknown command\r\n")
		}
	}
}

// readArray reads one RESP array of bulk strings.
func readArray(r *bufio.Reader) ([]string, error) {
	n, err := readLength(r, '*')
	if err != nil {
		return nil, err
	}
	args := make([]string, n)
	for i := range args {
		size, err := readLength(r, '$')
		if err != nil {
			return nil, err
		}
		buf := make([]byte, size+2) // the string and its CRLF
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		args[i] = string(buf[:size])
	}
	return args, nil
}

// readLength reads a RESP header line: the prefix, then a number.
func readLength(r *bufio.Reader, prefix byte) (int, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return 0, err
	}
	if line[0] != prefix {
		return 0, fmt.Errorf("want %c, got %q", prefix, line)
	}
	return strconv.Atoi(strings.TrimSuffix(line[1:], "\r\n"))
}

func probe(t *testing.T, rawURL string) error {
	t.Helper()
	check, err := Redis(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	if check.Name != "redis" {
		t.Errorf("Name = %q", check.Name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return check.Probe(ctx)
}

func TestRedisUp(t *testing.T) {
	f := startFakeRedis(t, "", "+PONG")
	if err := probe(t, "redis://"+f.addr); err != nil {
		t.Fatal(err)
	}
	if got := <-f.commands; got != "PING" {
		t.Errorf("sent %q, want PING", got)
	}
}

func TestRedisAuthenticatesFirst(t *testing.T) {
	f := startFakeRedis(t, "s3cret", "+PONG")
	if err := probe(t, "redis://app:s3cret@"+f.addr+"/0"); err != nil {
		t.Fatal(err)
	}
	if got := <-f.commands; got != "AUTH app s3cret" {
		t.Errorf("first command %q, want AUTH app s3cret", got)
	}
	if err := probe(t, "redis://:wrong@"+f.addr); err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
		t.Errorf("wrong password: err = %v", err)
	}
}

func TestRedisDown(t *testing.T) {
	if err := probe(t, "redis://"+closedAddr(t)); err == nil {
		t.Error("nothing listens: want an error")
	}
	f := startFakeRedis(t, "", "-LOADING Redis is loading the dataset in memory")
	if err := probe(t, "redis://"+f.addr); err == nil || !strings.Contains(err.Error(), "LOADING") {
		t.Errorf("error reply: err = %v", err)
	}
}

func TestRedisBadURL(t *testing.T) {
	for _, u := range []string{"http://redis:6379", "redis://", "redis://%zz"} {
		if _, err := Redis(u); err == nil {
			t.Errorf("%q: want an error", u)
		}
	}
}
