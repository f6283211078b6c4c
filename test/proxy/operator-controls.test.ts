/**
 * Operator controls on the proxy: X-Cache-Namespace is the key's namespace (so namespace
 * invalidation and bound keys cover proxy entries), X-Cache-Tags tags the stored answer,
 * X-Cache-Mode narrows CACHE_MODE, and scoped keys in X-Cache-Api-Key are held to their scope.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { PRIMARY_KEY } from "../support/app.ts";
import { startProxy, type ProxyHarness } from "../support/proxy.ts";
import { CHAT, cacheStatus, chatBody, expectOpenAiError, MESSAGES, messagesBody, post } from "./wire.ts";

async function send(h: ProxyHarness, prompt: string, headers: Record<string, string> = {}): Promise<{ xCache: string | null; status: string; key: string | null; code: number; body: any }> {
  const response = await post(h.url, CHAT, chatBody(prompt), headers);
  return { xCache: response.headers.get("x-cache"), status: cacheStatus(response), key: response.headers.get("x-cache-key"), code: response.status, body: await response.json() };
}

describe("proxy: namespaces and tags", () => {
  let h: ProxyHarness;
  beforeAll(async () => {
    h = await startProxy();
  });
  afterAll(() => h.close());
  beforeEach(() => h.mock.reset());

  test("X-Cache-Namespace is the entry's namespace: invalidating the namespace drops its proxy entries and no other", async () => {
    const prompt = "operator: name the capital of Chile";
    const a = await send(h, prompt, { "x-cache-namespace": "team-a" });
    const b = await send(h, prompt, { "x-cache-namespace": "team-b" });
    expect(a.key!.startsWith("ai_cache:ns:team-a|op:openai.chat.completions|")).toBe(true);
    expect(b.key!.startsWith("ai_cache:ns:team-b|op:openai.chat.completions|")).toBe(true);
    const invalidated = await (await h.t.request("/internal/cache/invalidate?namespace=team-a&pattern=op:openai.chat.completions", { method: "POST" })).json();
    expect(invalidated.keys_removed).toBe(1);
    expect((await send(h, prompt, { "x-cache-namespace": "team-a" })).xCache).toBe("MISS");
    expect((await send(h, prompt, { "x-cache-namespace": "team-b" })).xCache).toBe("HIT");
    expect(h.mock.count("/chat/completions")).toBe(3);
  });

  test("X-Cache-Tags tags the stored answer: invalidating the tag drops it, and only it", async () => {
    const tagged = await send(h, "operator: tagged question", { "x-cache-tags": "doc:42, doc:7" });
    const other = await send(h, "operator: untagged question", { "x-cache-tags": "doc:7" });
    expect(tagged.status).toContain("stored");
    const message = await post(h.url, MESSAGES, messagesBody("operator: tagged message"), { "x-cache-tags": "doc:42" });
    expect(message.headers.get("cache-status")).toContain("stored");
    await message.arrayBuffer();
    const invalidated = await (await h.t.request("/internal/cache/invalidate?tag=doc:42", { method: "POST" })).json();
    expect(invalidated).toMatchObject({ keys_removed: 2, tag: "doc:42" });
    expect((await send(h, "operator: tagged question")).xCache).toBe("MISS");
    expect((await send(h, "operator: untagged question")).xCache).toBe("HIT");
    expect(other.key).not.toBe(tagged.key);
  });
});

describe("proxy: X-Cache-Mode under CACHE_MODE=read_write", () => {
  let h: ProxyHarness;
  beforeAll(async () => {
    h = await startProxy();
  });
  afterAll(() => h.close());
  beforeEach(() => h.mock.reset());

  test("read_only: a hit is served, a miss reaches the upstream and is not stored", async () => {
    await send(h, "mode: cached before");
    expect((await send(h, "mode: cached before", { "x-cache-mode": "read_only" })).xCache).toBe("HIT");
    const miss = await send(h, "mode: never stored", { "x-cache-mode": "read_only" });
    expect(miss.xCache).toBe("MISS");
    expect(miss.status).toContain("detail=mode_read_only");
    expect((await send(h, "mode: never stored")).xCache).toBe("MISS");
    expect(h.mock.count("/chat/completions")).toBe(3);
  });

  test("write_only: always a miss, and the answer is stored (warming)", async () => {
    await send(h, "mode: warmed");
    const warmed = await send(h, "mode: warmed", { "x-cache-mode": "write_only" });
    expect(warmed.xCache).toBe("MISS");
    expect(warmed.status).toContain("stored");
    expect(h.mock.count("/chat/completions")).toBe(2);
    const hit = await send(h, "mode: warmed");
    expect(hit.xCache).toBe("HIT");
    expect(hit.body.id).toBe(warmed.body.id);
  });

  test("off: the request bypasses the cache entirely", async () => {
    await send(h, "mode: off");
    const off = await send(h, "mode: off", { "x-cache-mode": "off" });
    expect(off.xCache).toBe("BYPASS");
    expect(off.status).toContain("detail=mode_off");
    expect(h.mock.count("/chat/completions")).toBe(2);
  });
});

describe("proxy: CACHE_MODE=read_only cannot be widened by a request", () => {
  let h: ProxyHarness;
  beforeAll(async () => {
    h = await startProxy({ cacheMode: "read_only" });
  });
  afterAll(() => h.close());

  test("X-Cache-Mode: read_write still stores nothing", async () => {
    const variants: Record<string, string>[] = [{}, { "x-cache-mode": "read_write" }, { "x-cache-mode": "write_only" }];
    for (const headers of variants) {
      const answer = await send(h, "operator mode: read only", headers);
      expect(answer.xCache).not.toBe("HIT");
    }
    expect(h.mock.count("/chat/completions")).toBe(3);
  });
});

describe("proxy: scoped keys", () => {
  let h: ProxyHarness;
  beforeAll(async () => {
    h = await startProxy({
      apiKeys: [PRIMARY_KEY],
      scopedApiKeys: [
        { key: "proxy-read-key", scopes: ["read"], namespace: null },
        { key: "proxy-tenant-key", scopes: ["data"], namespace: "tenant-a" },
      ],
    });
  });
  afterAll(() => h.close());

  test("a key without the data scope gets 403 naming it, in the upstream's format, without calling it", async () => {
    const refused = await post(h.url, CHAT, chatBody("scoped: refused"), { "x-cache-api-key": "proxy-read-key" });
    expect(refused.status).toBe(403);
    expect(expectOpenAiError(await refused.json()).message).toContain("'data' scope");
    expect(h.mock.count("/chat/completions")).toBe(0);
  });

  test("a key bound to a namespace lands in it; naming another is refused", async () => {
    const bound = await send(h, "scoped: tenant question", { "x-cache-api-key": "proxy-tenant-key" });
    expect(bound.code).toBe(200);
    expect(bound.key!.startsWith("ai_cache:ns:tenant-a|")).toBe(true);
    expect((await send(h, "scoped: tenant question", { "x-cache-api-key": "proxy-tenant-key", "x-cache-namespace": "tenant-a" })).xCache).toBe("HIT");
    // A full key without the namespace does not see the tenant's entry.
    expect((await send(h, "scoped: tenant question", { "x-cache-api-key": PRIMARY_KEY })).xCache).toBe("MISS");
    const other = await post(h.url, CHAT, chatBody("scoped: tenant question"), { "x-cache-api-key": "proxy-tenant-key", "x-cache-namespace": "tenant-b" });
    expect(other.status).toBe(403);
    expect(expectOpenAiError(await other.json()).message).toContain("bound to namespace 'tenant-a'");
  });
});
