import { createLogger } from "../../src/logger";
import { checkReadiness, type Dependency } from "../../src/readiness";

const quiet = createLogger("test", () => undefined);

function dependency(name: string, check: () => Promise<void>): Dependency {
  return { name, check, close: () => Promise.resolve() };
}

describe("checkReadiness", () => {
  it("reports every check, in the order of the dependencies", async () => {
    const readiness = await checkReadiness(
      [dependency("postgres", () => Promise.resolve()), dependency("redis", () => Promise.resolve())],
      quiet,
    );
    expect(JSON.stringify(readiness)).toBe('{"status":"ready","checks":{"postgres":"up","redis":"up"}}');
  });

  it("marks a failing check down, and logs why", async () => {
    const lines: string[] = [];
    const readiness = await checkReadiness(
      [dependency("kafka", () => Promise.reject(new AggregateError([new Error("a"), new Error("b")], "")))],
      createLogger("readiness", (line) => lines.push(line)),
    );
    expect(readiness).toEqual({ status: "not ready", checks: { kafka: "down" } });
    expect(JSON.parse(lines[0])).toMatchObject({ level: "WARN", message: "kafka is down: a; b", check: "kafka" });
  });

  it("marks a check down when it does not answer in time", async () => {
    const hung = dependency("redis", () => new Promise<void>(() => undefined));
    const readiness = await checkReadiness([hung], quiet, 20);
    expect(readiness).toEqual({ status: "not ready", checks: { redis: "down" } });
  });

  it("runs the checks at the same time", async () => {
    const slow = () => new Promise<void>((resolve) => setTimeout(resolve, 100));
    const start = Date.now();
    await checkReadiness([dependency("a", slow), dependency("b", slow), dependency("c", slow)], quiet);
    expect(Date.now() - start).toBeLessThan(250);
  });
});
