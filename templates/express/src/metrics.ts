/**
 * The two HTTP metrics of the platform's contract, in a registry of their own
 * so that each app (and each test) counts from zero.
 */
import { Counter, Histogram, Registry } from "prom-client";

export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class HttpMetrics {
  readonly registry = new Registry();

  private readonly requests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests served, by method, route pattern and status.",
    labelNames: ["method", "path", "status"] as const,
    registers: [this.registry],
  });

  private readonly duration = new Histogram({
    name: "http_request_duration_seconds",
    help: "Time to serve an HTTP request, by method and route pattern.",
    labelNames: ["method", "path"] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  /** Count one request; path is its route pattern (/hello/{name}), never the raw path. */
  observe(method: string, path: string, status: number, seconds: number): void {
    this.requests.inc({ method, path, status: String(status) });
    this.duration.observe({ method, path }, seconds);
  }

  /** The Prometheus text exposition of every metric in the registry. */
  expose(): Promise<string> {
    return this.registry.metrics();
  }
}
