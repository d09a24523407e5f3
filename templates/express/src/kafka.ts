/**
 * Kafka: /ready connects an admin client to the brokers. Each check makes a
 * fresh connection, so that it tells whether a broker answers now.
 */
import { Kafka, logLevel } from "kafkajs";

import type { Dependency } from "./readiness";

export class KafkaDependency implements Dependency {
  readonly name = "kafka";
  private readonly kafka: Kafka;

  constructor(brokers: string[], clientId: string) {
    this.kafka = new Kafka({
      clientId,
      brokers,
      // One attempt per check: the probe asking will ask again. Its failure is
      // logged once, by the readiness check, not at every step by kafkajs.
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
  }

  async check(): Promise<void> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
    } finally {
      await admin.disconnect();
    }
  }

  async close(): Promise<void> {
    // Nothing stays connected between checks.
  }
}
