/**
 * The HTTP service: the platform's standard endpoints, with every request
 * counted in the metrics and logged as a JSON line. Building the app does no
 * I/O, so the tests drive it directly with whatever dependencies they fake.
 */
import express, { type ErrorRequestHandler, type Express, type Request, type RequestHandler } from "express";

import type { Logger } from "./logger";
import type { HttpMetrics } from "./metrics";
import { checkReadiness, type Dependency } from "./readiness";
import type { Startup } from "./startup";

export interface AppOptions {
  dependencies: readonly Dependency[];
  metrics: HttpMetrics;
  startup: Startup;
  log: Logger;
}

const METRICS_PATH = "{{METRICS_PATH}}";

export function createApp({ dependencies, metrics, startup, log }: AppOptions): Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(observe(metrics, log));

  app.get("/health", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/hello", (_req, res) => {
    res.json({ message: "Hello, World!" });
  });
  app.get("/hello/:name", (req, res) => {
    res.json({ message: `Hello, ${req.params.name}!` });
  });
  // The body is echoed byte for byte, so it is read raw and parsed only to check it.
  app.post("/echo", express.raw({ type: () => true, limit: "1mb" }), (req, res) => {
    const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    try {
      JSON.parse(body.toString("utf8"));
    } catch {
      res.status(400).json({ error: "the body is not JSON" });
      return;
    }
    res.type("application/json").send(body);
  });
  app.get("/ready", async (_req, res) => {
    const readiness = await checkReadiness(dependencies, log);
    res.status(readiness.status === "ready" ? 200 : 503).json(readiness);
  });
  app.get("/live", (_req, res) => {
    res.json({ status: "alive" });
  });
  app.get("/startup", (_req, res) => {
    res.json(startup.report());
  });
  app.get(METRICS_PATH, async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.expose());
  });

  app.use((_req, res) => {
    res.status(404).json({ error: "not found" });
  });
  app.use(handleError(log));
  return app;
}

/**
 * Times every request and, once the response is sent, counts it under its
 * route pattern and logs it. Scrapes of the metrics are counted, not logged:
 * a scraper every few seconds would drown the log.
 */
function observe(metrics: HttpMetrics, log: Logger): RequestHandler {
  return (req, res, next) => {
    const start = performance.now();
    const path = req.path;
    res.on("finish", () => {
      const ms = performance.now() - start;
      const route = routePattern(req);
      metrics.observe(req.method, route, res.statusCode, ms / 1000);
      if (route === METRICS_PATH) {
        return;
      }
      const fields = {
        method: req.method,
        path,
        route,
        status: res.statusCode,
        duration_ms: Math.round(ms * 1000) / 1000,
      };
      const message = `${req.method} ${path} ${res.statusCode}`;
      if (res.statusCode >= 500) {
        log.error(message, fields);
      } else {
        log.info(message, fields);
      }
    });
    next();
  };
}

/** The route that matched, in the platform's notation (/hello/{name}); "other" when none did. */
function routePattern(req: Request): string {
  const route: unknown = req.route;
  const pattern = (route as { path?: unknown } | undefined)?.path;
  if (typeof pattern !== "string") {
    return "other";
  }
  return (req.baseUrl + pattern).replace(/:(\w+)/g, "{$1}");
}

/**
 * Errors become JSON answers. Those the client caused (a body too large, say)
 * carry their 4xx status from the middleware that raised them; anything else
 * is a 500 whose details go to the log, not to the client.
 */
function handleError(log: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const status = clientErrorStatus(err);
    if (status !== undefined) {
      res.status(status).json({ error: err instanceof Error ? err.message : String(err) });
      return;
    }
    log.error(`${req.method} ${req.path} failed`, { err });
    res.status(500).json({ error: "internal error" });
  };
}

function clientErrorStatus(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === "number" && status >= 400 && status < 500 ? status : undefined;
}
