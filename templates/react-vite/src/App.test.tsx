import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { App } from "./App";
import { SERVICE_NAME } from "./config";
import { stubFetch } from "./test/fetch";

describe("App", () => {
  it("shows the service's health and readiness from the backend", async () => {
    stubFetch({
      "/api/health": { status: 200, json: { status: "ok" } },
      "/api/ready": { status: 503, json: { status: "not ready", checks: { redis: "down" } } },
    });
    render(<App />);

    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent(SERVICE_NAME);
    const health = screen.getByRole("region", { name: "Health" });
    const ready = screen.getByRole("region", { name: "Readiness" });
    expect(await within(health).findByText("ok")).toHaveClass("badge--up");
    expect(await within(ready).findByText("not ready")).toHaveClass("badge--down");
    expect(within(ready).getByRole("listitem")).toHaveTextContent("redisdown");
  });

  it("marks both cards unreachable when only the proxy answers", async () => {
    stubFetch({
      "/api/health": { status: 502, text: "Bad Gateway" },
      "/api/ready": { status: 502, text: "Bad Gateway" },
    });
    render(<App />);

    expect(await screen.findAllByText("unreachable")).toHaveLength(2);
  });
});
