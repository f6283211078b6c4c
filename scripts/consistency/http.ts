/** One HTTP exchange with a sidecar, timed on the run's clock. */
export interface Exchange {
  readonly invoke: number;
  readonly complete: number;
  /** null: no answer (connection error or client timeout). */
  readonly status: number | null;
  /** The parsed JSON body, or undefined when it was not JSON. */
  readonly body: unknown;
}

/** Longest wait for an answer; sidecars bound every Redis call far below this. */
const REQUEST_TIMEOUT_MS = 5000;

export async function exchange(clock: () => number, url: string, init: { method: string; body?: unknown }): Promise<Exchange> {
  const invoke = clock();
  try {
    const response = await fetch(url, {
      method: init.method,
      headers: init.body === undefined ? undefined : { "content-type": "application/json" },
      // JSON.stringify escapes lone surrogates (\ud800), so the body is valid UTF-8 JSON.
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { invoke, complete: clock(), status: response.status, body };
  } catch {
    return { invoke, complete: clock(), status: null, body: undefined };
  }
}

/** A field of a JSON object body, or undefined. */
export function field(body: unknown, name: string): unknown {
  return typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>)[name] : undefined;
}
