/**
 * JSON logs, one object per line on stdout, in the fields the platform reads:
 * @timestamp (RFC 3339), level, message, logger_name, then the caller's fields;
 * an error passed as `err` becomes stack_trace.
 */
export type Level = "INFO" | "WARN" | "ERROR";

export interface Fields {
  err?: unknown;
  [field: string]: unknown;
}

export interface Logger {
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
}

export type Sink = (line: string) => void;

const stdout: Sink = (line) => {
  process.stdout.write(line);
};

export function createLogger(name: string, sink: Sink = stdout): Logger {
  const log = (level: Level, message: string, { err, ...fields }: Fields = {}): void => {
    const record: Record<string, unknown> = {
      "@timestamp": new Date().toISOString(),
      level,
      message,
      logger_name: name,
      ...fields,
    };
    if (err instanceof Error) {
      record.stack_trace = err.stack ?? String(err);
    } else if (err !== undefined) {
      record.error = String(err);
    }
    sink(serialize(record) + "\n");
  };
  return {
    info: (message, fields) => log("INFO", message, fields),
    warn: (message, fields) => log("WARN", message, fields),
    error: (message, fields) => log("ERROR", message, fields),
  };
}

/**
 * An error as one line, for a field that a stack trace would swamp. Some
 * errors (an AggregateError from a dual-stack connect) have an empty message.
 */
export function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    return err.errors.map(describeError).join("; ");
  }
  if (err instanceof Error) {
    return err.message || err.name;
  }
  return String(err);
}

/** A log call must never throw: fields that JSON cannot hold are dropped. */
function serialize(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record);
  } catch (e) {
    const { "@timestamp": timestamp, level, message, logger_name } = record;
    return JSON.stringify({
      "@timestamp": timestamp,
      level,
      message,
      logger_name,
      error: `fields dropped: ${String(e)}`,
    });
  }
}
