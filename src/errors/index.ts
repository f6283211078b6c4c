import { Elysia, type ValidationError } from "elysia";
import { InvalidInputError, LimitExceededError, NotStoredError } from "../cache/errors.ts";
import type { Logger } from "../logging/logger.ts";
import { errorResponse } from "./model.ts";

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

/**
 * Bodies are read here rather than by Elysia's default parser so that the size limit is
 * enforced before the body is buffered where possible, JSON errors get a clear message, and a
 * wrong content type is refused instead of being validated as an empty body.
 */
export async function readJsonBody(request: Request, contentType: string, maxBodyBytes: number): Promise<unknown> {
  const declared = request.headers.get("content-length");
  // No body at all (e.g. POST /internal/cache/invalidate): routes that need one fail validation.
  if (contentType === "" && (declared === null || declared === "0") && request.body === null) return null;
  if (declared !== null && Number(declared) > maxBodyBytes) throw new BodyTooLargeError(maxBodyBytes);
  if (!/^application\/([a-z.+-]*\+)?json\b/i.test(contentType)) throw new UnsupportedMediaTypeError(contentType);
  if (declared === "0") throw new MalformedJsonError("the body is empty");
  if (declared !== null && Number(declared) <= MAX_JSON_DEPTH * 2) {
    // Too short to nest past the limit: let the runtime parse the bytes directly.
    try {
      return await request.json();
    } catch (error) {
      throw new MalformedJsonError(error instanceof Error ? error.message : "parse error");
    }
  }
  const text = await request.text();
  if (text.length > maxBodyBytes) throw new BodyTooLargeError(maxBodyBytes);
  if (text.trim() === "") throw new MalformedJsonError("the body is empty");
  if (exceedsDepth(text, MAX_JSON_DEPTH)) throw new TooDeeplyNestedError(MAX_JSON_DEPTH);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MalformedJsonError(error instanceof Error ? error.message : "parse error");
  }
}

/** Names the first offending field without echoing the client's value (which may be a prompt). */
function describeValidation(error: Readonly<ValidationError>): { field: string | undefined; detail: string } {
  const first = error.all[0] as { path?: string; message?: string } | undefined;
  const path = first?.path?.replace(/^\//, "").replaceAll("/", ".") ?? "";
  const field = path === "" ? undefined : path;
  const where = error.type === "query" ? "query parameter" : error.type === "params" ? "path parameter" : "field";
  const message = first?.message ?? "is invalid";
  if (field === undefined) {
    return { field, detail: error.type === "body" ? "the request body must be a JSON object" : `the ${error.type} is invalid: ${message}` };
  }
  return { field, detail: `${where} '${field}': ${message}` };
}

/**
 * One error shape for every failure: `{error, detail, field?}`. Unexpected failures are logged
 * and answered with 500 and no stack trace.
 */
export const errorHandling = (logger: Logger) =>
  new Elysia({ name: "error-handling" }).onError({ as: "global" }, ({ code, error, request }) => {
    // Errors thrown while parsing reach here wrapped in Elysia's ParseError.
    const cause = code === "PARSE" && error.cause instanceof Error ? error.cause : error;
    if (cause instanceof MalformedJsonError) return errorResponse(400, "malformed_json", cause.message);
    if (cause instanceof TooDeeplyNestedError) return errorResponse(400, "too_deeply_nested", cause.message);
    if (cause instanceof UnsupportedMediaTypeError) return errorResponse(415, "unsupported_media_type", cause.message);
    if (cause instanceof BodyTooLargeError) return errorResponse(413, "payload_too_large", cause.message);
    if (cause instanceof LimitExceededError) return errorResponse(413, "payload_too_large", cause.message, cause.field);
    if (cause instanceof InvalidInputError) return errorResponse(422, "validation_error", cause.message, cause.field);
    if (cause instanceof NotStoredError) return errorResponse(503, "not_stored", cause.message);
    switch (code) {
      case "VALIDATION": {
        if (error.type === "response") break;
        const { field, detail } = describeValidation(error);
        return errorResponse(422, "validation_error", detail, field);
      }
      case "PARSE":
        return errorResponse(400, "malformed_json", "the request body could not be parsed");
      case "NOT_FOUND": {
        const path = new URL(request.url).pathname;
        return errorResponse(404, "not_found", `no route for ${request.method} ${path}`);
      }
    }
    logger.error("unhandled error", { method: request.method, path: new URL(request.url).pathname, code: String(code), error });
    return errorResponse(500, "internal_error", "an unexpected error occurred; it has been logged");
  });
