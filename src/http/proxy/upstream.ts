/**
 * Talking to an upstream: which headers cross the proxy, and calls bounded in time. The
 * sidecar never retries on its own: the SDKs retry on their terms, and a retry here would
 * pay twice for a request the caller may already have retried.
 */

/** Connection-level headers (RFC 9110 7.6.1): they describe one hop, never the next. */
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length"];

/** Builds the headers of the upstream request: the caller's, minus hop-by-hop and `dropped` ones. O(headers). */
export function upstreamRequestHeaders(incoming: Headers, dropped: readonly string[]): Headers {
  const headers = new Headers(incoming);
  for (const name of HOP_BY_HOP) headers.delete(name);
  // Headers the Connection header names are hop-by-hop too.
  for (const name of (incoming.get("connection") ?? "").split(",")) if (name.trim() !== "") headers.delete(name.trim());
  for (const name of dropped) headers.delete(name);
  return headers;
}

/**
 * The upstream's response headers for the client. `decoded`: the runtime has already undone
 * the upstream's content-encoding, so the encoding and length no longer describe the body.
 */
export function clientResponseHeaders(upstream: Headers, decoded: boolean): Headers {
  const headers = new Headers(upstream);
  for (const name of HOP_BY_HOP) headers.delete(name);
  if (decoded) {
    headers.delete("content-encoding");
    headers.delete("content-length");
  }
  return headers;
}

/** The upstream could not be reached (502) or did not answer in time (504). */
export class UpstreamError extends Error {
  constructor(
    readonly status: 502 | 504,
    readonly code: "upstream_unreachable" | "upstream_timeout" | "upstream_idle_timeout",
    message: string,
  ) {
    super(message);
    this.name = "UpstreamError";
  }
}

export interface CallOptions {
  readonly method: string;
  readonly headers: Headers;
  readonly body: Uint8Array | ReadableStream<Uint8Array> | null;
  /** Aborting it cancels the call and its body. */
  readonly controller: AbortController;
  /** Longest wait for the response headers. */
  readonly timeoutMs: number;
  /** Keep the upstream's content-encoding (passthrough) instead of decoding the body. */
  readonly raw: boolean;
}

/**
 * Sends the request and waits for the response headers, at most `timeoutMs`. Throws
 * UpstreamError; an abort by the caller rethrows the abort reason.
 */
export async function callUpstream(url: string, options: CallOptions): Promise<Response> {
  const { controller } = options;
  let timedOut = false;
  // Not AbortSignal.timeout: the same signal governs the body, which may take longer than the headers.
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new UpstreamError(504, "upstream_timeout", `the upstream sent no response headers within PROXY_TIMEOUT_MS (${options.timeoutMs} ms)`));
  }, options.timeoutMs);
  try {
    return await fetch(url, {
      method: options.method,
      headers: options.headers,
      body: options.body,
      signal: controller.signal,
      redirect: "manual",
      decompress: !options.raw,
    });
  } catch (error) {
    if (timedOut || controller.signal.aborted) throw controller.signal.reason instanceof Error ? controller.signal.reason : error;
    const detail = error instanceof Error ? (("code" in error && typeof error.code === "string" && error.code) || error.message) : String(error);
    throw new UpstreamError(502, "upstream_unreachable", `the upstream could not be reached (${detail})`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads an upstream body to its end, handing each piece to `onChunk`. A silence longer than
 * `idleTimeoutMs` aborts the call (UpstreamError 504); an abort or a broken connection
 * rejects. One timer for the whole read, re-armed per piece.
 */
export async function readUpstreamBody(body: ReadableStream<Uint8Array> | null, controller: AbortController, idleTimeoutMs: number, onChunk: (bytes: Uint8Array) => void): Promise<void> {
  if (body === null) return;
  const timer = setTimeout(() => {
    controller.abort(new UpstreamError(504, "upstream_idle_timeout", `the upstream was silent for longer than PROXY_IDLE_TIMEOUT_MS (${idleTimeoutMs} ms) inside its answer`));
  }, idleTimeoutMs);
  const reader = body.getReader();
  const onAbort = (): void => void reader.cancel(controller.signal.reason).catch(() => {});
  controller.signal.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (controller.signal.aborted) throw controller.signal.reason instanceof Error ? controller.signal.reason : new Error("aborted");
      if (done) return;
      timer.refresh();
      onChunk(value);
    }
  } catch (error) {
    throw controller.signal.aborted && controller.signal.reason instanceof Error ? controller.signal.reason : error;
  } finally {
    clearTimeout(timer);
    controller.signal.removeEventListener("abort", onAbort);
  }
}

/**
 * Passes a body through as it arrives, cutting it off (the client sees a broken body) when
 * the upstream is silent for `idleTimeoutMs` while a piece is awaited. A client that reads
 * slowly is not the upstream's silence: the timer runs only during a read.
 */
export function relayBody(body: ReadableStream<Uint8Array> | null, controller: AbortController, idleTimeoutMs: number): ReadableStream<Uint8Array> | null {
  if (body === null) return null;
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(stream) {
      const timer = setTimeout(() => {
        controller.abort(new UpstreamError(504, "upstream_idle_timeout", "the upstream went silent inside its answer"));
        void reader.cancel().catch(() => {});
      }, idleTimeoutMs);
      try {
        const { done, value } = await reader.read();
        if (done) stream.close();
        else stream.enqueue(value);
      } catch {
        // No reason: the runtime would print it to stderr. The client sees its connection cut.
        stream.error();
      } finally {
        clearTimeout(timer);
      }
    },
    cancel(reason) {
      controller.abort(reason);
      return reader.cancel(reason).catch(() => {});
    },
  });
}
