package config

import "testing"

func getenv(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestDefaults(t *testing.T) {
	c, err := FromEnv(getenv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != {{PORT}} || c.BindAddress != "" {
		t.Errorf("listen defaults: %+v", c)
	}
{{#if postgres}}
	if c.DatabaseURL != "postgres://app:app@postgres:5432/{{PROJECT_IDENT}}" {
		t.Errorf("DatabaseURL = %q", c.DatabaseURL)
	}
{{/if}}
{{#if redis}}
	if c.RedisURL != "redis://redis:6379" {
		t.Errorf("RedisURL = %q", c.RedisURL)
	}
{{/if}}
{{#if kafka}}
	if c.KafkaBootstrapServers != "kafka:9092" {
		t.Errorf("KafkaBootstrapServers = %q", c.KafkaBootstrapServers)
	}
{{/if}}
}

func TestEnvironmentOverrides(t *testing.T) {
	vars := map[string]string{"PORT": "9000", "BIND_ADDRESS": "127.0.0.1"}
{{#if postgres}}
	vars["DATABASE_URL"] = "postgres://u:p@db:5432/x"
{{/if}}
{{#if redis}}
	vars["REDIS_URL"] = "redis://cache:6380"
{{/if}}
{{#if kafka}}
	vars["KAFKA_BOOTSTRAP_SERVERS"] = "k1:9092,k2:9092"
{{/if}}
	c, err := FromEnv(getenv(vars))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 9000 || c.BindAddress != "127.0.0.1" {
		t.Errorf("listen settings: %+v", c)
	}
{{#if postgres}}
	if c.DatabaseURL != "postgres://u:p@db:5432/x" {
		t.Errorf("DatabaseURL = %q", c.DatabaseURL)
	}
{{/if}}
{{#if redis}}
	if c.RedisURL != "redis://cache:6380" {
		t.Errorf("RedisURL = %q", c.RedisURL)
	}
{{/if}}
{{#if kafka}}
	if c.KafkaBootstrapServers != "k1:9092,k2:9092" {
		t.Errorf("KafkaBootstrapServers = %q", c.KafkaBootstrapServers)
	}
{{/if}}
}

func TestBadPort(t *testing.T) {
	for _, port := range []string{"http", "0", "65536", "-1"} {
		if _, err := FromEnv(getenv(map[string]string{"PORT": port})); err == nil {
			t.Errorf("PORT=%s: want an error", port)
		}
	}
}
