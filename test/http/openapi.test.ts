import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { checkOpenApiDocument } from "../../scripts/openapi/check.ts";
import { buildOpenApiDocument } from "../../src/http/docs/openapi.ts";
import { OPERATION_DOC, type OperationDoc } from "../../src/http/docs/operation.ts";
import { SchemaRegistry } from "../../src/http/docs/schema.ts";
import { buildTestApp, PRIMARY_KEY, type TestApp } from "../support/app.ts";

type Json = Record<string, any>;
let t: TestApp;
let spec: Json;
beforeAll(async () => {
  t = await buildTestApp({ apiKeys: [PRIMARY_KEY] });
  spec = await (await t.request("/docs/json")).json();
});
afterAll(() => t.close());

const operations = (): { path: string; method: string; operation: Json }[] =>
  Object.entries(spec.paths as Json).flatMap(([path, item]) => Object.entries(item as Json).map(([method, operation]) => ({ path, method, operation: operation as Json })));

describe("the served OpenAPI document", () => {
  test("is valid for swagger-parser and clean for Redocly's lint (errors and warnings)", async () => {
    expect(spec.openapi).toBe("3.0.3");
    expect(await checkOpenApiDocument(spec)).toEqual([]);
  });

  test("the checks do fail on the 2020-12 keywords and missing descriptions the framework writes", async () => {
    const broken = structuredClone(spec);
    broken.components.schemas.LookupMiss.properties.hit = { const: false, type: "boolean" };
    delete broken.paths["/health"].get.responses["200"].description;
    const problems = await checkOpenApiDocument(broken);
    expect(problems.some((problem) => problem.startsWith("swagger-parser:"))).toBe(true);
    expect(problems).toContain("redocly error struct: Property `const` is not expected here. at #/components/schemas/LookupMiss/properties/hit/const");
  });

  test("a document neither tool can read is reported by both, not passed", async () => {
    const problems = await checkOpenApiDocument({});
    expect(problems[0]).toStartWith("swagger-parser:");
    expect(problems[1]).toStartWith("redocly: no report (exit 1)");
  });

  test("names this sidecar as its server, so copied curl commands have a host", async () => {
    expect(spec.servers).toEqual([{ url: "http://localhost", description: "this sidecar" }]);
  });

  test("every operation: camelCase id, an example answer, JSON only (text for /metrics), an example body", () => {
    const ids = new Set<string>();
    for (const { path, method, operation } of operations()) {
      expect(operation.operationId).toMatch(/^[a-z][A-Za-z0-9]*$/);
      ids.add(operation.operationId);
      const success = Object.entries(operation.responses as Json).find(([status]) => status.startsWith("2"));
      expect(success).toBeDefined();
      const [, answer] = success!;
      const types = Object.keys(answer.content);
      expect(types).toEqual([path === "/metrics" ? "text/plain" : "application/json"]);
      expect(answer.content[types[0]!].example).toBeDefined();
      for (const [status, response] of Object.entries(operation.responses as Json)) {
        expect(`${method} ${path} ${status}: ${typeof response.description}`).toBe(`${method} ${path} ${status}: string`);
        expect(response.anyOf).toBeUndefined();
      }
      if (operation.requestBody !== undefined) {
        expect(Object.keys(operation.requestBody.content)).toEqual(["application/json"]);
        expect(operation.requestBody.content["application/json"].example).toBeDefined();
      }
    }
    expect(ids.size).toBe(operations().length);
  });

  test("X-Cache, Cache-Status and Age are documented on lookup; /ready's memory.entries is an integer", () => {
    const lookup = spec.paths["/cache/lookup"].post.responses["200"];
    expect(Object.keys(lookup.headers).sort()).toEqual(["Age", "Cache-Status", "X-Cache", "X-Request-Id"]);
    expect(spec.components.headers["X-Cache"].schema.enum).toEqual(["HIT", "MISS", "STALE"]);
    const ready = spec.paths["/ready"].get.responses["200"].content["application/json"].schema;
    expect(ready.properties.tiers.properties.memory.properties.entries).toEqual({ type: "integer" });
    expect(spec.paths["/cache/lookup"].post.requestBody.content["application/json"].example).toEqual({
      operation: "summarize",
      text: "RFC 9211 defines the Cache-Status HTTP response header field...",
      options: { max_length: 100 },
    });
  });

  test("the example lookup body is one the service accepts", async () => {
    const body = spec.paths["/cache/lookup"].post.requestBody.content["application/json"].example;
    const response = await t.request("/cache/lookup", { method: "POST", json: body, headers: { "x-api-key": PRIMARY_KEY } });
    expect(response.status).toBe(200);
    const store = spec.paths["/cache/store"].post.requestBody.content["application/json"].example;
    expect((await t.request("/cache/store", { method: "POST", json: store, headers: { "x-api-key": PRIMARY_KEY } })).status).toBe(201);
  });

  test("each route's security is what the service does without a key: none, optional or required", async () => {
    const checked: string[] = [];
    for (const { path, method, operation } of operations()) {
      const security = operation.security as Json[];
      const documented = security.length === 0 ? "none" : security.some((requirement) => Object.keys(requirement).length === 0) ? "optional" : "required";
      const body = operation.requestBody?.content["application/json"].example;
      const url = path.replace("{key}", encodeURIComponent("ai_cache:op:x|txt:y"));
      const response = await t.request(url, { method: method.toUpperCase(), ...(body === undefined ? {} : { json: body }) });
      const wrongKey = await t.request(url, { method: method.toUpperCase(), headers: { "x-api-key": "wrong" }, ...(body === undefined ? {} : { json: body }) });
      const observed = response.status === 401 ? "required" : wrongKey.status === 401 ? "optional" : "none";
      checked.push(`${method} ${path}: ${documented}`);
      expect(`${method} ${path}: ${observed}`).toBe(`${method} ${path}: ${documented}`);
    }
    expect(checked).toContain("get /health: none");
    expect(checked).toContain("get /metrics: none");
    expect(checked).toContain("get /internal/cache/status: optional");
    expect(checked).toContain("post /internal/cache/invalidate: required");
    expect(checked).toContain("post /cache/lookup: required");
    expect(spec.security).toBeUndefined();
  });
});

