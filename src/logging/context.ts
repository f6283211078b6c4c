import type { AsyncLocalStorage } from "node:async_hooks";

/** What identifies the request being answered, added to every log line written while answering it. */
export interface RequestContext {
  readonly request_id: string;
  /** The caller's W3C trace context, as sent. */
  readonly traceparent?: string;
}

let storage: AsyncLocalStorage<RequestContext> | undefined;

/**
 * The storage, made on first need: loading node:async_hooks costs a fresh process ~2 ms, which
 * the liveness probe answered before the application loads does not pay (serve.ts answers it
 * outside any context; main.ts makes the storage while the application loads).
 */
function store(): AsyncLocalStorage<RequestContext> {
  storage ??= new (import.meta.require("node:async_hooks") as typeof import("node:async_hooks")).AsyncLocalStorage<RequestContext>();
  return storage;
}

/**
 * The request a log line belongs to. Entered once per request by the server (AsyncLocalStorage.run,
 * a fraction of a microsecond); read only when a line is written.
 */
export const requestContext = {
  /** `fn(a, b)` in `context` (the server passes a request and its server): a few ns more than the storage's own run. */
  run<R, A = undefined, B = undefined>(context: RequestContext, fn: (a: A, b: B) => R, a?: A, b?: B): R {
    return (storage ?? store()).run(context, fn, a as A, b as B);
  },
  /** The context of the request being answered; undefined outside one (and before any was entered). */
  getStore(): RequestContext | undefined {
    return storage?.getStore();
  },
  /** Runs `fn` outside any request's context. */
  exit<R>(fn: () => R): R {
    return storage === undefined ? fn() : storage.exit(fn);
  },
  /** Makes the storage now, off the path of a request. */
  prepare(): void {
    store();
  },
};
