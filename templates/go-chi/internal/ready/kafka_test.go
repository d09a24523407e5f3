package ready

import (
	"context"
	"net"
	"testing"
	"time"
)

func probeKafka(t *testing.T, servers string) error {
	t.Helper()
	check, err := Kafka(servers)
	if err != nil {
		t.Fatal(err)
	}
	if check.Name != "kafka" {
		t.Errorf("Name = %q", check.Name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return check.Probe(ctx)
}

func TestKafkaUpWhenAnyBrokerListens(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	if err := probeKafka(t, closedAddr(t)+", "+ln.Addr().String()); err != nil {
		t.Errorf("second broker listens: %v", err)
	}
}

func TestKafkaDown(t *testing.T) {
	if err := probeKafka(t, closedAddr(t)); err == nil {
		t.Error("nothing listens: want an error")
	}
}

func TestKafkaBadServers(t *testing.T) {
	for _, s := range []string{"", " , ", "kafka"} {
		if _, err := Kafka(s); err == nil {
			t.Errorf("%q: want an error", s)
		}
	}
}