describe("building the document refuses a half-described route", () => {
  const doc = (overrides: Partial<OperationDoc> = {}): OperationDoc => ({
    operationId: "getThing",
    tags: ["Operations"],
    summary: "A thing",
    responses: { 200: { description: "The thing", example: { a: 1 } } },
    ...overrides,
  });
  const generated = (operation: Json): Json => ({
    info: { title: "t", version: "1" },
    components: {},
    paths: { "/thing": { get: { responses: { 200: { content: { "application/json": { schema: { type: "object" } } } } }, ...operation } } },
  });

  test("a route without documented() detail", () => {
    expect(() => buildOpenApiDocument(generated({}))).toThrow("GET /thing has no documented() detail");
  });

  test("an operationId with a hyphen", () => {
    expect(() => buildOpenApiDocument(generated({ [OPERATION_DOC]: doc({ operationId: "get-thing" }) }))).toThrow("is not camelCase");
  });

  test("a body without an example", () => {
    const operation = { [OPERATION_DOC]: doc(), requestBody: { content: { "application/json": { schema: { type: "object" } } } } };
    expect(() => buildOpenApiDocument(generated(operation))).toThrow("takes a body but has no requestExample");
  });

  test("an answer documented but not declared, or declared but not described, or without an example", () => {
    expect(() => buildOpenApiDocument(generated({ [OPERATION_DOC]: doc({ responses: { 200: { description: "ok", example: 1 }, 201: { description: "made", example: 1 } } }) }))).toThrow(
      "documents a 201 answer its route does not declare",
    );
    const teapot = { [OPERATION_DOC]: doc(), responses: { 200: { content: {} }, 418: { content: {} } } };
    expect(() => buildOpenApiDocument(generated(teapot))).toThrow("the 418 answer has no description");
    expect(() => buildOpenApiDocument(generated({ [OPERATION_DOC]: doc({ responses: { 200: { description: "ok" } } }) }))).toThrow("the 200 answer has no example");
  });

  test("an open route gets an empty security list", () => {
    const built = buildOpenApiDocument(generated({ [OPERATION_DOC]: doc() })) as Json;
    expect(built.paths["/thing"].get.security).toEqual([]);
  });
});

describe("rewriting schemas into OpenAPI 3.0.3", () => {
  test("const, null unions, records and named schemas", () => {
    const registry = new SchemaRegistry();
    const schema = registry.normalize({
      $id: "Thing",
      type: "object",
      properties: {
        kind: { anyOf: [{ const: "a", type: "string" }, { const: "b", type: "string" }] },
        maybe: { anyOf: [{ type: "string" }, { type: "null" }], description: "or null" },
        anything: { anyOf: [{ type: "string" }, { type: "number" }, { type: "null" }, {}] },
        counts: { type: "object", patternProperties: { "^(.*)$": { type: "integer" } } },
        nested: { anyOf: [{ $id: "Inner", type: "object", properties: {} }, { type: "null" }], description: "inner or null" },
        list: { type: "array", items: { const: 1, type: "number" } },
      },
    });
    expect(schema).toEqual({ $ref: "#/components/schemas/Thing" });
    expect(registry.schemas.Thing!.properties).toEqual({
      kind: { type: "string", enum: ["a", "b"] },
      maybe: { type: "string", description: "or null", nullable: true },
      anything: { anyOf: [{ type: "string", nullable: true }, { type: "number", nullable: true }, {}] },
      counts: { type: "object", additionalProperties: { type: "integer" } },
      nested: { description: "inner or null", allOf: [{ $ref: "#/components/schemas/Inner" }], nullable: true },
      list: { type: "array", items: { type: "number", enum: [1] } },
    });
    expect(registry.schemas.Inner).toEqual({ type: "object", properties: {} });
  });

  test("two different schemas under one name are refused", () => {
    const registry = new SchemaRegistry();
    registry.normalize({ $id: "Same", type: "string" });
    expect(registry.normalize({ $id: "Same", type: "string" })).toEqual({ $ref: "#/components/schemas/Same" });
    expect(() => registry.normalize({ $id: "Same", type: "integer" })).toThrow("two different schemas are named Same");
  });
});
