/**
 * Reading request bodies: JSON only, within MAX_BODY_BYTES each and MAX_INFLIGHT_BODY_BYTES
 * together, and never deeper than MAX_JSON_DEPTH. Knows nothing of routes or of the cache.
 */

/** The body is larger than MAX_BODY_BYTES. */
export class BodyTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`the request body is larger than MAX_BODY_BYTES (${limitBytes} bytes)`);
    this.name = "BodyTooLargeError";
  }
}

export class MalformedJsonError extends Error {
  constructor(reason: string) {
    super(`the request body is not valid JSON: ${reason}`);
    this.name = "MalformedJsonError";
  }
}

/** Deeper than MAX_JSON_DEPTH: refused before parsing, since deep values overflow recursive code. */
export class TooDeeplyNestedError extends Error {
  constructor(readonly maxDepth: number) {
    super(`the request body nests JSON deeper than ${maxDepth} levels`);
    this.name = "TooDeeplyNestedError";
  }
}

export const MAX_JSON_DEPTH = 128;

/**
 * Deepest nesting of arrays and objects in JSON text, skipping strings. O(length); a body
 * shorter than twice the limit cannot exceed it and is not scanned.
 */
export function exceedsDepth(text: string, maxDepth: number): boolean {
  if (text.length <= maxDepth * 2) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > maxDepth) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) {
      depth--;
    }
  }
  return false;
}

export class UnsupportedMediaTypeError extends Error {
  constructor(contentType: string) {
    super(`content-type ${contentType === "" ? "(none)" : JSON.stringify(contentType)} is not accepted: send application/json`);
    this.name = "UnsupportedMediaTypeError";
  }
}

/** Reading this body would take the bodies being read past MAX_INFLIGHT_BODY_BYTES. */
export class BodyBudgetExceededError extends Error {
  constructor(readonly limitBytes: number) {
    super(`reading this body would take the request bodies held at once past MAX_INFLIGHT_BODY_BYTES (${limitBytes} bytes); retry shortly`);
    this.name = "BodyBudgetExceededError";
  }
}

/**
 * Bytes of request bodies held in memory at once, across every request: a body's bytes are
 * reserved from its declared Content-Length before it is read (or chunk by chunk when it is
 * streamed) and released once it is parsed or refused.
 */
export class BodyBudget {
  private held = 0;

  constructor(readonly limitBytes: number) {}

  /** Reserves `bytes`, or returns false (reserving nothing) when that would pass the limit. */
  tryReserve(bytes: number): boolean {
    if (this.held + bytes > this.limitBytes) return false;
    this.held += bytes;
    return true;
  }

  release(bytes: number): void {
    this.held -= bytes;
  }
}

export interface BodyLimits {
  readonly maxBodyBytes: number;
  readonly budget: BodyBudget;
}

/**
 * How far past MAX_BODY_BYTES a refused body is still read and thrown away, so that a client
 * that sends its whole body before reading the answer can read the 413 instead of a reset.
 * The server's own limit (see serve.ts) is MAX_BODY_BYTES plus this; beyond it the connection
 * is closed.
 */
export const BODY_DISCARD_LIMIT_BYTES = 128 * 1024 * 1024;
/** A sender slower than this is not waited for: its connection is closed after the answer. */
export const BODY_DISCARD_TIMEOUT_MS = 5000;

const JSON_CONTENT_TYPE = /^application\/([a-z.+-]*\+)?json\b/i;
const UTF8 = new TextDecoder();

/**
 * Bodies are read here rather than by Elysia's default parser so that the size limit is
 * enforced before the body is buffered, the shared budget bounds what all requests hold, JSON
 * errors get a clear message, and a wrong content type is refused instead of being validated
 * as an empty body. Nothing here throws away an unread body: the error handler does that.
 */
export async function readJsonBody(request: Request, contentType: string, limits: BodyLimits): Promise<unknown> {
  const text = await readJsonText(request, contentType, limits);
  return text === null ? null : parseJsonObject(text, limits.maxBodyBytes);
}

/** Every body the routes take is a JSON object: anything else (an array, a string...) is refused by name. */
export class NotAJsonObjectError extends Error {
  constructor() {
    super("the request body must be a JSON object");
    this.name = "NotAJsonObjectError";
  }
}

/** parseJsonText(), refusing a value that is not an object (before a schema would report its missing fields). */
export function parseJsonObject(text: string, maxBodyBytes: number): Record<string, unknown> {
  const value = parseJsonText(text, maxBodyBytes);
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new NotAJsonObjectError();
  return value as Record<string, unknown>;
}

/**
 * readJsonBody() without the parse: the body's text, for callers that memoise by it (the same
 * text always parses to the same value). null: no body at all.
 */
