import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { startRedis, type RedisServer } from "../support/redis.ts";

let redis: RedisServer;
let memoryOnly: TestApp;
let shared: TestApp;

beforeAll(async () => {
  redis = await startRedis();
  [memoryOnly, shared] = await Promise.all([buildTestApp(), buildTestApp({ redisUrl: redis.url, memoryMaxEntries: 4 })]);
});
afterAll(async () => {
  await Promise.all([memoryOnly?.close(), shared?.close()]);
  await redis?.stop();
});

const NAMESPACES = ["tenant-a", "tenant-b", undefined] as const;
type Namespace = (typeof NAMESPACES)[number];

type Command =
  | { kind: "store"; namespace: Namespace; text: string; value: number }
  | { kind: "lookup"; namespace: Namespace; text: string }
  | { kind: "delete"; namespace: Namespace; text: string }
  | { kind: "invalidate"; namespace: Exclude<Namespace, undefined>; pattern: string };

const namespaceArb = fc.constantFrom(...NAMESPACES);
// Few texts, so the same text is stored in several namespaces all the time.
const textArb = fc.constantFrom("t1", "t2", "t3");
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant("store" as const), namespace: namespaceArb, text: textArb, value: fc.integer() }),
  fc.record({ kind: fc.constant("lookup" as const), namespace: namespaceArb, text: textArb }),
  fc.record({ kind: fc.constant("delete" as const), namespace: namespaceArb, text: textArb }),
  fc.record({ kind: fc.constant("invalidate" as const), namespace: fc.constantFrom("tenant-a" as const, "tenant-b" as const), pattern: fc.constantFrom("", "op:summarize", "op:other") }),
);

async function call(t: TestApp, path: string, method: string, json?: unknown): Promise<{ status: number; body: any }> {
  const response = await t.request(path, { method, json });
  return { status: response.status, body: await response.json() };
}

/** Runs the commands against the sidecar and a model where each namespace is its own map; every lookup must agree. */
async function check(t: TestApp, commands: Command[]): Promise<void> {
  expect((await call(t, "/internal/cache/invalidate", "POST")).status).toBe(200);
  const model = new Map<string, number>();
  const slot = (namespace: Namespace, text: string) => `${namespace ?? ""}/${text}`;
  const body = (namespace: Namespace, text: string) => (namespace === undefined ? { operation: "summarize", text } : { namespace, operation: "summarize", text });
  for (const command of commands) {
    if (command.kind === "store") {
      expect((await call(t, "/cache/store", "POST", { ...body(command.namespace, command.text), response: command.value })).status).toBe(201);
      model.set(slot(command.namespace, command.text), command.value);
    } else if (command.kind === "lookup") {
      const found = (await call(t, "/cache/lookup", "POST", body(command.namespace, command.text))).body;
      const expected = model.get(slot(command.namespace, command.text));
      expect([command, found.hit ? found.response : undefined]).toEqual([command, expected]);
      if (command.namespace !== undefined) expect(found.key.startsWith(`ai_cache:ns:${command.namespace}|op:summarize|`)).toBe(true);
      else expect(found.key.startsWith("ai_cache:op:summarize|")).toBe(true);
    } else if (command.kind === "delete") {
      const key = (await call(t, "/cache/lookup", "POST", body(command.namespace, command.text))).body.key;
      const query = command.namespace === undefined ? "" : `?namespace=${command.namespace}`;
      expect((await call(t, `/cache/entries/${encodeURIComponent(key)}${query}`, "DELETE")).status).toBe(200);
      model.delete(slot(command.namespace, command.text));
    } else {
      const answer = await call(t, `/internal/cache/invalidate?namespace=${command.namespace}&pattern=${encodeURIComponent(command.pattern)}`, "POST");
      expect(answer.status).toBe(200);
      if (command.pattern !== "op:other") for (const text of ["t1", "t2", "t3"]) model.delete(slot(command.namespace, text));
    }
  }
  // Finally every slot agrees.
  for (const namespace of NAMESPACES) {
    for (const text of ["t1", "t2", "t3"]) {
      const found = (await call(t, "/cache/lookup", "POST", body(namespace, text))).body;
      expect([namespace, text, found.hit ? found.response : undefined]).toEqual([namespace, text, model.get(slot(namespace, text))]);
    }
  }
}

