/**
 * {{PROJECT_NAME}}: reads its configuration from the environment,
{{#if database,kafka}}
 * connects to its dependencies,
{{/if}}
 * serves HTTP on PORT, and on SIGTERM or SIGINT stops taking connections,
 * finishes the requests in flight, and exits.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

import { collectDefaultMetrics } from "prom-client";

import { createApp } from "./app";
import { loadConfig } from "./config";
{{#if kafka}}
import { KafkaDependency } from "./kafka";
{{/if}}
import { createLogger } from "./logger";
import { HttpMetrics } from "./metrics";
{{#if postgres}}
import { PostgresDependency } from "./postgres";
{{/if}}
import type { Dependency } from "./readiness";
{{#if redis}}
import { RedisDependency } from "./redis";
{{/if}}
import { Startup } from "./startup";

const log = createLogger("main");

// Node ends the process on an uncaught error; first say why, in the log's format.
process.on("uncaughtException", (err, origin) => {
  log.error(`fatal ${origin}`, { err });
  process.exit(1);
});

const startup = new Startup();
const config = loadConfig();
{{#if database,kafka}}
const dependencies: Dependency[] = [
{{#if postgres}}
  new PostgresDependency(config.databaseUrl, createLogger("postgres")),
{{/if}}
{{#if redis}}
  new RedisDependency(config.redisUrl, createLogger("redis")),
{{/if}}
{{#if kafka}}
  new KafkaDependency(config.kafkaBrokers, "{{PROJECT_NAME}}"),
{{/if}}
];
{{else}}
const dependencies: Dependency[] = [];
{{/if}}
const metrics = new HttpMetrics();
collectDefaultMetrics({ register: metrics.registry });

const app = createApp({ dependencies, metrics, startup, log: createLogger("http") });
const server = createServer(app);
const cannotListen = (err: Error): void => {
  log.error(`cannot listen on port ${config.port}`, { err });
  process.exit(1);
};
server.once("error", cannotListen);
server.listen({ port: config.port, host: config.bindAddress }, () => {
  server.off("error", cannotListen);
  startup.ready();
  // The port actually bound: PORT=0 asks for any free one.
  const { port } = server.address() as AddressInfo;
  const { startup_ms } = startup.report();
  log.info(`{{PROJECT_NAME}} listening on port ${port} (started in ${startup_ms} ms)`, { port, startup_ms });
});

function shutdown(signal: NodeJS.Signals): void {
  log.info(`${signal} received, shutting down`);
  server.close(async () => {
    await Promise.allSettled(dependencies.map((dependency) => dependency.close()));
    log.info("stopped");
    process.exit(0);
  });
}
process.once("SIGTERM", shutdown);
process.once("SIGINT", shutdown);
