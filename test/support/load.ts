export interface LoadResult {
  readonly sent: number;
  readonly statuses: Map<number, number>;
  readonly networkErrors: number;
  readonly slowestMs: number;
  readonly incompleteBodies: number;
}

export interface LoadOptions {
  readonly workers: number;
  /** The load stops by itself after this long, or after maxRequests, whichever comes first. */
  readonly durationMs: number;
  readonly maxRequests: number;
  /** Builds request number i. */
  readonly request: (i: number) => Request;
  /** Stops early when it returns true (checked between requests). */
  readonly stop?: () => boolean;
}

/** A bounded closed-loop load: `workers` clients, each sending its next request when the last is answered. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const statuses = new Map<number, number>();
  let sent = 0;
  let networkErrors = 0;
  let slowestMs = 0;
  let incompleteBodies = 0;
  const deadline = Date.now() + options.durationMs;
  const worker = async () => {
    while (Date.now() < deadline && sent < options.maxRequests && !options.stop?.()) {
      const i = sent++;
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
      slowestMs = Math.max(slowestMs, performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: options.workers }, worker));
  return { sent, statuses, networkErrors, slowestMs, incompleteBodies };
}

export function count5xx(result: LoadResult): number {
  let total = 0;
  for (const [status, n] of result.statuses) if (status >= 500) total += n;
  return total;
}
