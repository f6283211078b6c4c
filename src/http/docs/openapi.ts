import { OPERATION_DOC, type DocumentedHeader, type OperationDoc, type ResponseDoc } from "./operation.ts";
import { SchemaRegistry, type JsonObject } from "./schema.ts";

/** What every error answer means and looks like, whichever route gives it. */
const ERROR_RESPONSES: Readonly<Record<number, ResponseDoc>> = {
  400: { description: "Malformed JSON, or JSON nested deeper than 128 levels", example: { error: "malformed_json", detail: "the request body is not valid JSON: JSON Parse error: Unexpected EOF" } },
  401: {
    description: "No API key where one is required, or a key that is not valid",
    example: { error: "unauthorized", detail: "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'" },
    headers: ["WWW-Authenticate"],
  },
  403: {
    description: "A valid API key without the scope this route needs (SCOPED_API_KEYS), or a namespace-bound key reaching outside its namespace; `scope` names what is missing",
    example: { error: "forbidden", detail: "this API key lacks the 'invalidate' scope", scope: "invalidate" },
  },
  404: { description: "Nothing at this key or route", example: { error: "not_found", detail: "no cache entry with this key" } },
  409: {
    description: "A store, release or renew under a lease that is no longer held: it expired and was taken over, was used, or the key was deleted or invalidated while it was out",
    example: { error: "lease_conflict", detail: "the lease expired, was taken over, or the entry was deleted or invalidated while it was out", field: "lease_token" },
  },
  413: { description: "A body or field over its limit; the detail names the limit", example: { error: "payload_too_large", detail: "text is larger than CACHE_MAX_TEXT_BYTES (1048576 bytes)", field: "text" } },
  415: { description: "A content type other than application/json", example: { error: "unsupported_media_type", detail: 'content-type "text/plain" is not accepted: send application/json' } },
  422: { description: "A field that breaks the schema; the value is never echoed", example: { error: "validation_error", detail: "field 'operation': Expected string to match '^[A-Za-z0-9_.-]{1,64}$'", field: "operation" } },
  500: { description: "An unexpected failure, logged; no stack trace", example: { error: "internal_error", detail: "an unexpected error occurred; it has been logged" } },
  503: {
    description: "Too many request bodies in flight (busy, with Retry-After), or nothing could store the value",
    example: { error: "busy", detail: "reading this body would take the request bodies held at once past MAX_INFLIGHT_BODY_BYTES (67108864 bytes); retry shortly" },
    headers: ["Retry-After"],
  },
};

const HEADERS: Readonly<Record<DocumentedHeader | "X-Request-Id", JsonObject>> = {
  "X-Request-Id": { description: "The request's X-Request-Id, or one generated for it; every log line of the request carries it", schema: { type: "string" }, example: "6f1c0e1e6a0f4c59" },
  "X-Cache": {
    description: "HIT: answered from the cache; MISS: nothing cached for this key; STALE: an entry past its TTL, for a caller that accepted stale answers",
    schema: { type: "string", enum: ["HIT", "MISS", "STALE"] },
    example: "HIT",
  },
  "Cache-Status": {
    description:
      "RFC 9211: `ai-response-cache; hit` (`; collapsed` when the caller waited for another caller's answer, `; stale` past its TTL), or `ai-response-cache; fwd=uri-miss` when nothing was cached (the caller then asks the LLM)",
    schema: { type: "string" },
    example: "ai-response-cache; hit",
  },
  Age: { description: "Seconds since the entry was stored, on hits whose age is known (RFC 9111)", schema: { type: "integer", minimum: 0 }, example: 3 },
  "WWW-Authenticate": { description: "The Bearer challenge", schema: { type: "string" }, example: 'Bearer realm="ai-response-cache"' },
  "Retry-After": { description: "Seconds to wait before retrying", schema: { type: "integer" }, example: 1 },
};

