/**
 * PostgreSQL, through a pool of connections that the service's own queries
 * share; /ready asks it for SELECT 1.
 */
import { Pool } from "pg";

import { describeError, type Logger } from "./logger";
import { CHECK_TIMEOUT_MS, type Dependency } from "./readiness";

export class PostgresDependency implements Dependency {
  readonly name = "postgres";
  readonly pool: Pool;

  constructor(connectionString: string, log: Logger) {
    this.pool = new Pool({ connectionString, connectionTimeoutMillis: CHECK_TIMEOUT_MS });
    // An idle connection that breaks reports here; unheard, the error would end the process.
    this.pool.on("error", (err) => {
      log.warn("idle connection to postgres lost", { error: describeError(err) });
    });
  }

  async check(): Promise<void> {
    await this.pool.query("SELECT 1");
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
