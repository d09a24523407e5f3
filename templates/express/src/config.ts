/**
 * Configuration, read once from the environment at startup. The defaults are
 * the addresses of the services in docker-compose.yaml.
 */
export interface Config {
  port: number;
  /** The address to listen on; every interface when unset. */
  bindAddress: string | undefined;
{{#if postgres}}
  databaseUrl: string;
{{/if}}
{{#if redis}}
  redisUrl: string;
{{/if}}
{{#if kafka}}
  kafkaBrokers: string[];
{{/if}}
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    port: parsePort(env.PORT || "{{PORT}}"),
    bindAddress: env.BIND_ADDRESS || undefined,
{{#if postgres}}
    databaseUrl: env.DATABASE_URL || "postgres://app:app@postgres:5432/{{PROJECT_IDENT}}",
{{/if}}
{{#if redis}}
    redisUrl: env.REDIS_URL || "redis://redis:6379",
{{/if}}
{{#if kafka}}
    kafkaBrokers: (env.KAFKA_BOOTSTRAP_SERVERS || "kafka:9092")
      .split(",")
      .map((broker) => broker.trim())
      .filter((broker) => broker !== ""),
{{/if}}
  };
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a number from 0 to 65535, not "${value}"`);
  }
  return port;
}
