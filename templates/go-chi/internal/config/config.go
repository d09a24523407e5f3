// Package config reads the service's configuration from the environment.
package config

import (
	"fmt"
	"strconv"
)

const defaultPort = "{{PORT}}"

// Config is the service's configuration.
type Config struct {
	// Port is the TCP port to listen on (PORT).
	Port int

	// BindAddress is the address to listen on (BIND_ADDRESS); empty means
	// every interface, as a container needs.
	BindAddress string
{{#if postgres}}

	// DatabaseURL locates PostgreSQL (DATABASE_URL).
	DatabaseURL string
{{/if}}
{{#if redis}}

	// RedisURL locates Redis (REDIS_URL).
	RedisURL string
{{/if}}
{{#if kafka}}

	// KafkaBootstrapServers lists Kafka brokers as host:port,...
	// (KAFKA_BOOTSTRAP_SERVERS).
	KafkaBootstrapServers string
{{/if}}
}

// FromEnv reads the configuration through getenv (os.Getenv, or a map in
// tests). An unset or empty variable takes its default.
func FromEnv(getenv func(string) string) (Config, error) {
	env := func(name, fallback string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return fallback
	}

	portText := env("PORT", defaultPort)
	port, err := strconv.Atoi(portText)
	if err != nil || port < 1 || port > 65535 {
		return Config{}, fmt.Errorf("PORT: %q is not a port number (1-65535)", portText)
	}

	c := Config{Port: port, BindAddress: getenv("BIND_ADDRESS")}
{{#if postgres}}
	c.DatabaseURL = env("DATABASE_URL", "postgres://app:app@postgres:5432/{{PROJECT_IDENT}}")
{{/if}}
{{#if redis}}
	c.RedisURL = env("REDIS_URL", "redis://redis:6379")
{{/if}}
{{#if kafka}}
	c.KafkaBootstrapServers = env("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
{{/if}}
	return c, nil
}