export async function readJsonText(request: Request, contentType: string, limits: BodyLimits): Promise<string | null> {
  const { maxBodyBytes, budget } = limits;
  const header = request.headers.get("content-length");
  // No body at all (e.g. POST /internal/cache/invalidate): routes that need one fail validation.
  if (contentType === "" && (header === null || header === "0") && request.body === null) return null;
  const declared = header === null ? null : Number(header);
  if (declared !== null && declared > maxBodyBytes) throw new BodyTooLargeError(maxBodyBytes);
  if (!JSON_CONTENT_TYPE.test(contentType)) throw new UnsupportedMediaTypeError(contentType);
  if (declared === 0) throw new MalformedJsonError("the body is empty");
  if (declared !== null && Number.isSafeInteger(declared) && declared > 0) {
    if (!budget.tryReserve(declared)) throw new BodyBudgetExceededError(budget.limitBytes);
    try {
      return await request.text();
    } finally {
      budget.release(declared);
    }
  }
  const held = { bytes: 0 };
  try {
    // Decoded as Request.text() does: a BOM is dropped, invalid UTF-8 becomes replacement characters.
    return UTF8.decode(await readCounted(request.body, limits, held));
  } finally {
    budget.release(held.bytes);
  }
}

/**
 * The body's bytes exactly as sent, within MAX_BODY_BYTES and the shared budget: for callers
 * that forward the body as well as read it. The reservation ends when this returns, so the
 * caller's copy is counted while it is read, not while it is forwarded.
 */
export async function readBodyBytes(request: Request, limits: BodyLimits): Promise<Uint8Array> {
  const { maxBodyBytes, budget } = limits;
  const header = request.headers.get("content-length");
  const declared = header === null ? null : Number(header);
  if (declared !== null && declared > maxBodyBytes) throw new BodyTooLargeError(maxBodyBytes);
  if (declared !== null && Number.isSafeInteger(declared) && declared >= 0) {
    if (!budget.tryReserve(declared)) throw new BodyBudgetExceededError(budget.limitBytes);
    try {
      return new Uint8Array(await request.arrayBuffer());
    } finally {
      budget.release(declared);
    }
  }
  const held = { bytes: 0 };
  try {
    return await readCounted(request.body, limits, held);
  } finally {
    budget.release(held.bytes);
  }
}

/**
 * Reads a body of unknown length chunk by chunk, reserving each chunk before keeping it, so
 * neither the limit nor the budget is passed by more than one chunk. On refusal the reader is
 * released with the rest of the body unread.
 */
async function readCounted(body: ReadableStream<Uint8Array> | null, { maxBodyBytes, budget }: BodyLimits, held: { bytes: number }): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (held.bytes + value.byteLength > maxBodyBytes) throw new BodyTooLargeError(maxBodyBytes);
      if (!budget.tryReserve(value.byteLength)) throw new BodyBudgetExceededError(budget.limitBytes);
      held.bytes += value.byteLength;
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

export function parseJsonText(text: string, maxBodyBytes: number): unknown {
  if (text.length > maxBodyBytes) throw new BodyTooLargeError(maxBodyBytes);
  if (text.trim() === "") throw new MalformedJsonError("the body is empty");
  if (exceedsDepth(text, MAX_JSON_DEPTH)) throw new TooDeeplyNestedError(MAX_JSON_DEPTH);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MalformedJsonError(error instanceof Error ? error.message : "parse error");
  }
}

/**
 * Reads and throws away what is left of a request body, bounded in bytes and time, so that a
 * client still sending it can read the answer: a server that answers and closes while the
 * client writes gives it a reset instead. Returns false when it gave up, in which case the
 * connection cannot be reused and the answer should close it.
 */
export async function discardUnreadBody(request: Request, timeoutMs = BODY_DISCARD_TIMEOUT_MS, maxBytes = BODY_DISCARD_LIMIT_BYTES): Promise<boolean> {
  const body = request.body;
  if (body === null || body.locked) return true;
  const reader = body.getReader();
  // Cancelling ends a pending read. (Racing each read against one timeout promise instead would
  // keep every chunk read alive until the timeout fires.)
  let gaveUp = false;
  const giveUp = (): void => {
    gaveUp = true;
    reader.cancel().catch(() => {});
  };
  const timer = setTimeout(giveUp, timeoutMs);
  let discarded = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (gaveUp) return false;
      if (done) return true;
      discarded += value.byteLength;
      if (discarded > maxBytes) {
        giveUp();
        return false;
      }
    }
  } catch {
    // The body ended badly (the client went away, or passed the server's own limit).
    return false;
  } finally {
    clearTimeout(timer);
  }
}
