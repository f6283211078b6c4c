import { Elysia, type ValidationError } from "elysia";
import { InvalidInputError, LeaseConflictError, LimitExceededError, NotStoredError } from "../engine/errors.ts";
import type { Logger } from "../logging/logger.ts";
import { UnauthorizedError } from "./auth/plugin.ts";
import { ForbiddenError } from "./auth/principal.ts";
import { BodyBudgetExceededError, BodyTooLargeError, discardUnreadBody, MalformedJsonError, NotAJsonObjectError, TooDeeplyNestedError, UnsupportedMediaTypeError } from "./body.ts";
import { errorBody, errorResponse } from "./error-model.ts";

/** Where a schema check failed: the part of the request, and the first error (TypeBox's path and message). */
export interface SchemaFailure {
  readonly type: string;
  readonly first: { readonly path?: string; readonly message?: string } | undefined;
}

/** Names the first offending field without echoing the client's value (which may be a prompt). */
function describeValidation({ type, first }: SchemaFailure): { field: string | undefined; detail: string } {
  const path = first?.path?.replace(/^\//, "").replaceAll("/", ".") ?? "";
  const field = path === "" ? undefined : path;
  const where = type === "query" ? "query parameter" : type === "params" ? "path parameter" : "field";
  const message = first?.message ?? "is invalid";
  if (field === undefined) {
    return { field, detail: type === "body" ? "the request body must be a JSON object" : `the ${type} is invalid: ${message}` };
  }
  return { field, detail: `${where} '${field}': ${message}` };
}

/**
 * The first error, worded as TypeBox words it for the raw body: Elysia checks a normalised copy
 * in which a missing field is present as undefined, so it says "Expected string" where TypeBox
 * (and the hot routes, which check the raw body) say "Expected required property". A JSON body
 * never holds undefined, so an undefined value always means the field was missing.
 */
function firstSchemaError(error: Readonly<ValidationError>): SchemaFailure["first"] {
  const first = error.all[0] as (SchemaFailure["first"] & { value?: unknown }) | undefined;
  if (first !== undefined && first.value === undefined && first.path !== undefined && first.path !== "") return { path: first.path, message: "Expected required property" };
  return first;
}

/** 422 for a request that does not fit its schema, whoever checked it. */
export function validationFailed(failure: SchemaFailure): Response {
  const { field, detail } = describeValidation(failure);
  return errorResponse(422, "validation_error", detail, field);
}

/** 403, naming the scope the key lacks when that is why. */
export function forbidden(cause: ForbiddenError): Response {
  const body = cause.scope === undefined ? errorBody("forbidden", cause.message) : { ...errorBody("forbidden", cause.message), scope: cause.scope };
  return new Response(JSON.stringify(body), { status: 403, headers: { "content-type": "application/json; charset=utf-8" } });
}

/** The answer to an error the service or the request reading raised on purpose; null: not one of them. */
export function knownErrorAnswer(cause: unknown): Response | null {
  if (cause instanceof UnauthorizedError) return errorResponse(401, "unauthorized", cause.message, undefined, cause.headers);
  if (cause instanceof ForbiddenError) return forbidden(cause);
  if (cause instanceof MalformedJsonError) return errorResponse(400, "malformed_json", cause.message);
  if (cause instanceof NotAJsonObjectError) return validationFailed({ type: "body", first: { path: "" } });
  if (cause instanceof TooDeeplyNestedError) return errorResponse(400, "too_deeply_nested", cause.message);
  if (cause instanceof UnsupportedMediaTypeError) return errorResponse(415, "unsupported_media_type", cause.message);
  if (cause instanceof BodyTooLargeError) return errorResponse(413, "payload_too_large", cause.message);
  if (cause instanceof BodyBudgetExceededError) return errorResponse(503, "busy", cause.message, undefined, { "retry-after": "1" });
  if (cause instanceof LimitExceededError) return errorResponse(413, "payload_too_large", cause.message, cause.field);
  if (cause instanceof InvalidInputError) return errorResponse(422, "validation_error", cause.message, cause.field);
  if (cause instanceof NotStoredError) return errorResponse(503, "not_stored", cause.message);
  if (cause instanceof LeaseConflictError) return errorResponse(409, "lease_conflict", cause.message, "lease_token");
  return null;
}

/** An error nobody expected: logged, and answered 500 with no stack trace. */
export function unexpectedErrorAnswer(logger: Logger, request: Request, code: string, error: unknown): Response {
  logger.error("unhandled error", { method: request.method, path: new URL(request.url).pathname, code, error });
  return errorResponse(500, "internal_error", "an unexpected error occurred; it has been logged");
}

/**
 * Whatever is left of the request body is read and thrown away first (bounded), so a client
 * still sending it can read the error; when that gives up the answer closes the connection.
 */
export async function afterDiscardingBody(request: Request, response: Response): Promise<Response> {
  if (!(await discardUnreadBody(request))) response.headers.set("connection", "close");
  return response;
}

/**
 * One error shape for every failure: `{error, detail, field?}`, for every route Elysia serves;
 * the routes served ahead of it (cache/hot-lookup.ts) answer through the same functions.
 */
export const errorHandling = (logger: Logger) =>
  new Elysia({ name: "error-handling" }).onError({ as: "global" }, ({ code, error, request }) => {
    const answer = (): Response => {
      // Errors thrown while parsing reach here wrapped in Elysia's ParseError.
      const cause = code === "PARSE" && error.cause instanceof Error ? error.cause : error;
      const known = knownErrorAnswer(cause);
      if (known !== null) return known;
      switch (code) {
        case "VALIDATION": {
          if (error.type === "response") break;
          return validationFailed({ type: error.type, first: firstSchemaError(error) });
        }
        case "PARSE":
          return errorResponse(400, "malformed_json", "the request body could not be parsed");
        case "NOT_FOUND": {
          const path = new URL(request.url).pathname;
          return errorResponse(404, "not_found", `no route for ${request.method} ${path}`);
        }
      }
      return unexpectedErrorAnswer(logger, request, String(code), error);
    };
    return afterDiscardingBody(request, answer());
  });
