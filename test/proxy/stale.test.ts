/**
 * Stale answers through the proxy (RFC 5861): stale-if-error when the upstream fails, and
 * serve-stale-while-refreshing when the request allows it. Never silent: X-Cache STALE and a
 * Cache-Status that says why.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { waitFor } from "../support/poll.ts";
import { startProxy, type ProxyHarness } from "../support/proxy.ts";
import { CHAT, MESSAGES, cacheStatus, chatBody, credentials, messagesBody, metric, metricsText, post, readAll } from "./wire.ts";

let h: ProxyHarness;
beforeAll(async () => {
  // Proxy entries are kept ten minutes past their TTL; failures may be answered from that window.
  h = await startProxy({ staleSeconds: 600, proxyStaleIfErrorSeconds: 600, proxyTimeoutMs: 400 });
});
afterAll(() => h.close());

/** Stores an answer for one second, then waits until it is past its TTL. */
async function storeThenExpire(path: string, body: unknown): Promise<string> {
  const first = await post(h.url, path, body, { ...credentials(path), "x-cache-ttl": "1" });
  const text = await first.text();
  expect(first.headers.get("x-cache")).toBe("MISS");
  await waitFor(async () => {
    const probe = await post(h.url, path, body, { ...credentials(path), "cache-control": "only-if-cached" });
    await probe.arrayBuffer();
    return probe.status === 504;
  }, { what: "the entry to pass its TTL" });
  return text;
}

describe("stale-if-error", () => {
  for (const [scenario, status] of [["error-429", 429], ["error-500", 500], ["error-503", 503]] as const) {
    test(`the upstream answers ${status}: the stale entry answers instead, disclosed (fwd=stale; fwd-status=${status})`, async () => {
      const body = chatBody(`stale-if-error ${scenario}`);
      const stored = await storeThenExpire(CHAT, body);
      const before = h.mock.count("/chat/completions");
      const response = await post(h.url, CHAT, body, { ...credentials(CHAT), "x-mock-scenario": scenario });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(stored);
      expect(cacheStatus(response)).toBe(`ai-response-cache; fwd=stale; fwd-status=${status}`);
      expect(response.headers.get("x-cache")).toBe("STALE");
      expect(Number(response.headers.get("age"))).toBeGreaterThanOrEqual(1);
      // The upstream was asked: stale-if-error is a fallback, not a hit.
      expect(h.mock.count("/chat/completions")).toBe(before + 1);
    });
  }

  test("the upstream times out: the stale entry answers (fwd-status=504); streamed requests too", async () => {
    const body = chatBody("stale-if-error timeout", { stream: true });
    const stored = await storeThenExpire(CHAT, body);
    const response = await post(h.url, CHAT, body, { ...credentials(CHAT), "x-mock-latency-ms": "2000" });
    expect(cacheStatus(response)).toBe("ai-response-cache; fwd=stale; fwd-status=504");
    expect((await readAll(response.body!.getReader())).text).toBe(stored);
  });

  test("the SDK sees a normal answer, and Anthropic's protocol works the same", async () => {
    const body = messagesBody("stale-if-error anthropic");
    const stored = await storeThenExpire(MESSAGES, body);
    const response = await post(h.url, MESSAGES, body, { ...credentials(MESSAGES), "x-mock-scenario": "error-500" });
    expect(cacheStatus(response)).toBe("ai-response-cache; fwd=stale; fwd-status=500");
    expect(await response.text()).toBe(stored);
    const chat = chatBody("stale-if-error sdk");
    await storeThenExpire(CHAT, chat);
    const client = h.openai();
    const answer = await client.chat.completions.create(chat as unknown as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, { headers: { "x-mock-scenario": "error-429" } }).withResponse();
    expect(answer.response.headers.get("x-cache")).toBe("STALE");
    expect(answer.data.choices[0]?.message.content).toContain("Mock reply");
  });

  test("a fresh upstream answer replaces the stale entry; a 2xx is never replaced by the stale one", async () => {
    const body = chatBody("stale-if-error recovers");
    const stored = await storeThenExpire(CHAT, body);
    const fresh = await post(h.url, CHAT, body, credentials(CHAT));
    // RFC 9211 fwd=stale: the cache held a stale entry and asked the upstream.
    expect(cacheStatus(fresh)).toBe("ai-response-cache; fwd=stale; fwd-status=200; stored");
    expect(await fresh.text()).not.toBe(stored);
    const hit = await post(h.url, CHAT, body, credentials(CHAT));
    expect(hit.headers.get("x-cache")).toBe("HIT");
  });

  test("Cache-Control: stale-if-error=0 opts a request out: the upstream's 429 passes through", async () => {
    const body = chatBody("stale-if-error opted out");
    await storeThenExpire(CHAT, body);
    const response = await post(h.url, CHAT, body, { ...credentials(CHAT), "x-mock-scenario": "error-429", "cache-control": "stale-if-error=0" });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("7");
  });

  test("Prometheus counts stale answers as result=stale", async () => {
    const before = metric(await metricsText(h.t), "ai_cache_proxy_requests_total", { endpoint: "openai.chat.completions", result: "stale" });
    const body = chatBody("stale-if-error counted");
    await storeThenExpire(CHAT, body);
    await (await post(h.url, CHAT, body, { ...credentials(CHAT), "x-mock-scenario": "error-500" })).arrayBuffer();
    expect(metric(await metricsText(h.t), "ai_cache_proxy_requests_total", { endpoint: "openai.chat.completions", result: "stale" })).toBe(before + 1);
  });
});

