import request from "supertest";

import { createApp } from "../../src/app";
import { createLogger } from "../../src/logger";
import { DURATION_BUCKETS, HttpMetrics } from "../../src/metrics";
import type { Dependency } from "../../src/readiness";
import { Startup } from "../../src/startup";

/** A dependency whose check passes or fails as the test says. */
function fakeDependency(name: string, up: boolean): Dependency {
  return {
    name,
    check: () => (up ? Promise.resolve() : Promise.reject(new Error("connection refused"))),
    close: () => Promise.resolve(),
  };
}

function setup(dependencies: Dependency[] = []) {
  const lines: string[] = [];
  const startup = new Startup();
  startup.ready();
  const app = createApp({
    dependencies,
    metrics: new HttpMetrics(),
    startup,
    log: createLogger("http", (line) => lines.push(line)),
  });
  const logs = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { app, logs };
}

describe("standard endpoints", () => {
  const { app } = setup();

  it("GET /health", async () => {
    const res = await request(app).get("/health").expect(200).expect("Content-Type", /application\/json/);
    expect(res.text).toBe('{"status":"ok"}');
  });

  it("GET /hello", async () => {
    const res = await request(app).get("/hello").expect(200);
    expect(res.text).toBe('{"message":"Hello, World!"}');
  });

  it("GET /hello/{name}", async () => {
    const res = await request(app).get("/hello/world").expect(200);
    expect(res.text).toBe('{"message":"Hello, world!"}');
  });

  it("GET /hello/{name} decodes the name", async () => {
    const res = await request(app).get("/hello/J%C3%BCrgen%20M").expect(200);
    expect(res.body).toEqual({ message: "Hello, Jürgen M!" });
  });

  it("GET /live", async () => {
    const res = await request(app).get("/live").expect(200);
    expect(res.text).toBe('{"status":"alive"}');
  });

  it("GET /startup", async () => {
    const res = await request(app).get("/startup").expect(200);
    expect(Object.keys(res.body)).toEqual(["started_at", "startup_ms"]);
    expect(res.body.started_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(Number.isInteger(res.body.startup_ms)).toBe(true);
    expect(res.body.startup_ms).toBeGreaterThanOrEqual(0);
  });

  it("answers 404 in JSON for an unknown path", async () => {
    const res = await request(app).get("/nowhere").expect(404);
    expect(res.body).toEqual({ error: "not found" });
  });
});

describe("POST /echo", () => {
  const { app } = setup();

  it.each([
    '{"a":1}',
    '{ "spaced" : [1, 2.50, "x"] }',
    "[]",
    '"just a string"',
    "42",
  ])("echoes %s byte for byte", async (body) => {
    const res = await request(app).post("/echo").set("Content-Type", "application/json").send(body).expect(200);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.text).toBe(body);
  });

  it("echoes JSON sent with another content type", async () => {
    const res = await request(app).post("/echo").set("Content-Type", "text/plain").send('{"b":2}').expect(200);
    expect(res.text).toBe('{"b":2}');
  });

  it.each(["{not json", "", "{\"a\":1} trailing"])("answers 400 to %p", async (body) => {
    const res = await request(app).post("/echo").set("Content-Type", "application/json").send(body).expect(400);
    expect(res.body).toEqual({ error: "the body is not JSON" });
  });

  it("answers 413 to a body over a megabyte", async () => {
    const body = JSON.stringify({ pad: "x".repeat(1024 * 1024) });
    const res = await request(app).post("/echo").set("Content-Type", "application/json").send(body).expect(413);
    expect(res.body).toEqual({ error: "request entity too large" });
  });
});

describe("GET /ready", () => {
  it("is ready when there are no dependencies", async () => {
    const res = await request(setup().app).get("/ready").expect(200);
    expect(res.text).toBe('{"status":"ready","checks":{}}');
  });

  it("is ready when every dependency is up", async () => {
    const { app } = setup([fakeDependency("postgres", true), fakeDependency("redis", true)]);
    const res = await request(app).get("/ready").expect(200);
    expect(res.text).toBe('{"status":"ready","checks":{"postgres":"up","redis":"up"}}');
  });

  it("is not ready, naming the dependency down, when one is down", async () => {
    const { app, logs } = setup([fakeDependency("postgres", true), fakeDependency("redis", false)]);
    const res = await request(app).get("/ready").expect(503);
    expect(res.text).toBe('{"status":"not ready","checks":{"postgres":"up","redis":"down"}}');
    expect(logs()).toContainEqual(
      expect.objectContaining({ level: "WARN", message: "redis is down: connection refused", check: "redis" }),
    );
  });
});

describe("metrics", () => {
  it("counts requests under their route pattern, with the contract's buckets", async () => {
    const { app } = setup();
    await request(app).get("/hello/world").expect(200);
    await request(app).get("/hello/moon").expect(200);
    await request(app).get("/nowhere").expect(404);

    const res = await request(app).get("{{METRICS_PATH}}").expect(200).expect("Content-Type", /^text\/plain/);
    const text = res.text;
    expect(text).toContain("# TYPE http_requests_total counter");
    expect(text).toContain('http_requests_total{method="GET",path="/hello/{name}",status="200"} 2');
    expect(text).toContain('http_requests_total{method="GET",path="other",status="404"} 1');
    expect(text).not.toContain("/hello/world");
    expect(text).toContain("# TYPE http_request_duration_seconds histogram");
    for (const le of [...DURATION_BUCKETS.map(String), "+Inf"]) {
      expect(text).toContain(`http_request_duration_seconds_bucket{le="${le}",method="GET",path="/hello/{name}"} `);
    }
    expect(text).toContain('http_request_duration_seconds_count{method="GET",path="/hello/{name}"} 2');
  });
});

describe("request logs", () => {
  it("logs each request as one JSON line with the contract's fields", async () => {
    const { app, logs } = setup();
    await request(app).get("/hello/world?x=1").expect(200);
    const [entry] = logs();
    expect(Object.keys(entry)).toEqual([
      "@timestamp",
      "level",
      "message",
      "logger_name",
      "method",
      "path",
      "route",
      "status",
      "duration_ms",
    ]);
    expect(entry).toMatchObject({
      level: "INFO",
      message: "GET /hello/world 200",
      logger_name: "http",
      method: "GET",
      path: "/hello/world",
      route: "/hello/{name}",
      status: 200,
    });
    expect(typeof entry.duration_ms).toBe("number");
  });

  it("counts scrapes of the metrics without logging them", async () => {
    const { app, logs } = setup();
    await request(app).get("{{METRICS_PATH}}").expect(200);
    expect(logs()).toEqual([]);
  });
});
