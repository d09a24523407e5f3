/**
 * The production bundle as `vite preview` serves it, with the dev server's
 * /api proxy, in front of a stand-in backend on a free port. Needs dist/:
 * `npm run test:integration` builds it first.
 */
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { preview, type PreviewServer } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

describe("the built frontend", () => {
  let backend: Server;
  let frontend: PreviewServer;
  let base: URL;

  beforeAll(async () => {
    // Answers everything with the path it was asked for, as JSON.
    backend = createServer((req, res) => {
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify({ path: req.url }));
    });
    backend.listen(0, "127.0.0.1");
    await once(backend, "listening");
    const { port } = backend.address() as AddressInfo;
    process.env.BACKEND_URL = `http://127.0.0.1:${port}`; // read by vite.config.ts

    frontend = await preview({ preview: { host: "127.0.0.1", port: 0 }, logLevel: "silent" });
    const address = frontend.httpServer.address() as AddressInfo;
    base = new URL(`http://127.0.0.1:${address.port}/`);
  });

  afterAll(async () => {
    await frontend?.close();
    backend?.close();
  });

  it("serves the page", async () => {
    const res = await fetch(base);

    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<div id="root"></div>');
  });

  it("forwards /api/... to the backend without the prefix", async () => {
    const res = await fetch(new URL("api/hello/world", base));

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ path: "/hello/world" });
  });

  it("keeps the query string", async () => {
    const res = await fetch(new URL("api/ready?verbose=1", base));

    expect(await res.json()).toEqual({ path: "/ready?verbose=1" });
  });
});
