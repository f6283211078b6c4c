/**
 * The one way tests wait. A test never sleeps for a fixed time and then asserts, and never
 * asserts how long something took unless that duration is the product's promise: it polls for
 * the condition it needs under a deadline generous enough for a loaded machine, so that a slow
 * scheduler makes a test slower, never red.
 */

/** Deadline for things that take milliseconds on an idle machine (a process start, a reconnection). */
export const GENEROUS_MS = 15_000;

export interface PollOptions {
  /** Give up after this long (default GENEROUS_MS). */
  readonly timeoutMs?: number;
  /** Pause between two checks (default 10 ms). */
  readonly intervalMs?: number;
  /** Named in the error when the deadline passes. */
  readonly what?: string;
}

/**
 * Polls until `condition` returns true and returns the milliseconds it took. A condition that
 * throws counts as "not yet" (a port that does not listen yet, a client that is reconnecting);
 * the last error is reported if the deadline passes.
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, options: PollOptions = {}): Promise<number> {
  const timeoutMs = options.timeoutMs ?? GENEROUS_MS;
  const intervalMs = options.intervalMs ?? 10;
  const started = performance.now();
  let lastError: unknown = null;
  for (;;) {
    try {
      if (await condition()) return performance.now() - started;
    } catch (error) {
      lastError = error;
    }
    if (performance.now() - started > timeoutMs) {
      const cause = lastError === null ? "" : ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`;
      throw new Error(`${options.what ?? "condition"} not met within ${timeoutMs} ms${cause}`);
    }
    await Bun.sleep(intervalMs);
  }
}
