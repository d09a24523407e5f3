import { vi } from "vitest";

/** A canned answer: JSON from the backend, or the text of a proxy's error page. */
export type Canned = { status: number; json: unknown } | { status: number; text: string };

/**
 * Replaces the global fetch with one that answers the given URLs (as the app
 * asks for them, /api/…) and rejects any other. Returns the mock, for its calls.
 */
export function stubFetch(routes: Record<string, Canned>) {
  const fetch = vi.fn(async (input: RequestInfo | URL) => {
    const canned = routes[String(input)];
    if (!canned) throw new TypeError(`no canned answer for ${String(input)}`);
    return "json" in canned
      ? new Response(JSON.stringify(canned.json), {
          status: canned.status,
          headers: { "Content-Type": "application/json" },
        })
      : new Response(canned.text, { status: canned.status, headers: { "Content-Type": "text/html" } });
  });
  vi.stubGlobal("fetch", fetch);
  return fetch;
}
