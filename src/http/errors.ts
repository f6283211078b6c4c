import { Elysia, type ValidationError } from "elysia";
import { InvalidInputError, LeaseConflictError, LimitExceededError, NotStoredError } from "../engine/errors.ts";
import type { Logger } from "../logging/logger.ts";
import { UnauthorizedError } from "./auth/plugin.ts";
import { ForbiddenError } from "./auth/principal.ts";
import { BodyBudgetExceededError, BodyTooLargeError, discardUnreadBody, MalformedJsonError, TooDeeplyNestedError, UnsupportedMediaTypeError } from "./body.ts";
import { errorBody, errorResponse } from "./error-model.ts";

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

/** 403, naming the scope the key lacks when that is why. */
export function forbidden(cause: ForbiddenError): Response {
  const body = cause.scope === undefined ? errorBody("forbidden", cause.message) : { ...errorBody("forbidden", cause.message), scope: cause.scope };
  return new Response(JSON.stringify(body), { status: 403, headers: { "content-type": "application/json; charset=utf-8" } });
}

/**
 * One error shape for every failure: `{error, detail, field?}`. Unexpected failures are logged
 * and answered with 500 and no stack trace. Whatever is left of the request body is read and
 * thrown away first (bounded), so a client still sending it can read the answer.
 */
export const errorHandling = (logger: Logger) =>
  new Elysia({ name: "error-handling" }).onError({ as: "global" }, async ({ code, error, request }) => {
    const answer = (): Response => {
      // Errors thrown while parsing reach here wrapped in Elysia's ParseError.
      const cause = code === "PARSE" && error.cause instanceof Error ? error.cause : error;
      if (cause instanceof UnauthorizedError) return errorResponse(401, "unauthorized", cause.message, undefined, cause.headers);
      if (cause instanceof ForbiddenError) return forbidden(cause);
      if (cause instanceof MalformedJsonError) return errorResponse(400, "malformed_json", cause.message);
      if (cause instanceof TooDeeplyNestedError) return errorResponse(400, "too_deeply_nested", cause.message);
      if (cause instanceof UnsupportedMediaTypeError) return errorResponse(415, "unsupported_media_type", cause.message);
      if (cause instanceof BodyTooLargeError) return errorResponse(413, "payload_too_large", cause.message);
      if (cause instanceof BodyBudgetExceededError) return errorResponse(503, "busy", cause.message, undefined, { "retry-after": "1" });
      if (cause instanceof LimitExceededError) return errorResponse(413, "payload_too_large", cause.message, cause.field);
      if (cause instanceof InvalidInputError) return errorResponse(422, "validation_error", cause.message, cause.field);
      if (cause instanceof NotStoredError) return errorResponse(503, "not_stored", cause.message);
      if (cause instanceof LeaseConflictError) return errorResponse(409, "lease_conflict", cause.message, "lease_token");
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
    };
    const response = answer();
    if (!(await discardUnreadBody(request))) response.headers.set("connection", "close");
    return response;
  });
