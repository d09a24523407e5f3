import { act, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { usePolling } from "./usePolling";

describe("usePolling", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("loads at once, again after each interval, and stops when unmounted", async () => {
    const load = vi.fn().mockResolvedValueOnce("first").mockResolvedValue("second");
    const { result, unmount } = renderHook(() => usePolling(load, 1000));

    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(result.current.data).toBe("first");

    await act(() => vi.advanceTimersByTimeAsync(1000));
    expect(result.current.data).toBe("second");
    expect(load).toHaveBeenCalledTimes(2);

    unmount();
    await vi.advanceTimersByTimeAsync(5000);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it("keeps the error of a failed call, and clears it on the next success", async () => {
    const load = vi.fn().mockRejectedValueOnce(new Error("boom")).mockResolvedValue("back");
    const { result } = renderHook(() => usePolling(load, 1000));

    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(result.current.error?.message).toBe("boom");
    expect(result.current.updatedAt).toBeInstanceOf(Date);

    await act(() => vi.advanceTimersByTimeAsync(1000));
    expect(result.current.data).toBe("back");
    expect(result.current.error).toBeUndefined();
  });

  it("does not ask again while a slow call is still out", async () => {
    let settle: (value: string) => void = () => {};
    const load = vi.fn(() => new Promise<string>((resolve) => (settle = resolve)));
    renderHook(() => usePolling(load, 1000));

    await act(() => vi.advanceTimersByTimeAsync(10_000));
    expect(load).toHaveBeenCalledTimes(1);

    await act(async () => settle("late"));
    await act(() => vi.advanceTimersByTimeAsync(1000));
    expect(load).toHaveBeenCalledTimes(2);
  });
});
