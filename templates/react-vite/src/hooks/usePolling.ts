import { useEffect, useState } from "react";

export interface PollState<T> {
  data?: T;
  error?: Error;
  updatedAt?: Date;
}

/**
 * Calls load now and then every intervalMs, keeping the latest outcome. The
 * next call is scheduled only once the previous one has settled, so a slow
 * backend is not sent a growing queue of requests. load must be a stable
 * function (defined outside the component, or memoised).
 */
export function usePolling<T>(load: () => Promise<T>, intervalMs: number): PollState<T> {
  const [state, setState] = useState<PollState<T>>({});

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;

    async function tick() {
      let next: PollState<T>;
      try {
        next = { data: await load(), updatedAt: new Date() };
      } catch (err) {
        next = { error: err instanceof Error ? err : new Error(String(err)), updatedAt: new Date() };
      }
      if (stopped) return;
      setState(next);
      timer = setTimeout(tick, intervalMs);
    }

    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [load, intervalMs]);

  return state;
}
