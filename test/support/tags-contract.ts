import { describe, expect, test } from "bun:test";
import type { TestApp } from "./app.ts";
import { waitFor } from "./poll.ts";

/** What the contract reads from Redis directly, whatever the topology. */
export interface RedisProbe {
  exists(key: string): Promise<boolean>;
  pttl(key: string): Promise<number>;
  /** SCAN calls the server(s) answered so far (INFO commandstats). */
  scans(): Promise<number>;
}

/** SCAN calls a server answered so far, from its INFO commandstats. */
export function scanCalls(commandStats: string): number {
  return Number(/cmdstat_scan:calls=(\d+)/.exec(commandStats)?.[1] ?? 0);
}

/** The probe over one server's client (standalone, or the master behind Sentinel). */
export function serverProbe(client: { exists(key: string): Promise<number>; pTTL(key: string): Promise<number>; info(section: string): Promise<string> }): RedisProbe {
  return {
    exists: async (key) => (await client.exists(key)) === 1,
    pttl: (key) => client.pTTL(key),
    scans: async () => scanCalls(await client.info("commandstats")),
  };
}

/**
 * Tags, dry runs and soft purges across two sidecars sharing one Redis, both tiers: an
 * invalidation by tag on one sidecar removes the entries from Redis and from both memory
 * tiers, without scanning the key space.
 */
