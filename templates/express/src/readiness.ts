/**
 * GET /ready: one check per dependency the service was made with, run
 * concurrently, each with a deadline so that a hung dependency cannot hang
 * the probe that asks about it.
 */
import { describeError, type Logger } from "./logger";

export interface Dependency {
  /** Its key in the answer's "checks". */
  readonly name: string;
  /** Resolves when the dependency answers; rejects with the reason otherwise. */
  check(): Promise<void>;
  /** Lets go of its connections, at shutdown. */
  close(): Promise<void>;
}

export type CheckState = "up" | "down";

export interface Readiness {
  status: "ready" | "not ready";
  checks: Record<string, CheckState>;
}

export const CHECK_TIMEOUT_MS = 2000;

export async function checkReadiness(
  dependencies: readonly Dependency[],
  log: Logger,
  timeoutMs = CHECK_TIMEOUT_MS,
): Promise<Readiness> {
  const states = await Promise.all(
    dependencies.map(async (dependency): Promise<CheckState> => {
      try {
        await withTimeout(dependency.check(), timeoutMs);
        return "up";
      } catch (err) {
        log.warn(`${dependency.name} is down: ${describeError(err)}`, { check: dependency.name });
        return "down";
      }
    }),
  );
  return {
    status: states.every((state) => state === "up") ? "ready" : "not ready",
    checks: Object.fromEntries(dependencies.map((dependency, i) => [dependency.name, states[i]])),
  };
}

function withTimeout(check: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([check, deadline]).finally(() => clearTimeout(timer));
}
