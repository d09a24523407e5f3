import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { stubFetch } from "../test/fetch";
import { HelloForm } from "./HelloForm";

describe("HelloForm", () => {
  it("sends the name and shows the backend's greeting", async () => {
    const fetch = stubFetch({ "/api/hello/Ada": { status: 200, json: { message: "Hello, Ada!" } } });
    const user = userEvent.setup();
    render(<HelloForm />);

    await user.clear(screen.getByLabelText("Name"));
    await user.type(screen.getByLabelText("Name"), "Ada");
    await user.click(screen.getByRole("button", { name: "Send" }));

    expect(await screen.findByText("Hello, Ada!")).toBeInTheDocument();
    expect(fetch).toHaveBeenCalledOnce();
  });

  it("shows the failure when the backend cannot be reached", async () => {
    stubFetch({ "/api/hello/world": { status: 502, text: "Bad Gateway" } });
    const user = userEvent.setup();
    render(<HelloForm />);

    await user.click(screen.getByRole("button", { name: "Send" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("HTTP 502 without a JSON body");
  });

  it("cannot send an empty name", async () => {
    const user = userEvent.setup();
    render(<HelloForm />);

    await user.clear(screen.getByLabelText("Name"));

    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();
  });
});
