/**
 * When the process started and how long it took to begin serving, for
 * GET /startup. performance.now() counts from the process's time origin.
 */
export interface StartupReport {
  started_at: string;
  startup_ms: number;
}

export class Startup {
  readonly startedAt = new Date(performance.timeOrigin);
  private readyAfterMs: number | undefined;

  /** Mark the moment the server began to listen; later calls change nothing. */
  ready(): void {
    this.readyAfterMs ??= Math.round(performance.now());
  }

  /** Until ready() is called, startup_ms is the time spent starting so far. */
  report(): StartupReport {
    return {
      started_at: this.startedAt.toISOString(),
      startup_ms: this.readyAfterMs ?? Math.round(performance.now()),
    };
  }
}
