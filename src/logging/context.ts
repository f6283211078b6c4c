import { AsyncLocalStorage } from "node:async_hooks";

/** What identifies the request being answered, added to every log line written while answering it. */
export interface RequestContext {
  readonly request_id: string;
  /** The caller's W3C trace context, as sent. */
  readonly traceparent?: string;
}

/**
 * The request a log line belongs to. Entered once per request by the server (AsyncLocalStorage.run,
 * a fraction of a microsecond); read only when a line is written.
 */
export const requestContext = new AsyncLocalStorage<RequestContext>();
