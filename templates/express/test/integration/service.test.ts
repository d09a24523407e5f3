/**
 * The built service (dist/), started as it runs in production, on a free port,
 * with the dependencies the environment points it to (REDIS_URL, ...).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";

{{#if database,kafka}}
const DEPENDENCIES = [
{{#if postgres}}
  "postgres",
{{/if}}
{{#if redis}}
  "redis",
{{/if}}
{{#if kafka}}
  "kafka",
{{/if}}
];
{{else}}
const DEPENDENCIES: string[] = [];
{{/if}}

let service: ChildProcess;
let base: string;
const lines: string[] = [];

beforeAll(async () => {
  service = spawn(process.execPath, ["dist/index.js"], {
    env: { ...process.env, PORT: "0", BIND_ADDRESS: "127.0.0.1" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  // With PORT=0 the system picks the port; the log line "listening on" says which.
  base = await new Promise<string>((resolve, reject) => {
    createInterface({ input: service.stdout! }).on("line", (line) => {
      lines.push(line);
      const port = /"port":(\d+)/.exec(line)?.[1];
      if (port) {
        resolve(`http://127.0.0.1:${port}`);
      }
    });
    service.once("exit", (code) => reject(new Error(`the service exited (${code}) before listening`)));
  });
}, 30_000);

afterAll(async () => {
  if (service.exitCode === null) {
    service.kill("SIGKILL");
    await once(service, "exit");
  }
});

async function get(path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(base + path);
  return { status: res.status, text: await res.text() };
}

it.each([
  ["/health", '{"status":"ok"}'],
  ["/hello", '{"message":"Hello, World!"}'],
  ["/hello/world", '{"message":"Hello, world!"}'],
  ["/live", '{"status":"alive"}'],
])("GET %s", async (path, body) => {
  expect(await get(path)).toEqual({ status: 200, text: body });
});

it("POST /echo", async () => {
  const body = '{"order": 7, "items": ["a", "b"]}';
  const res = await fetch(base + "/echo", { method: "POST", headers: { "Content-Type": "application/json" }, body });
  expect(res.status).toBe(200);
  expect(await res.text()).toBe(body);
});

it("GET /startup", async () => {
  const { status, text } = await get("/startup");
  expect(status).toBe(200);
  expect(JSON.parse(text)).toEqual({ started_at: expect.any(String), startup_ms: expect.any(Number) });
});

it("GET /ready checks each dependency", async () => {
  const { status, text } = await get("/ready");
  const readiness = JSON.parse(text);
  expect(Object.keys(readiness.checks)).toEqual(DEPENDENCIES);
  const allUp = Object.values(readiness.checks).every((state) => state === "up");
  expect(readiness.status).toBe(allUp ? "ready" : "not ready");
  expect(status).toBe(allUp ? 200 : 503);
});

it("GET {{METRICS_PATH}}", async () => {
  await get("/hello/metrics");
  const { status, text } = await get("{{METRICS_PATH}}");
  expect(status).toBe(200);
  expect(text).toMatch(/^http_requests_total\{method="GET",path="\/hello\/\{name\}",status="200"\} \d+$/m);
  expect(text).toMatch(/^http_request_duration_seconds_count\{method="GET",path="\/hello\/\{name\}"\} \d+$/m);
});

it("logs JSON lines, and stops cleanly on SIGTERM", async () => {
  service.kill("SIGTERM");
  const [code] = await once(service, "exit");
  expect(code).toBe(0);
  const entries = lines.map((line) => JSON.parse(line));
  for (const entry of entries) {
    expect(entry).toEqual(
      expect.objectContaining({
        "@timestamp": expect.any(String),
        level: expect.stringMatching(/^(INFO|WARN|ERROR)$/),
        message: expect.any(String),
        logger_name: expect.any(String),
      }),
    );
  }
  expect(entries).toContainEqual(
    expect.objectContaining({ method: "GET", path: "/hello/world", status: 200, duration_ms: expect.any(Number) }),
  );
  expect(entries[entries.length - 1]).toMatchObject({ message: "stopped" });
});