describe("namespaces", () => {
  test("property: random stores, lookups, deletes and scoped invalidations in two namespaces (and none) never cross (memory tier only)", async () => {
    await fc.assert(fc.asyncProperty(fc.array(commandArb, { minLength: 1, maxLength: 40 }), (commands) => check(memoryOnly, commands)), { numRuns: 60 });
  });

  test("property: the same with Redis behind a tiny memory tier (most reads come from Redis)", async () => {
    await fc.assert(fc.asyncProperty(fc.array(commandArb, { minLength: 1, maxLength: 40 }), (commands) => check(shared, commands)), { numRuns: 40 });
  });

  test("keys without a namespace keep their exact layout; a namespace is its own readable segment", async () => {
    const plain = (await call(memoryOnly, "/cache/lookup", "POST", { operation: "summarize", text: "layout" })).body.key as string;
    const spaced = (await call(memoryOnly, "/cache/lookup", "POST", { namespace: "eval-run_7.b", operation: "summarize", text: "layout" })).body.key as string;
    expect(plain).toMatch(/^ai_cache:op:summarize\|txt:[0-9a-f]{32}$/);
    expect(spaced).toBe(plain.replace("ai_cache:", "ai_cache:ns:eval-run_7.b|"));
    expect(memoryOnly.cache.keys.isCacheKey(spaced)).toBe(true);
    expect(memoryOnly.cache.keys.namespaceOf(spaced)).toBe("eval-run_7.b");
    expect(memoryOnly.cache.keys.namespaceOf(plain)).toBeNull();
    expect(memoryOnly.cache.keys.leaseKey(spaced)).toBe(`ai_cache:lease:{${spaced}}`);
    // A namespace is never a prefix of another's glob: "a" does not reach "ab" or "b.a".
    for (const namespace of ["a", "ab", "b.a"]) await call(memoryOnly, "/cache/store", "POST", { namespace, operation: "summarize", text: "prefix", response: namespace });
    expect((await call(memoryOnly, "/internal/cache/invalidate?namespace=a", "POST")).body).toMatchObject({ keys_removed: 1, namespace: "a", message: "Cache invalidated for namespace: a, pattern: " });
    for (const namespace of ["ab", "b.a"]) expect((await call(memoryOnly, "/cache/lookup", "POST", { namespace, operation: "summarize", text: "prefix" })).body.response).toBe(namespace);
    const stats = (await call(memoryOnly, "/internal/cache/invalidation-stats", "GET")).body;
    expect(stats.patterns.invalidation_types.namespace).toBeGreaterThanOrEqual(1);
  });

  test("a namespaced entry read or deleted under another namespace is refused naming the key", async () => {
    const key = (await call(memoryOnly, "/cache/store", "POST", { namespace: "tenant-a", operation: "summarize", text: "mine", response: 1 })).body.key;
    for (const method of ["GET", "DELETE"]) {
      const refused = await call(memoryOnly, `/cache/entries/${encodeURIComponent(key)}?namespace=tenant-b`, method);
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({ error: "validation_error", field: "key" });
      expect(refused.body.detail).toContain("tenant-b");
    }
    expect((await call(memoryOnly, `/cache/entries/${encodeURIComponent(key)}?namespace=tenant-a`, "GET")).body.response).toBe(1);
  });

  test("bad namespaces are refused naming the field, on the data plane and on invalidation", async () => {
    for (const namespace of ["", "has space", "a:b", "a|b", "{x}", "n".repeat(65), "a*"]) {
      for (const [path, json] of [
        ["/cache/lookup", { namespace, operation: "summarize", text: "x" }],
        ["/cache/store", { namespace, operation: "summarize", text: "x", response: 1 }],
      ] as const) {
        const answer = await call(memoryOnly, path, "POST", json);
        expect(answer.status).toBe(422);
        expect(answer.body.field).toContain("namespace");
      }
      const invalidate = await call(memoryOnly, `/internal/cache/invalidate?namespace=${encodeURIComponent(namespace)}`, "POST");
      expect(invalidate.status).toBe(422);
      expect(invalidate.body.field).toContain("namespace");
    }
  });

  test("the engine refuses a namespace or tag that did not come through the schema, naming the field", async () => {
    const fieldOf = async (attempt: () => unknown) => {
      try {
        await attempt();
      } catch (error) {
        return (error as { field?: string }).field;
      }
      return "nothing thrown";
    };
    expect(await fieldOf(() => memoryOnly.cache.keyFor({ namespace: "a:b", operation: "summarize", text: "x" }))).toBe("namespace");
    expect(await fieldOf(() => memoryOnly.cache.invalidate("", "test", { namespace: "a b" }))).toBe("namespace");
    expect(await fieldOf(() => memoryOnly.cache.invalidate("", "test", { tag: "a b" }))).toBe("tag");
    expect(await fieldOf(() => memoryOnly.cache.storeKey(memoryOnly.cache.keyFor({ operation: "summarize", text: "x" }), "summarize", "1", { tags: ["a,b"] }))).toBe("tags");
  });
});