export function tagContract(label: string, setup: () => { a: TestApp; b: TestApp; redis: RedisProbe }): void {
  describe(`tags on ${label}`, () => {
    let serial = 0;
    const post = async (t: TestApp, path: string, json?: unknown) => {
      const response = await t.request(path, { method: "POST", json });
      return { status: response.status, body: await response.json() };
    };
    const store = async (t: TestApp, text: string, tags: string[], extra: object = {}) => {
      const stored = await post(t, "/cache/store", { operation: "summarize", text, response: { text }, tags, ...extra });
      expect(stored.status).toBe(201);
      return stored.body.key as string;
    };
    const lookup = async (t: TestApp, text: string, extra: object = {}) => (await post(t, "/cache/lookup", { operation: "summarize", text, ...extra })).body;
    const unique = (what: string) => `${label} ${what} ${++serial}`;
    /** Until the sidecar holds a memory copy (a read overlapping the store's announcement is not promoted). */
    const warm = (t: TestApp, text: string, extra: object = {}) => waitFor(async () => (await lookup(t, text, extra)).tier === "memory", { what: "a memory copy" });

    test("an invalidation by tag on one sidecar removes the tagged entries from Redis and from both memory tiers, and nothing else", async () => {
      const { a, b, redis } = setup();
      const tag = `doc:${++serial}`;
      const other = `doc:${++serial}`;
      const tagged = [unique("tagged"), unique("tagged"), unique("tagged")];
      const both = unique("both");
      const kept = unique("kept");
      const keys = await Promise.all(tagged.map((text) => store(a, text, [tag])));
      keys.push(await store(a, both, [other, tag]));
      const keptKey = await store(a, kept, [other]);
      // B reads each from Redis and keeps a memory copy.
      for (const text of [...tagged, both, kept]) await warm(b, text);
      expect(await redis.exists(a.cache.keys.tagKey(tag))).toBe(true);

      const scansBefore = await redis.scans();
      const answer = await post(a, `/internal/cache/invalidate?tag=${encodeURIComponent(tag)}&operation_context=tag_test`);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ keys_removed: 4, memory_keys_removed: 4, redis_keys_removed: 4, redis: "ok", tag, message: `Cache invalidated for tag: ${tag}` });
      // Read from the tag's set, never a scan of the key space.
      expect(await redis.scans()).toBe(scansBefore);
      for (const key of keys) expect(await redis.exists(key)).toBe(false);
      expect(await redis.exists(a.cache.keys.tagKey(tag))).toBe(false);
      for (const key of keys) expect(a.cache.memory.has(key)).toBe(false);
      await waitFor(() => keys.every((key) => !b.cache.memory.has(key)), { what: "B's memory copies dropped" });
      for (const text of [...tagged, both]) {
        expect((await lookup(a, text)).hit).toBe(false);
        expect((await lookup(b, text)).hit).toBe(false);
      }
      // The other tag's entry is untouched, and so is its set (both lost only their shared member).
      expect(await lookup(b, kept)).toMatchObject({ hit: true, tier: "memory" });
      expect(await redis.exists(keptKey)).toBe(true);
      expect(await redis.exists(a.cache.keys.tagKey(other))).toBe(true);
      const stats = (await (await a.request("/internal/cache/invalidation-stats")).json()) as { patterns: { invalidation_types: Record<string, number>; most_common_patterns: Record<string, number> } };
      expect(stats.patterns.invalidation_types.tag).toBeGreaterThanOrEqual(1);
      expect(stats.patterns.most_common_patterns[tag]).toBe(1);
    });

    test("an invalidation by tag held to a namespace removes only that namespace's entries, and takes them out of the tag's set", async () => {
      const { a, b, redis } = setup();
      const tag = `scoped:${++serial}`;
      const text = unique("scoped");
      const keyOf = async (namespace: string) => (await post(a, "/cache/store", { namespace, operation: "summarize", text, response: namespace, tags: [tag] })).body.key as string;
      const [one, two] = [await keyOf("ns-one"), await keyOf("ns-two")];
      expect((await a.cache.tags.sharedKeys(tag)).sort()).toEqual([one, two].sort());
      const answer = (await post(b, `/internal/cache/invalidate?tag=${encodeURIComponent(tag)}&namespace=ns-one`)).body;
      expect(answer).toMatchObject({ keys_removed: 1, redis_keys_removed: 1, namespace: "ns-one", tag });
      expect(await redis.exists(one)).toBe(false);
      expect(await redis.exists(two)).toBe(true);
      expect(await a.cache.tags.sharedKeys(tag)).toEqual([two]);
      await waitFor(async () => (await post(a, "/cache/lookup", { namespace: "ns-one", operation: "summarize", text })).body.hit === false, { what: "A's copy gone" });
      expect((await post(a, "/cache/lookup", { namespace: "ns-two", operation: "summarize", text })).body.response).toBe("ns-two");
    });

    test("a tag's set lives as long as its longest-lived member, so abandoned tags clean themselves up", async () => {
      const { a, redis } = setup();
      const tag = `set-ttl:${++serial}`;
      await store(a, unique("short"), [tag], { ttl_seconds: 100 });
      const setKey = a.cache.keys.tagKey(tag);
      const short = await redis.pttl(setKey);
      expect(short).toBeGreaterThan(0);
      expect(short).toBeLessThanOrEqual(100_000);
      await store(a, unique("long"), [tag], { ttl_seconds: 1000, stale_seconds: 500 });
      const long = await redis.pttl(setKey);
      expect(long).toBeGreaterThan(100_000);
      expect(long).toBeLessThanOrEqual(1_500_000);
      // A shorter-lived member never shortens it.
      await store(a, unique("short again"), [tag], { ttl_seconds: 5 });
      expect(await redis.pttl(setKey)).toBeGreaterThan(100_000);
    });

    test("a dry run counts exactly what the real run then removes, and removes nothing", async () => {
      const { a, b } = setup();
      const tag = `dry:${++serial}`;
      const texts = Array.from({ length: 7 }, () => unique("dry"));
      for (const text of texts) await store(a, text, [tag]);
      // Two only in Redis as far as A knows: B holds copies; A's are dropped.
      for (const text of texts) await warm(b, text);
      for (const text of texts.slice(0, 2)) a.cache.memory.delete(a.cache.keys.build({ operation: "summarize", text }));
      const dry = await post(a, `/internal/cache/invalidate?tag=${encodeURIComponent(tag)}&dry_run=true`);
      expect(dry.status).toBe(200);
      expect(dry.body).toMatchObject({ dry_run: true, keys_removed: 0, memory_keys_removed: 0, redis_keys_removed: 0, would_remove: 7, memory_would_remove: 5, redis_would_remove: 7 });
      for (const text of texts) expect((await lookup(b, text)).hit).toBe(true);
      const real = await post(a, `/internal/cache/invalidate?tag=${encodeURIComponent(tag)}`);
      expect(real.body.dry_run).toBeUndefined();
      expect([real.body.keys_removed, real.body.memory_keys_removed, real.body.redis_keys_removed]).toEqual([dry.body.would_remove, dry.body.memory_would_remove, dry.body.redis_would_remove]);
      for (const text of texts) await waitFor(async () => (await lookup(b, text)).hit === false, { what: "B's copy gone" });
    });

    test("a dry run by pattern and by namespace counts what the real run removes; nothing goes meanwhile", async () => {
      const { a, b } = setup();
      const namespace = `dry-ns-${++serial}`;
      const texts = Array.from({ length: 5 }, () => unique("dry-ns"));
      for (const text of texts) await post(a, "/cache/store", { namespace, operation: "dry_pattern_op", text, response: 1 });
      await post(a, "/cache/store", { operation: "dry_pattern_op", text: texts[0], response: "outside" });
      for (const text of texts) await waitFor(async () => (await post(b, "/cache/lookup", { namespace, operation: "dry_pattern_op", text })).body.tier === "memory", { what: "a memory copy" });
      const inNamespace = (t: TestApp, text: string) => post(t, "/cache/lookup", { namespace, operation: "dry_pattern_op", text });
      const outside = (t: TestApp) => post(t, "/cache/lookup", { operation: "dry_pattern_op", text: texts[0] });

      const dryScoped = (await post(a, `/internal/cache/invalidate?namespace=${namespace}&pattern=dry_pattern_op&dry_run=true`)).body;
      expect(dryScoped).toMatchObject({ would_remove: 5, memory_would_remove: 5, redis_would_remove: 5, namespace });
      for (const text of texts) expect((await inNamespace(b, text)).body.hit).toBe(true);
      const scoped = (await post(a, `/internal/cache/invalidate?namespace=${namespace}&pattern=dry_pattern_op`)).body;
      expect([scoped.keys_removed, scoped.memory_keys_removed, scoped.redis_keys_removed]).toEqual([5, 5, 5]);
      // The entry outside the namespace survived the scoped run.
      expect((await outside(b)).body.hit).toBe(true);
      for (const text of texts) await waitFor(async () => (await inNamespace(b, text)).body.hit === false, { what: "B's copy gone" });

      const dry = (await post(a, "/internal/cache/invalidate?pattern=op:dry_pattern_op&dry_run=true")).body;
      expect(dry.would_remove).toBe(1);
      expect((await outside(b)).body.hit).toBe(true);
      const real = (await post(a, "/internal/cache/invalidate?pattern=op:dry_pattern_op")).body;
      expect([real.keys_removed, real.memory_keys_removed, real.redis_keys_removed]).toEqual([dry.would_remove, dry.memory_would_remove, dry.redis_would_remove]);
    });

    test("a soft purge by tag marks entries stale on both sidecars: served to callers that accept stale answers until a fresh answer replaces them", async () => {
      const { a, b, redis } = setup();
      const tag = `soft:${++serial}`;
      const text = unique("soft");
      const key = await store(a, text, [tag], { stale_seconds: 600 });
      await warm(b, text);
      const soft = (await post(a, `/internal/cache/invalidate?tag=${encodeURIComponent(tag)}&soft=true`)).body;
      expect(soft).toMatchObject({ soft: true, keys_removed: 0, keys_marked_stale: 1, memory_keys_marked_stale: 1, redis_keys_marked_stale: 1 });
      expect(await redis.exists(key)).toBe(true);
      for (const sidecar of [a, b]) {
        await waitFor(async () => (await lookup(sidecar, text)).hit === false, { what: "the entry no longer fresh" });
        expect(await lookup(sidecar, text, { max_stale_seconds: 300 })).toMatchObject({ hit: true, stale: true, response: { text } });
      }
      // A stale hit with coalesce hands one caller the lease to refresh it.
      const refresher = await lookup(b, text, { max_stale_seconds: 300, coalesce: { wait_ms: 0 } });
      expect(refresher.lease).toBeDefined();
      expect((await post(b, "/cache/store", { operation: "summarize", text, response: { text, v: 2 }, lease_token: refresher.lease.token, tags: [tag] })).status).toBe(201);
      for (const sidecar of [a, b]) await waitFor(async () => (await lookup(sidecar, text)).response?.v === 2, { what: "the fresh answer served" });
      const stats = (await (await a.request("/internal/cache/invalidation-stats")).json()) as { patterns: { invalidation_types: Record<string, number> } };
      expect(stats.patterns.invalidation_types.tag_soft).toBeGreaterThanOrEqual(1);
    });

    test("an invalidation by tag voids the lease of a tagged entry being refreshed: the refreshed answer is refused", async () => {
      const { a, b } = setup();
      const tag = `lease:${++serial}`;
      const text = unique("lease");
      await store(a, text, [tag], { stale_seconds: 600 });
      await post(a, `/internal/cache/invalidate?tag=${encodeURIComponent(tag)}&soft=true`);
      const refresher = await lookup(b, text, { max_stale_seconds: 300, coalesce: { wait_ms: 0 } });
      expect(refresher.lease).toBeDefined();
      expect((await post(a, `/internal/cache/invalidate?tag=${encodeURIComponent(tag)}`)).body.keys_removed).toBe(1);
      const refused = await post(b, "/cache/store", { operation: "summarize", text, response: { text }, lease_token: refresher.lease.token, tags: [tag] });
      expect(refused.status).toBe(409);
      expect((await lookup(a, text)).hit).toBe(false);
    });

    test("a soft purge by pattern marks stale on both sidecars and removes nothing", async () => {
      const { a, b, redis } = setup();
      const text = unique("soft pattern");
      const stored = await post(a, "/cache/store", { operation: "soft_pattern_op", text, response: 1, stale_seconds: 600 });
      await waitFor(async () => (await post(b, "/cache/lookup", { operation: "soft_pattern_op", text })).body.tier === "memory", { what: "a memory copy" });
      const soft = (await post(a, "/internal/cache/invalidate?pattern=op:soft_pattern_op&soft=true")).body;
      expect(soft).toMatchObject({ soft: true, keys_marked_stale: 1, memory_keys_marked_stale: 1, redis_keys_marked_stale: 1, keys_removed: 0 });
      expect(await redis.exists(stored.body.key)).toBe(true);
      for (const sidecar of [a, b]) {
        await waitFor(async () => (await post(sidecar, "/cache/lookup", { operation: "soft_pattern_op", text })).body.hit === false, { what: "no longer fresh" });
        expect((await post(sidecar, "/cache/lookup", { operation: "soft_pattern_op", text, max_stale_seconds: 60 })).body).toMatchObject({ hit: true, stale: true });
      }
      // Marking again finds nothing fresh to mark.
      expect((await post(a, "/internal/cache/invalidate?pattern=op:soft_pattern_op&soft=true")).body.keys_marked_stale).toBe(0);
    });
  });
}
