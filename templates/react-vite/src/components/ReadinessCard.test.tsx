import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { ApiError, type Readiness, type Reply } from "../api";
import type { PollState } from "../hooks/usePolling";
import { ReadinessCard } from "./ReadinessCard";

const updatedAt = new Date("2026-01-02T03:04:05Z");

function answered(status: number, body: Readiness): PollState<Reply<Readiness>> {
  return { data: { ok: status < 400, status, ms: 4, body }, updatedAt };
}

describe("ReadinessCard", () => {
  it("lists each dependency with its state", () => {
    const state = answered(503, { status: "not ready", checks: { redis: "down", postgres: "up" } });
    render(<ReadinessCard state={state} />);

    const card = screen.getByRole("region", { name: "Readiness" });
    expect(within(card).getByText("not ready")).toHaveClass("badge--down");
    const [redis, postgres] = within(card).getAllByRole("listitem");
    expect(redis).toHaveTextContent("redisdown");
    expect(postgres).toHaveTextContent("postgresup");
    expect(card).toHaveTextContent("HTTP 503 in 4 ms");
  });

  it("says so when the backend has nothing to check", () => {
    render(<ReadinessCard state={answered(200, { status: "ready", checks: {} })} />);

    expect(screen.getByText("ready")).toHaveClass("badge--up");
    expect(screen.getByText("No dependencies to check.")).toBeInTheDocument();
  });

  it("shows an unreachable backend with the reason", () => {
    const state = { error: new ApiError("HTTP 502 without a JSON body", 502), updatedAt };
    render(<ReadinessCard state={state} />);

    expect(screen.getByText("unreachable")).toHaveClass("badge--down");
    expect(screen.getByRole("region", { name: "Readiness" })).toHaveTextContent("HTTP 502 without a JSON body");
  });

  it("waits quietly for the first answer", () => {
    const state: PollState<Reply<Readiness>> = {};
    render(<ReadinessCard state={state} />);

    expect(screen.getByText("checking…")).toHaveClass("badge--unknown");
    expect(screen.queryByRole("listitem")).not.toBeInTheDocument();
  });
});