describe("stale-if-error off by default", () => {
  let plain: ProxyHarness;
  beforeAll(async () => {
    plain = await startProxy({ staleSeconds: 600 });
  });
  afterAll(() => plain.close());

  test("without the setting, a 500 passes through, unless the request says stale-if-error=N", async () => {
    const body = chatBody("stale-if-error by request");
    const first = await post(plain.url, CHAT, body, { ...credentials(CHAT), "x-cache-ttl": "1" });
    const stored = await first.text();
    await waitFor(async () => {
      const probe = await post(plain.url, CHAT, body, { ...credentials(CHAT), "cache-control": "only-if-cached" });
      await probe.arrayBuffer();
      return probe.status === 504;
    }, { what: "the entry to pass its TTL" });
    const failed = await post(plain.url, CHAT, body, { ...credentials(CHAT), "x-mock-scenario": "error-500" });
    expect(failed.status).toBe(500);
    await failed.arrayBuffer();
    const rescued = await post(plain.url, CHAT, body, { ...credentials(CHAT), "x-mock-scenario": "error-500", "cache-control": "stale-if-error=600" });
    expect(cacheStatus(rescued)).toBe("ai-response-cache; fwd=stale; fwd-status=500");
    expect(await rescued.text()).toBe(stored);
  });

  test("a malformed stale directive is a 400 naming the header", async () => {
    for (const value of ["stale-if-error=soon", "max-stale=-1"]) {
      const response = await post(plain.url, CHAT, chatBody("bad stale directive"), { ...credentials(CHAT), "cache-control": value });
      expect(response.status).toBe(400);
      expect(JSON.stringify(await response.json())).toContain("Cache-Control");
    }
  });
});

describe("serve stale while refreshing (Cache-Control: max-stale)", () => {
  test("a stale entry answers at once (hit; stale; detail=revalidating), one refresh goes upstream in the background, and the next request gets the refreshed answer", async () => {
    const body = chatBody("max-stale refresh");
    const stored = await storeThenExpire(CHAT, body);
    const before = h.mock.count("/chat/completions");
    // The refresh is slow upstream; the stale answers do not wait for it.
    const answers = await Promise.all(Array.from({ length: 4 }, () => post(h.url, CHAT, body, { ...credentials(CHAT), "cache-control": "max-stale=600", "x-mock-latency-ms": "300" })));
    for (const answer of answers) {
      expect(cacheStatus(answer)).toBe("ai-response-cache; hit; stale; detail=revalidating");
      expect(answer.headers.get("x-cache")).toBe("STALE");
      expect(await answer.text()).toBe(stored);
    }
    await waitFor(async () => {
      const probe = await post(h.url, CHAT, body, { ...credentials(CHAT), "cache-control": "only-if-cached" });
      await probe.arrayBuffer();
      return probe.headers.get("x-cache") === "HIT";
    }, { what: "the refreshed entry" });
    expect(h.mock.count("/chat/completions")).toBe(before + 1);
    const refreshed = await post(h.url, CHAT, body, credentials(CHAT));
    expect(refreshed.headers.get("x-cache")).toBe("HIT");
    expect(await refreshed.text()).not.toBe(stored);
  });

  test("max-stale=N does not accept an entry further past its TTL than N: it is a miss", async () => {
    const body = chatBody("max-stale too old");
    await storeThenExpire(CHAT, body);
    await Bun.sleep(1100);
    const response = await post(h.url, CHAT, body, { ...credentials(CHAT), "cache-control": "max-stale=1" });
    expect(response.headers.get("x-cache")).toBe("MISS");
    expect(cacheStatus(response)).toBe("ai-response-cache; fwd=stale; fwd-status=200; stored");
  });
});
