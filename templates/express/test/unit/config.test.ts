import { loadConfig } from "../../src/config";

describe("loadConfig", () => {
  it("has the defaults of the compose file", () => {
    expect(loadConfig({})).toEqual({
      port: {{PORT}},
      bindAddress: undefined,
{{#if postgres}}
      databaseUrl: "postgres://app:app@postgres:5432/{{PROJECT_IDENT}}",
{{/if}}
{{#if redis}}
      redisUrl: "redis://redis:6379",
{{/if}}
{{#if kafka}}
      kafkaBrokers: ["kafka:9092"],
{{/if}}
    });
  });

  it("reads the environment", () => {
    const config = loadConfig({
      PORT: "9000",
      BIND_ADDRESS: "127.0.0.1",
{{#if postgres}}
      DATABASE_URL: "postgres://u:p@db:5433/other",
{{/if}}
{{#if redis}}
      REDIS_URL: "redis://cache:6380",
{{/if}}
{{#if kafka}}
      KAFKA_BOOTSTRAP_SERVERS: "k1:9092, k2:9092,",
{{/if}}
    });
    expect(config.port).toBe(9000);
    expect(config.bindAddress).toBe("127.0.0.1");
{{#if postgres}}
    expect(config.databaseUrl).toBe("postgres://u:p@db:5433/other");
{{/if}}
{{#if redis}}
    expect(config.redisUrl).toBe("redis://cache:6380");
{{/if}}
{{#if kafka}}
    expect(config.kafkaBrokers).toEqual(["k1:9092", "k2:9092"]);
{{/if}}
  });

  it.each(["http", "-1", "65536", "80.5"])("refuses PORT=%s", (port) => {
    expect(() => loadConfig({ PORT: port })).toThrow(/^PORT must be a number from 0 to 65535/);
  });
});
