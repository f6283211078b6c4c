export interface LoadResult {
  readonly sent: number;
  readonly statuses: Map<number, number>;
  readonly networkErrors: number;
  readonly slowestMs: number;
  /** How long each request took, in the order they were answered. */
  readonly durationsMs: readonly number[];
  readonly incompleteBodies: number;
}

export interface LoadOptions {
  readonly workers: number;
  /**
   * A cap, not a schedule: the load stops by itself after this long, or after maxRequests, or
   * when `stop` returns true, whichever comes first. Tests stop it on a condition (`stop`,
   * maxRequests) and keep this generous.
   */
  readonly durationMs: number;
  readonly maxRequests: number;
  /** Builds request number i. */
  readonly request: (i: number) => Request;
  /** Stops early when it returns true (checked between requests). */
  readonly stop?: () => boolean;
}

/** What a running load has done so far, for tests that wait until it has done enough. */
export interface LoadProgress {
  readonly sent: number;
  /** Requests that got a response (of any status) or a network error. */
  readonly finished: number;
}

export interface RunningLoad {
  readonly progress: LoadProgress;
  readonly done: Promise<LoadResult>;
}

/** A bounded closed-loop load: `workers` clients, each sending its next request when the last is answered. */
export function startLoad(options: LoadOptions): RunningLoad {
  const statuses = new Map<number, number>();
  const progress = { sent: 0, finished: 0 };
  const durationsMs: number[] = [];
  let networkErrors = 0;
  let incompleteBodies = 0;
  const deadline = Date.now() + options.durationMs;
  const worker = async () => {
    while (Date.now() < deadline && progress.sent < options.maxRequests && !options.stop?.()) {
      const i = progress.sent++;
      const started = performance.now();
      try {
        const response = await fetch(options.request(i));
        const text = await response.text();
        try {
          JSON.parse(text);
        } catch {
          incompleteBodies++;
        }
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      } catch {
        networkErrors++;
      }
      durationsMs.push(performance.now() - started);
      progress.finished++;
    }
  };
  const done = Promise.all(Array.from({ length: options.workers }, worker)).then(() => ({
    sent: progress.sent,
    statuses,
    networkErrors,
    slowestMs: durationsMs.reduce((slowest, ms) => Math.max(slowest, ms), 0),
    durationsMs,
    incompleteBodies,
  }));
  return { progress, done };
}

/** Runs a load to its end. */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return startLoad(options).done;
}

export function count5xx(result: LoadResult): number {
  let total = 0;
  for (const [status, n] of result.statuses) if (status >= 500) total += n;
  return total;
}
