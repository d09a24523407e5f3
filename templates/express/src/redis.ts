/**
 * Redis, through one client that reconnects on its own with a growing delay;
 * /ready asks it for PING.
 */
import { createClient, type RedisClientType } from "redis";

import { describeError, type Logger } from "./logger";
import { CHECK_TIMEOUT_MS, type Dependency } from "./readiness";

const MAX_RECONNECT_DELAY_MS = 5000;

export class RedisDependency implements Dependency {
  readonly name = "redis";
  readonly client: RedisClientType;

  constructor(url: string, log: Logger) {
    this.client = createClient({
      url,
      // While disconnected, fail commands at once rather than queue them
      // until a reconnect: /ready must say "down" now, not hang.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: CHECK_TIMEOUT_MS,
        reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, MAX_RECONNECT_DELAY_MS),
      },
    });
    // The client reports every failed reconnect; log the first of an outage only.
    let reachable = true;
    this.client.on("error", (err) => {
      if (reachable) {
        reachable = false;
        log.warn("redis unreachable", { error: describeError(err) });
      }
    });
    this.client.on("ready", () => {
      reachable = true;
      log.info("connected to redis");
    });
    this.client.connect().catch((err) => {
      log.error("cannot connect to redis", { err });
    });
  }

  async check(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    if (this.client.isOpen) {
      await this.client.disconnect();
    }
  }
}
