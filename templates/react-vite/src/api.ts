/**
 * The backend's standard endpoints, as the dashboard calls them. Every path
 * goes through /api, which the Vite dev server (vite.config.ts) and nginx in
 * production (nginx.conf) forward to the backend with the prefix removed.
 */
export const API_BASE = "/api";

export interface Health {
  status: string;
}

/** One entry per dependency the backend was created with: "up" or "down". */
export interface Readiness {
  status: string;
  checks?: Record<string, string>;
}

export interface Greeting {
  message: string;
}

/** An answer from the backend: its status, its JSON body, and how long it took. */
export interface Reply<T> {
  ok: boolean;
  status: number;
  body: T;
  ms: number;
}

/** No JSON answer at all: the backend is unreachable, or a proxy answered for it. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

async function get<T>(path: string): Promise<Reply<T>> {
  const started = performance.now();
  let res: Response;
  try {
    res = await fetch(API_BASE + path, { headers: { Accept: "application/json" } });
  } catch (err) {
    throw new ApiError(`backend unreachable: ${err instanceof Error ? err.message : String(err)}`);
  }
  let body: T;
  try {
    body = (await res.json()) as T;
  } catch {
    // A proxy's own error page (502 from nginx, 500 from Vite) when the
    // backend is down: not the backend's answer.
    throw new ApiError(`HTTP ${res.status} without a JSON body`, res.status);
  }
  return { ok: res.ok, status: res.status, body, ms: Math.round(performance.now() - started) };
}

export const getHealth = () => get<Health>("/health");

/** 503 is an answer too: its body names the dependency that is down. */
export const getReady = () => get<Readiness>("/ready");

export const getHello = (name: string) => get<Greeting>(`/hello/${encodeURIComponent(name)}`);
