import { createLogger, describeError } from "../../src/logger";

function capture() {
  const lines: string[] = [];
  return { lines, sink: (line: string) => void lines.push(line) };
}

describe("createLogger", () => {
  it("writes one JSON object per line, the contract's fields first", () => {
    const { lines, sink } = capture();
    createLogger("orders", sink).info("order placed", { order_id: 7 });
    expect(lines).toHaveLength(1);
    expect(lines[0].endsWith("}\n")).toBe(true);
    const entry = JSON.parse(lines[0]);
    expect(Object.keys(entry)).toEqual(["@timestamp", "level", "message", "logger_name", "order_id"]);
    expect(entry).toMatchObject({ level: "INFO", message: "order placed", logger_name: "orders", order_id: 7 });
    expect(entry["@timestamp"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("logs at WARN and ERROR", () => {
    const { lines, sink } = capture();
    const log = createLogger("x", sink);
    log.warn("w");
    log.error("e");
    expect(lines.map((line) => JSON.parse(line).level)).toEqual(["WARN", "ERROR"]);
  });

  it("puts an error's stack in stack_trace", () => {
    const { lines, sink } = capture();
    createLogger("x", sink).error("failed", { err: new Error("boom") });
    const entry = JSON.parse(lines[0]);
    expect(entry.stack_trace).toMatch(/^Error: boom\n\s+at /);
    expect(entry).not.toHaveProperty("err");
  });

  it("keeps a thrown non-error as text", () => {
    const { lines, sink } = capture();
    createLogger("x", sink).error("failed", { err: "just a string" });
    expect(JSON.parse(lines[0]).error).toBe("just a string");
  });

  it("never throws, even on fields JSON cannot hold", () => {
    const { lines, sink } = capture();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    createLogger("x", sink).info("still logged", { circular, big: 1n });
    const entry = JSON.parse(lines[0]);
    expect(entry).toMatchObject({ level: "INFO", message: "still logged", logger_name: "x" });
    expect(entry.error).toMatch(/^fields dropped: /);
  });
});

describe("describeError", () => {
  it("gives an error's message, or its name when the message is empty", () => {
    expect(describeError(new Error("refused"))).toBe("refused");
    expect(describeError(new TypeError())).toBe("TypeError");
    expect(describeError(new AggregateError([new Error("v6"), new Error("v4")]))).toBe("v6; v4");
    expect(describeError(42)).toBe("42");
  });
});