const PARAMETERS: Readonly<Record<string, JsonObject>> = {
  RequestId: {
    name: "X-Request-Id",
    in: "header",
    required: false,
    description: "Echoed on the answer and written in every log line of the request; generated when absent",
    schema: { type: "string", maxLength: 128 },
  },
  Traceparent: {
    name: "traceparent",
    in: "header",
    required: false,
    description: "W3C Trace Context; copied into every log line of the request",
    schema: { type: "string" },
  },
};

const OPERATION_ID = /^[a-z][A-Za-z0-9]*$/;

/** The generated document's operation: what the framework wrote, plus our `documented()` detail. */
interface GeneratedOperation {
  readonly parameters?: JsonObject[];
  readonly requestBody?: { content?: Record<string, { schema?: unknown }> };
  readonly responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
  readonly security?: JsonObject[];
  readonly [OPERATION_DOC]?: OperationDoc;
}

/**
 * Turns the framework's generated document into a valid OpenAPI 3.0.3 one: schemas in the
 * 3.0.3 dialect and named in components, only the content types really served, a description,
 * example and headers for each answer, an example for each body, and each route's own security
 * (none, optional or required, as declared by the auth macro). Throws when a route is not
 * documented, so a new route cannot slip into the document half-described.
 */
export function buildOpenApiDocument(generated: JsonObject): JsonObject {
  const registry = new SchemaRegistry();
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const [path, item] of Object.entries(generated.paths as Record<string, Record<string, GeneratedOperation>>)) {
    for (const [method, operation] of Object.entries(item)) {
      (paths[path] ??= {})[method] = buildOperation(`${method.toUpperCase()} ${path}`, operation, registry);
    }
  }
  const components = generated.components as JsonObject & { securitySchemes?: JsonObject };
  return {
    openapi: "3.0.3",
    info: generated.info,
    tags: generated.tags,
    paths,
    components: {
      securitySchemes: components.securitySchemes,
      schemas: registry.schemas,
      headers: HEADERS,
      parameters: PARAMETERS,
    },
  };
}

function buildOperation(name: string, operation: GeneratedOperation, registry: SchemaRegistry): JsonObject {
  const doc = operation[OPERATION_DOC];
  if (doc === undefined) throw new Error(`${name} has no documented() detail`);
  if (!OPERATION_ID.test(doc.operationId)) throw new Error(`${name}: operationId ${doc.operationId} is not camelCase`);
  const out: JsonObject = { operationId: doc.operationId, tags: doc.tags, summary: doc.summary };
  if (doc.description !== undefined) out.description = doc.description;
  const parameters = (operation.parameters ?? []).map(({ schema, ...parameter }) => ({ ...parameter, schema: registry.normalize(schema) }));
  out.parameters = [...parameters, { $ref: "#/components/parameters/RequestId" }, { $ref: "#/components/parameters/Traceparent" }];
  if (operation.requestBody !== undefined) {
    if (doc.requestExample === undefined) throw new Error(`${name} takes a body but has no requestExample`);
    const schema = registry.normalize(operation.requestBody.content?.["application/json"]?.schema);
    out.requestBody = { required: true, content: { "application/json": { schema, example: doc.requestExample } } };
  }
  const responses: JsonObject = {};
  for (const status of Object.keys(doc.responses)) {
    if (operation.responses?.[status] === undefined) throw new Error(`${name} documents a ${status} answer its route does not declare`);
  }
  for (const [status, generated] of Object.entries(operation.responses ?? {})) {
    const own = doc.responses[Number(status)] ?? ERROR_RESPONSES[Number(status)];
    if (own === undefined) throw new Error(`${name}: the ${status} answer has no description`);
    if (own.example === undefined) throw new Error(`${name}: the ${status} answer has no example`);
    const schema = registry.normalize(generated.content?.["application/json"]?.schema);
    const headers: JsonObject = { "X-Request-Id": { $ref: "#/components/headers/X-Request-Id" } };
    for (const header of own.headers ?? []) headers[header] = { $ref: `#/components/headers/${header}` };
    responses[status] = { description: own.description, headers, content: { [own.contentType ?? "application/json"]: { schema, example: own.example } } };
  }
  out.responses = responses;
  // The auth macro adds the route's requirement; routes without it are open.
  out.security = operation.security ?? [];
  return out;
}
