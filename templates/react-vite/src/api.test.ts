import { describe, expect, it, vi } from "vitest";
import { ApiError, getHealth, getHello, getReady } from "./api";
import { stubFetch } from "./test/fetch";

describe("api", () => {
  it("asks through /api and returns the backend's JSON", async () => {
    const fetch = stubFetch({ "/api/health": { status: 200, json: { status: "ok" } } });

    await expect(getHealth()).resolves.toMatchObject({ ok: true, status: 200, body: { status: "ok" } });
    expect(fetch).toHaveBeenCalledOnce();
  });

  it("escapes the name in /hello/{name}", async () => {
    stubFetch({
      "/api/hello/J%C3%BCrgen%20%2F%20Jo": { status: 200, json: { message: "Hello, Jürgen / Jo!" } },
    });

    const reply = await getHello("Jürgen / Jo");
    expect(reply.body.message).toBe("Hello, Jürgen / Jo!");
  });

  it("keeps a 503 from /ready as an answer that names what is down", async () => {
    stubFetch({
      "/api/ready": { status: 503, json: { status: "not ready", checks: { redis: "down" } } },
    });

    await expect(getReady()).resolves.toMatchObject({
      ok: false,
      status: 503,
      body: { status: "not ready", checks: { redis: "down" } },
    });
  });

  it("turns a proxy's error page into an ApiError with its status", async () => {
    stubFetch({ "/api/health": { status: 502, text: "<html>502 Bad Gateway</html>" } });

    const err = await getHealth().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 502, message: "HTTP 502 without a JSON body" });
  });

  it("reports a failed connection as unreachable", async () => {
    vi.stubGlobal("fetch", vi.fn().mockRejectedValue(new TypeError("Failed to fetch")));

    await expect(getHealth()).rejects.toThrow("backend unreachable: Failed to fetch");
  });
});
