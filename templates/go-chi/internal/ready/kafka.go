package ready

import (
	"context"
	"fmt"
	"net"
	"strings"
)

// Kafka returns a check that is up when any of the bootstrap servers
// (host:port,host:port,...) accepts a TCP connection. That shows a broker
// is listening; asking it for cluster metadata would need a Kafka client
// library, more than a readiness probe is worth here.
func Kafka(servers string) (Check, error) {
	var addrs []string
	for _, s := range strings.Split(servers, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(s); err != nil {
			return Check{}, fmt.Errorf("KAFKA_BOOTSTRAP_SERVERS: %w", err)
		}
		addrs = append(addrs, s)
	}
	if len(addrs) == 0 {
		return Check{}, fmt.Errorf("KAFKA_BOOTSTRAP_SERVERS: no host:port in %q", servers)
	}

	probe := func(ctx context.Context) error {
		var d net.Dialer
		var err error
		for _, addr := range addrs {
			var conn net.Conn
			if conn, err = d.DialContext(ctx, "tcp", addr); err == nil {
				return conn.Close()
			}
		}
		return err
	}
	return Check{Name: "kafka", Probe: probe}, nil
}
