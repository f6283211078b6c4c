/**
 * The caching proxy's request-side contract (README "Zero-code caching"): the per-request
 * control headers, singleflight coalescing of identical concurrent requests, the "bypass"
 * policy for sampled requests, and passthrough of every non-cacheable request. Raw fetch
 * where headers and bytes matter, the official SDKs where SDK compatibility is the point.
 *
 * Ordering is made causal, never timed: a TCP relay in front of the mock upstream holds the
 * upstream's bytes back while the test arranges who is waiting for them (see wire.ts).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI, { toFile } from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { waitFor } from "../support/poll.ts";
import { ALICE, BOB, startProxy, type ProxyHarness } from "../support/proxy.ts";
import {
  CHAT,
  EMBEDDINGS,
  MESSAGES,
  cacheStatus,
  chatBody,
  entryOf,
  expectAnthropicError,
  expectOpenAiError,
  messagesBody,
  metric,
  metricsText,
  post,
  readAll,
  readUntil,
  startRelay,
  type Relay,
} from "./wire.ts";
import { thrown } from "../support/thrown.ts";

/** The request headers the proxy reads and must never forward. */
const CONTROL_HEADER_NAMES = ["cache-control", "pragma", "x-cache-ttl", "x-cache-namespace", "x-cache-tags", "x-cache-mode", "x-cache-api-key"];

describe("per-request control headers", () => {
  let h: ProxyHarness;
  beforeAll(async () => {
    h = await startProxy();
  });
  afterAll(() => h.close());
  beforeEach(() => h.mock.reset());

  test("Cache-Control: no-cache skips the read, calls the upstream, and stores the fresh answer for the next plain request", async () => {
    const body = chatBody("no-cache: name the capital of Peru");
    const first = await post(h.url, CHAT, body);
    expect(first.status).toBe(200);
    expect(cacheStatus(first)).toBe("ai-response-cache; fwd=uri-miss; fwd-status=200; stored");
    const firstJson = await first.json();

    const fresh = await post(h.url, CHAT, body, { "cache-control": "no-cache" });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get("x-cache")).toBe("MISS");
    expect(cacheStatus(fresh)).toBe("ai-response-cache; fwd=request; fwd-status=200; stored");
    const freshJson = await fresh.json();
    expect(h.mock.count("/chat/completions")).toBe(2);
    expect(freshJson.id).not.toBe(firstJson.id);

    const plain = await post(h.url, CHAT, body);
    expect(plain.headers.get("x-cache")).toBe("HIT");
    expect(cacheStatus(plain)).toBe("ai-response-cache; hit");
    expect((await plain.json()).id).toBe(freshJson.id);
    expect(h.mock.count("/chat/completions")).toBe(2);
  });

  test("Pragma: no-cache (HTTP/1.0) skips the read like Cache-Control: no-cache", async () => {
    const body = chatBody("pragma: name the capital of Chile");
    await (await post(h.url, CHAT, body)).arrayBuffer();
    const fresh = await post(h.url, CHAT, body, { pragma: "no-cache" });
    expect(cacheStatus(fresh)).toBe("ai-response-cache; fwd=request; fwd-status=200; stored");
    await fresh.arrayBuffer();
    expect(h.mock.count("/chat/completions")).toBe(2);
  });

  test("Cache-Control: no-store answers from the upstream without storing (detail=no-store)", async () => {
    const body = chatBody("no-store: name the capital of Kenya");
    const unstored = await post(h.url, CHAT, body, { "cache-control": "no-store" });
    expect(unstored.status).toBe(200);
    expect(unstored.headers.get("x-cache")).toBe("MISS");
    expect(cacheStatus(unstored)).toBe("ai-response-cache; fwd=uri-miss; fwd-status=200; detail=no-store");
    expect((await unstored.json()).choices[0].finish_reason).toBe("stop");
    const key = unstored.headers.get("x-cache-key")!;
    expect((await entryOf(h.t, key)).status).toBe(404);

    const next = await post(h.url, CHAT, body);
    expect(next.headers.get("x-cache")).toBe("MISS");
    expect(cacheStatus(next)).toBe("ai-response-cache; fwd=uri-miss; fwd-status=200; stored");
    await next.arrayBuffer();
    expect(h.mock.count("/chat/completions")).toBe(2);
    expect(next.headers.get("x-cache-key")).toBe(key);
  });

  test("Cache-Control: no-store on a streamed request: the stream is whole and nothing is stored", async () => {
    const body = chatBody("no-store stream: name the capital of Ghana", { stream: true });
    const streamed = await post(h.url, CHAT, body, { "cache-control": "no-store" });
    expect(streamed.status).toBe(200);
    const text = await streamed.text();
    expect(text).toEndWith("data: [DONE]\n\n");
    const only = await post(h.url, CHAT, body, { "cache-control": "only-if-cached" });
    expect(only.status).toBe(504);
    await only.arrayBuffer();
  });

  test("Cache-Control: max-age=N accepts an entry at most N seconds old and refuses an older one (fwd=request)", async () => {
    const body = chatBody("max-age: name the capital of Nepal");
    const first = await post(h.url, CHAT, body);
    const firstJson = await first.json();

    // A generous max-age accepts the entry; polling it until its Age reaches 1 s also ages it.
    await waitFor(
      async () => {
        const accepted = await post(h.url, CHAT, body, { "cache-control": "max-age=3600" });
        expect(accepted.headers.get("x-cache")).toBe("HIT");
        expect((await accepted.json()).id).toBe(firstJson.id);
        return Number(accepted.headers.get("age")) >= 1;
      },
      { intervalMs: 100, what: "the entry's Age to reach 1 s" },
    );
    expect(h.mock.count("/chat/completions")).toBe(1);

    const refused = await post(h.url, CHAT, body, { "cache-control": "max-age=0" });
    expect(refused.status).toBe(200);
    expect(refused.headers.get("x-cache")).toBe("MISS");
    expect(cacheStatus(refused)).toBe("ai-response-cache; fwd=request; fwd-status=200; stored");
    const refreshed = await refused.json();
    expect(refreshed.id).not.toBe(firstJson.id);
    expect(h.mock.count("/chat/completions")).toBe(2);

    // The refreshed answer replaced the old one.
    const plain = await post(h.url, CHAT, body);
    expect(plain.headers.get("x-cache")).toBe("HIT");
    expect((await plain.json()).id).toBe(refreshed.id);
  });

  test("Cache-Control: only-if-cached answers 504 on a miss in the upstream's format without calling it, and serves a hit", async () => {
    const body = chatBody("only-if-cached: name the capital of Laos");
    const miss = await post(h.url, CHAT, body, { "cache-control": "only-if-cached" });
    expect(miss.status).toBe(504);
    expect(miss.headers.get("x-cache")).toBe("MISS");
    expect(cacheStatus(miss)).toContain("detail=only-if-cached");
    expect(miss.headers.get("content-type")).toStartWith("application/json");
    const error = expectOpenAiError(await miss.json());
    expect(error.message).toContain("only-if-cached");

    const anthropicMiss = await post(h.url, MESSAGES, messagesBody("only-if-cached: name the capital of Laos"), { "cache-control": "only-if-cached" });
    expect(anthropicMiss.status).toBe(504);
    expectAnthropicError(await anthropicMiss.json());

    // The SDK raises its usual error, and is told not to retry.
    const sdkError = await thrown(() => h.openai().chat.completions.create(body as never, { headers: { "cache-control": "only-if-cached" } }));
    expect(sdkError).toBeInstanceOf(OpenAI.APIError);
    expect((sdkError as InstanceType<typeof OpenAI.APIError>).status).toBe(504);
    expect(h.mock.calls).toEqual([]);
    // x-should-retry: false keeps an SDK that retries from asking again.
    const missesBefore = metric(await metricsText(h.t), "ai_cache_proxy_requests_total", { endpoint: "openai.chat.completions", result: "miss" });
    const retrying = h.openai(ALICE, { maxRetries: 2 });
    expect(await thrown(() => retrying.chat.completions.create(body as never, { headers: { "cache-control": "only-if-cached" } }))).toBeInstanceOf(OpenAI.APIError);
    expect(metric(await metricsText(h.t), "ai_cache_proxy_requests_total", { endpoint: "openai.chat.completions", result: "miss" }) - missesBefore).toBe(1);

    const stored = await post(h.url, CHAT, body);
    const storedJson = await stored.json();
    const hit = await post(h.url, CHAT, body, { "cache-control": "only-if-cached" });
    expect(hit.status).toBe(200);
    expect(hit.headers.get("x-cache")).toBe("HIT");
    expect(await hit.json()).toEqual(storedJson);
    expect(h.mock.count()).toBe(1);
  });

  test("X-Cache-TTL: 1 stores the answer for one second: its TTL says so, and it then misses", async () => {
    const body = chatBody("ttl: name the capital of Fiji");
    const stored = await post(h.url, CHAT, body, { "x-cache-ttl": "1" });
    expect(cacheStatus(stored)).toBe("ai-response-cache; fwd=uri-miss; fwd-status=200; stored");
    await stored.arrayBuffer();
    const entry = await (await entryOf(h.t, stored.headers.get("x-cache-key")!)).json();
    expect(entry.ttl_seconds).toBeGreaterThan(0);
    expect(entry.ttl_seconds).toBeLessThanOrEqual(1);

    // A default-TTL entry for comparison lives far longer.
    const other = await post(h.url, CHAT, chatBody("ttl: name the capital of Samoa"));
    await other.arrayBuffer();
    const otherEntry = await (await entryOf(h.t, other.headers.get("x-cache-key")!)).json();
    expect(otherEntry.ttl_seconds).toBeGreaterThan(60);

    // only-if-cached polls without calling the upstream: 200 while the entry lives, 504 after.
    await waitFor(
      async () => {
        const probe = await post(h.url, CHAT, body, { "cache-control": "only-if-cached" });
        await probe.arrayBuffer();
        return probe.status === 504;
      },
      { intervalMs: 100, what: "the 1-second entry to expire" },
    );
    expect(h.mock.count("/chat/completions")).toBe(2);
    const after = await post(h.url, CHAT, body);
    expect(after.headers.get("x-cache")).toBe("MISS");
    await after.arrayBuffer();
    expect(h.mock.count("/chat/completions")).toBe(3);
  });

  test("X-Cache-Namespace: namespaces never meet; the same namespace hits", async () => {
    const body = chatBody("namespace: name the capital of Peru twice");
    const a = await post(h.url, CHAT, body, { "x-cache-namespace": "team-a" });
    const aJson = await a.json();
    const b = await post(h.url, CHAT, body, { "x-cache-namespace": "team-b" });
    const bJson = await b.json();
    expect(a.headers.get("x-cache")).toBe("MISS");
    expect(b.headers.get("x-cache")).toBe("MISS");
    expect(h.mock.count("/chat/completions")).toBe(2);
    expect(aJson.id).not.toBe(bJson.id);
    expect(a.headers.get("x-cache-key")).not.toBe(b.headers.get("x-cache-key"));

    const again = await post(h.url, CHAT, body, { "x-cache-namespace": "team-a" });
    expect(again.headers.get("x-cache")).toBe("HIT");
    expect((await again.json()).id).toBe(aJson.id);
    const none = await post(h.url, CHAT, body);
    expect(none.headers.get("x-cache")).toBe("MISS");
    await none.arrayBuffer();
    expect(h.mock.count("/chat/completions")).toBe(3);
  });

  test("DELETE /cache/entries/{X-Cache-Key} drops the entry: the next request misses", async () => {
    const body = chatBody("delete: name the capital of Chad");
    const first = await post(h.url, CHAT, body);
    await first.arrayBuffer();
    const key = first.headers.get("x-cache-key")!;
    const deleted = await h.t.request(`/cache/entries/${encodeURIComponent(key)}`, { method: "DELETE" });
    expect(deleted.status).toBe(200);
    expect((await deleted.json()).deleted).toBe(true);
    const next = await post(h.url, CHAT, body);
    expect(next.headers.get("x-cache")).toBe("MISS");
    await next.arrayBuffer();
    expect(h.mock.count("/chat/completions")).toBe(2);
  });

  test("no control header (nor x-cache-api-key) reaches the upstream; other headers do", async () => {
    const controls = {
      "cache-control": "no-cache, max-age=60",
      pragma: "no-cache",
      "x-cache-ttl": "60",
      "x-cache-namespace": "forwarding-check",
      "x-cache-tags": "doc:1,doc:2",
      "x-cache-mode": "read_write",
      "x-cache-api-key": "not-for-the-upstream",
      "x-custom-kept": "kept-value",
    };
    const chat = await post(h.url, CHAT, chatBody("forwarding: name the capital of Oman"), controls);
    expect(chat.status).toBe(200);
    await chat.arrayBuffer();
    const streamed = await post(h.url, CHAT, chatBody("forwarding: stream the capital of Oman", { stream: true }), controls);
    await streamed.text();
    const message = await post(h.url, MESSAGES, messagesBody("forwarding: name the capital of Oman"), controls);
    expect(message.status).toBe(200);
    await message.arrayBuffer();
    expect(h.mock.calls.length).toBe(3);
    for (const call of h.mock.calls) {
      for (const name of CONTROL_HEADER_NAMES) expect(call.headers[name]).toBeUndefined();
      expect(call.headers["x-custom-kept"]).toBe("kept-value");
    }
    expect(h.mock.calls[0]!.headers.authorization).toBe(`Bearer ${ALICE}`);
    expect(h.mock.calls[2]!.headers["x-api-key"]).toBe(ALICE);
  });

  const BAD_VALUES: [header: string, value: string, named: string][] = [
    ["cache-control", "max-age=abc", "Cache-Control"],
    ["x-cache-ttl", "0", "X-Cache-TTL"],
    ["x-cache-namespace", "bad name!", "X-Cache-Namespace"],
    ["x-cache-namespace", "team:a", "X-Cache-Namespace"],
    ["x-cache-tags", "doc 1", "X-Cache-Tags"],
    ["x-cache-tags", Array.from({ length: 17 }, (_, i) => `t${i}`).join(","), "X-Cache-Tags"],
    ["x-cache-mode", "sometimes", "X-Cache-Mode"],
  ];

  for (const [header, value, named] of BAD_VALUES) {
    test(`${named}: ${value} is refused with a 400 naming the header, in each upstream's format, without calling it`, async () => {
      const openai = await post(h.url, CHAT, chatBody(`bad header ${header}`), { [header]: value });
      expect(openai.status).toBe(400);
      const openaiError = expectOpenAiError(await openai.json());
      expect(openaiError.type).toBe("invalid_request_error");
      expect(openaiError.message).toContain(named);

      const anthropic = await post(h.url, MESSAGES, messagesBody(`bad header ${header}`), { [header]: value });
      expect(anthropic.status).toBe(400);
      const anthropicError = expectAnthropicError(await anthropic.json());
      expect(anthropicError.type).toBe("invalid_request_error");
      expect(anthropicError.message).toContain(named);

      const sdkError = await thrown(() => h.openai().embeddings.create({ model: "text-embedding-3-small", input: `bad header ${header}` }, { headers: { [header]: value } }));
      expect(sdkError).toBeInstanceOf(OpenAI.BadRequestError);
      expect((sdkError as Error).message).toContain(named);
      const anthropicSdkError = await thrown(() =>
        h.anthropic().messages.create({ model: "claude-proxy-test", max_tokens: 32, messages: [{ role: "user", content: `bad header ${header}` }] }, { headers: { [header]: value } }),
      );
      expect(anthropicSdkError).toBeInstanceOf(Anthropic.BadRequestError);
      expect((anthropicSdkError as Error).message).toContain(named);
      expect(h.mock.calls).toEqual([]);
    });
  }
});

describe("coalescing identical concurrent requests", () => {
  let relay: Relay;
  let h: ProxyHarness;
  beforeAll(async () => {
    relay = await startRelay();
    h = await startProxy({ proxyOpenaiUrl: `${relay.url}/v1`, proxyAnthropicUrl: relay.url });
    relay.retarget(h.mock.url);
  });
  afterAll(async () => {
    relay.release();
    await h.close();
    await relay.close();
  });
  beforeEach(() => {
    relay.release();
    h.mock.reset();
  });

  const collapsed = async (endpoint = "openai.chat.completions"): Promise<number> => metric(await metricsText(h.t), "ai_cache_proxy_collapsed_total", { endpoint });

  test("10 identical non-streamed requests: one upstream call, 10 identical answers, 9 collapsed, counted by the metric", async () => {
    const body = chatBody("coalesce: ten identical questions at once");
    const before = await collapsed();
    // The upstream's answer is held until all ten are waiting for it.
    relay.holdAfter("");
    const pending = Array.from({ length: 10 }, () => post(h.url, CHAT, body));
    await waitFor(async () => (await collapsed()) - before === 9, { what: "nine requests joining the first" });
    // The first request may still be on its way to the upstream (a fresh relay connection).
    await waitFor(() => h.mock.count("/chat/completions") === 1, { what: "the one upstream call" });
    relay.release();
    const responses = await Promise.all(pending);
    const texts = await Promise.all(responses.map((response) => response.text()));
    expect(responses.map((response) => response.status)).toEqual(new Array(10).fill(200));
    expect(new Set(texts).size).toBe(1);
    expect(JSON.parse(texts[0]!).choices[0].message.content).toContain("Mock reply");
    const statuses = responses.map(cacheStatus);
    expect(statuses.filter((status) => status.includes("collapsed")).length).toBe(9);
    for (const status of statuses) expect(status).toStartWith("ai-response-cache; fwd=uri-miss; fwd-status=200");
    expect(statuses.filter((status) => status.endsWith("; stored")).length).toBe(10);
    expect(new Set(responses.map((response) => response.headers.get("x-cache-key"))).size).toBe(1);
    expect(h.mock.count("/chat/completions")).toBe(1);
    expect((await collapsed()) - before).toBe(9);

    const hit = await post(h.url, CHAT, body);
    expect(hit.headers.get("x-cache")).toBe("HIT");
    expect(await hit.text()).toBe(texts[0]!);
  });

  test("10 identical streamed SDK requests, 9 joining mid-stream: one upstream call, each SDK parses the whole stream", async () => {
    const prompt = "coalesce: stream one answer to ten clients";
    const params: OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming = {
      model: "gpt-4o-mini",
      temperature: 0,
      messages: [{ role: "user", content: prompt }],
      stream: true,
      stream_options: { include_usage: true },
    };
    // Events a little apart, so the relay sees them one by one.
    const options = { headers: { "x-mock-chunk-delay-ms": "10" } };
    const before = await collapsed();
    const consume = async (stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>, first: OpenAI.Chat.Completions.ChatCompletionChunk[] = []) => {
      const chunks = [...first];
      for await (const chunk of stream) chunks.push(chunk);
      return { ids: new Set(chunks.map((chunk) => chunk.id)), content: chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? "").join(""), finish: chunks.map((chunk) => chunk.choices[0]?.finish_reason).find(Boolean), usage: chunks.at(-1)?.usage };
    };

    // The upstream's first event reaches the leader; the rest is held until the followers have joined.
    relay.holdAfter("data: ");
    const leader = await h.openai().chat.completions.create(params, options).withResponse();
    expect(cacheStatus(leader.response)).toBe("ai-response-cache; fwd=uri-miss; fwd-status=200");
    const leaderIterator = leader.data[Symbol.asyncIterator]();
    const firstChunk = await leaderIterator.next();
    expect(firstChunk.done).toBe(false);
    const leaderDone = consume({ [Symbol.asyncIterator]: () => leaderIterator }, [firstChunk.value as OpenAI.Chat.Completions.ChatCompletionChunk]);

    const followers = await Promise.all(Array.from({ length: 9 }, () => h.openai().chat.completions.create(params, options).withResponse()));
    expect((await collapsed()) - before).toBe(9);
    // They joined mid-stream: the proxy had the first event and not the end.
    expect(relay.forwardedSinceHold(prompt)).toContain("data: {");
    expect(relay.forwardedSinceHold(prompt)).not.toContain("[DONE]");
    for (const follower of followers) expect(cacheStatus(follower.response)).toBe("ai-response-cache; fwd=uri-miss; fwd-status=200; collapsed");
    const followersDone = followers.map((follower) => consume(follower.data));
    relay.release();

    const results = await Promise.all([leaderDone, ...followersDone]);
    const leaderResult = results[0]!;
    expect(leaderResult.ids.size).toBe(1);
    expect(leaderResult.content).toContain("Mock reply");
    expect(leaderResult.finish).toBe("stop");
    expect(leaderResult.usage?.prompt_tokens).toBeGreaterThan(0);
    for (const result of results) expect(result).toEqual(leaderResult);
    expect(h.mock.count("/chat/completions")).toBe(1);

    // Stored once complete: the next request replays it.
    const key = leader.response.headers.get("x-cache-key")!;
    // Storing takes microseconds once the stream ended; a short deadline keeps a failure quick.
    await waitFor(async () => (await entryOf(h.t, key)).status === 200, { what: "the streamed answer stored", timeoutMs: 5000 });
    const replay = await consume(await h.openai().chat.completions.create(params));
    expect(replay).toEqual(leaderResult);
    expect(h.mock.count("/chat/completions")).toBe(1);
  });

  test("the leader's client going away mid-stream does not break its followers; the answer is stored", async () => {
    const body = chatBody("coalesce: the leader hangs up mid-stream", { stream: true });
    const before = await collapsed();
    relay.holdAfter("data: ");
    const hangUp = new AbortController();
    const leader = await post(h.url, CHAT, body, { "x-mock-chunk-delay-ms": "10" }, { signal: hangUp.signal });
    const leaderText = await readUntil(leader.body!.getReader(), (text) => text.includes("\n\n"));
    expect(leaderText).toStartWith("data: ");

    const followers = await Promise.all(Array.from({ length: 3 }, () => post(h.url, CHAT, body)));
    expect((await collapsed()) - before).toBe(3);
    expect(relay.forwardedSinceHold("the leader hangs up")).not.toContain("[DONE]");
    hangUp.abort();
    // The sidecar has seen the leader go: only the followers' requests remain.
    await waitFor(() => h.running.inFlight() === 3, { what: "the leader's request to end" });
    expect(relay.find("the leader hangs up")?.closed).toBe(false);
    relay.release();

    const texts = await Promise.all(followers.map(async (follower) => readAll(follower.body!.getReader())));
    for (const { text, clean } of texts) {
      expect(clean).toBe(true);
      expect(text).toEndWith("data: [DONE]\n\n");
      expect(text).toStartWith(leaderText);
      expect(text).toBe(texts[0]!.text);
    }
    const key = leader.headers.get("x-cache-key")!;
    await waitFor(async () => (await entryOf(h.t, key)).status === 200, { what: "the answer stored" });
    const hit = await post(h.url, CHAT, body);
    expect(hit.headers.get("x-cache")).toBe("HIT");
    expect(await hit.text()).toBe(texts[0]!.text);
    expect(h.mock.count("/chat/completions")).toBe(1);
  });

  test("a stream whose only client stops reading right after data: [DONE] (as the OpenAI SDK does) is still stored", async () => {
    // The OpenAI SDK stops at [DONE] and cancels the body; the upstream's end of body may come
    // a moment later. The relay holds that end until the sidecar has seen the client go.
    const body = chatBody("stop at done: the client cancels after the sentinel", { stream: true });
    relay.holdAfter("data: [DONE]");
    const response = await post(h.url, CHAT, body, { "x-mock-chunk-delay-ms": "10" });
    const reader = response.body!.getReader();
    const text = await readUntil(reader, (sofar) => sofar.includes("data: [DONE]\n\n"));
    await reader.cancel();
    await waitFor(() => h.running.inFlight() === 0, { what: "the request to end" });
    relay.release();
    const key = response.headers.get("x-cache-key")!;
    await waitFor(async () => (await entryOf(h.t, key)).status === 200, { what: "the complete stream stored", timeoutMs: 5000 });
    const hit = await post(h.url, CHAT, body);
    expect(hit.headers.get("x-cache")).toBe("HIT");
    expect(await hit.text()).toBe(text);
    expect(h.mock.count("/chat/completions")).toBe(1);
  });

  test("the leader's client going away before a non-streamed answer does not break its followers", async () => {
    const body = chatBody("coalesce: the leader hangs up before the answer");
    const before = await collapsed();
    relay.holdAfter("");
    const hangUp = new AbortController();
    const leader = post(h.url, CHAT, body, {}, { signal: hangUp.signal }).catch((error: unknown) => error);
    await waitFor(() => h.mock.count("/chat/completions") === 1, { what: "the upstream call" });
    const followers = Array.from({ length: 3 }, () => post(h.url, CHAT, body));
    await waitFor(async () => (await collapsed()) - before === 3, { what: "three followers" });
    hangUp.abort();
    expect(await leader).toBeInstanceOf(Error);
    await waitFor(() => h.running.inFlight() === 3, { what: "the leader's request to end" });
    relay.release();

    const responses = await Promise.all(followers);
    const texts = await Promise.all(responses.map((response) => response.text()));
    for (const response of responses) {
      expect(response.status).toBe(200);
      expect(cacheStatus(response)).toBe("ai-response-cache; fwd=uri-miss; fwd-status=200; collapsed; stored");
    }
    expect(new Set(texts).size).toBe(1);
    const hit = await post(h.url, CHAT, body);
    expect(hit.headers.get("x-cache")).toBe("HIT");
    expect(await hit.text()).toBe(texts[0]!);
    expect(h.mock.count("/chat/completions")).toBe(1);
  });

  test("every client of a stream going away aborts the upstream call, and nothing is stored", async () => {
    const prompt = "coalesce: everybody hangs up mid-stream";
    const body = chatBody(prompt, { stream: true });
    const before = await collapsed();
    relay.holdAfter("data: ");
    const controllers = [new AbortController(), new AbortController()];
    const first = await post(h.url, CHAT, body, { "x-mock-chunk-delay-ms": "10" }, { signal: controllers[0]!.signal });
    await readUntil(first.body!.getReader(), (text) => text.includes("\n\n"));
    const second = await post(h.url, CHAT, body, {}, { signal: controllers[1]!.signal });
    await readUntil(second.body!.getReader(), (text) => text.includes("\n\n"));
    expect((await collapsed()) - before).toBe(1);
    const connection = relay.find(prompt)!;
    expect(connection.closed).toBe(false);

    for (const controller of controllers) controller.abort();
    await waitFor(() => connection.closedByProxy, { what: "the proxy to close the upstream connection" });
    relay.release();

    const key = first.headers.get("x-cache-key")!;
    expect((await entryOf(h.t, key)).status).toBe(404);
    const only = await post(h.url, CHAT, body, { "cache-control": "only-if-cached" });
    expect(only.status).toBe(504);
    await only.arrayBuffer();
    // The next request starts a new upstream call instead of joining the abandoned one.
    const next = await post(h.url, CHAT, body);
    expect(cacheStatus(next)).toBe("ai-response-cache; fwd=uri-miss; fwd-status=200");
    const { text, clean } = await readAll(next.body!.getReader());
    expect(clean).toBe(true);
    expect(text).toEndWith("data: [DONE]\n\n");
    expect(h.mock.count("/chat/completions")).toBe(2);
  });

  test("every client of a non-streamed request going away aborts the upstream call, and nothing is stored", async () => {
    const prompt = "coalesce: everybody hangs up before the answer";
    const body = chatBody(prompt);
    const before = await collapsed();
    relay.holdAfter("");
    const controllers = [new AbortController(), new AbortController()];
    const pending = controllers.map((controller) => post(h.url, CHAT, body, {}, { signal: controller.signal }).catch((error: unknown) => error));
    await waitFor(async () => (await collapsed()) - before === 1, { what: "the second request joining the first" });
    const connection = relay.find(prompt)!;
    for (const controller of controllers) controller.abort();
    for (const outcome of await Promise.all(pending)) expect(outcome).toBeInstanceOf(Error);
    await waitFor(() => connection.closedByProxy, { what: "the proxy to close the upstream connection" });
    relay.release();

    const only = await post(h.url, CHAT, body, { "cache-control": "only-if-cached" });
    expect(only.status).toBe(504);
    await only.arrayBuffer();
    const next = await post(h.url, CHAT, body);
    expect(cacheStatus(next)).toBe("ai-response-cache; fwd=uri-miss; fwd-status=200; stored");
    await next.arrayBuffer();
    expect(h.mock.count("/chat/completions")).toBe(2);
  });

  test("identical requests from different tenants never coalesce", async () => {
    const body = chatBody("coalesce: two tenants ask the same thing");
    const before = await collapsed();
    relay.holdAfter("");
    const alice = post(h.url, CHAT, body, { authorization: `Bearer ${ALICE}` });
    const bob = post(h.url, CHAT, body, { authorization: `Bearer ${BOB}` });
    // Both reach the upstream while neither has an answer.
    await waitFor(() => h.mock.count("/chat/completions") === 2, { what: "two upstream calls" });
    relay.release();
    const [aliceResponse, bobResponse] = await Promise.all([alice, bob]);
    expect(cacheStatus(aliceResponse)).not.toContain("collapsed");
    expect(cacheStatus(bobResponse)).not.toContain("collapsed");
    expect((await aliceResponse.json()).id).not.toBe((await bobResponse.json()).id);
    expect(aliceResponse.headers.get("x-cache-key")).not.toBe(bobResponse.headers.get("x-cache-key"));
    expect(h.mock.calls.map((call) => call.headers.authorization).sort()).toEqual([`Bearer ${ALICE}`, `Bearer ${BOB}`]);
    expect((await collapsed()) - before).toBe(0);
  });

  test("Anthropic messages coalesce too, with the SDK", async () => {
    const before = await collapsed("anthropic.messages");
    relay.holdAfter("");
    const params = { model: "claude-proxy-test", max_tokens: 64, temperature: 0, messages: [{ role: "user" as const, content: "coalesce: three Anthropic clients" }] };
    const pending = Array.from({ length: 3 }, () => h.anthropic().messages.create(params).withResponse());
    await waitFor(async () => (await collapsed("anthropic.messages")) - before === 2, { what: "two followers" });
    relay.release();
    const results = await Promise.all(pending);
    for (const result of results) expect(result.data).toEqual(results[0]!.data);
    expect(results.filter((result) => cacheStatus(result.response).includes("collapsed")).length).toBe(2);
    expect(h.mock.count("/v1/messages")).toBe(1);
  });
});

describe("PROXY_SAMPLED_REQUESTS=bypass", () => {
  let h: ProxyHarness;
  beforeAll(async () => {
    h = await startProxy({ proxySampledRequests: "bypass" });
  });
  afterAll(() => h.close());
  beforeEach(() => h.mock.reset());

  const BYPASSED = "ai-response-cache; fwd=bypass; fwd-status=200; detail=sampled";

  test("temperature 0.7: every request reaches the upstream (X-Cache: BYPASS, detail=sampled)", async () => {
    const body = chatBody("sampled: write a haiku about caches", { temperature: 0.7 });
    for (let i = 0; i < 2; i++) {
      const response = await post(h.url, CHAT, body);
      expect(response.status).toBe(200);
      expect(response.headers.get("x-cache")).toBe("BYPASS");
      expect(cacheStatus(response)).toBe(BYPASSED);
      expect(response.headers.get("x-cache-key")).toBeNull();
      await response.arrayBuffer();
    }
    expect(h.mock.count("/chat/completions")).toBe(2);
  });

  test("no temperature (the providers' default is 1) is sampled too, streamed or not, OpenAI and Anthropic", async () => {
    const { temperature: _unused, ...unset } = chatBody("sampled: no temperature given");
    for (let i = 0; i < 2; i++) {
      const response = await post(h.url, CHAT, unset);
      expect(cacheStatus(response)).toBe(BYPASSED);
      await response.arrayBuffer();
    }
    const { data: stream, response } = await h.openai().chat.completions.create({ ...(unset as { model: string; messages: [] }), stream: true }).withResponse();
    expect(response.headers.get("x-cache")).toBe("BYPASS");
    let content = "";
    for await (const chunk of stream) content += chunk.choices[0]?.delta?.content ?? "";
    expect(content).toContain("Mock reply");
    const { temperature: _also, ...anthropicUnset } = messagesBody("sampled: no temperature for Claude");
    for (let i = 0; i < 2; i++) {
      const message = await post(h.url, MESSAGES, anthropicUnset);
      expect(message.status).toBe(200);
      expect(cacheStatus(message)).toBe(BYPASSED);
      await message.arrayBuffer();
    }
    expect(h.mock.count("/chat/completions")).toBe(3);
    expect(h.mock.count("/v1/messages")).toBe(2);
  });

  test("temperature 0 is cached", async () => {
    const body = chatBody("sampled: temperature zero is deterministic");
    const first = await post(h.url, CHAT, body);
    expect(first.headers.get("x-cache")).toBe("MISS");
    const firstText = await first.text();
    const second = await post(h.url, CHAT, body);
    expect(second.headers.get("x-cache")).toBe("HIT");
    expect(await second.text()).toBe(firstText);
    expect(h.mock.count("/chat/completions")).toBe(1);
  });

  test("embeddings never sample: cached", async () => {
    const client = h.openai();
    const first = await client.embeddings.create({ model: "text-embedding-3-small", input: "sampled: embed this sentence" }).withResponse();
    expect(first.response.headers.get("x-cache")).toBe("MISS");
    const second = await client.embeddings.create({ model: "text-embedding-3-small", input: "sampled: embed this sentence" }).withResponse();
    expect(second.response.headers.get("x-cache")).toBe("HIT");
    expect(second.data).toEqual(first.data);
    expect(h.mock.count(EMBEDDINGS.slice(3))).toBe(1);
  });

  test("a bypassed request forwards no control header either", async () => {
    const response = await post(h.url, CHAT, chatBody("sampled: controls on a bypass", { temperature: 0.9 }), {
      "cache-control": "no-store",
      "x-cache-ttl": "30",
      "x-cache-namespace": "bypass-ns",
      "x-cache-api-key": "not-for-the-upstream",
    });
    expect(cacheStatus(response)).toBe(BYPASSED);
    await response.arrayBuffer();
    for (const name of CONTROL_HEADER_NAMES) expect(h.mock.calls[0]!.headers[name]).toBeUndefined();
  });
});

describe("passthrough of everything that is not cached", () => {
  let relay: Relay;
  let h: ProxyHarness;
  beforeAll(async () => {
    relay = await startRelay();
    h = await startProxy({ proxyOpenaiUrl: `${relay.url}/v1`, proxyAnthropicUrl: relay.url });
    relay.retarget(h.mock.url);
  });
  afterAll(async () => {
    relay.release();
    await h.close();
    await relay.close();
  });
  beforeEach(() => {
    relay.release();
    h.mock.reset();
  });

  /** Headers that describe one hop or one exchange (the serial the mock stamps on each answer). */
  const PER_HOP = new Set(["host", "connection", "keep-alive", "transfer-encoding", "content-length", "date", "x-mock-serial", "x-request-id"]);
  const comparable = (headers: Headers | Record<string, string>): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [name, value] of headers instanceof Headers ? headers : Object.entries(headers)) if (!PER_HOP.has(name.toLowerCase())) out[name.toLowerCase()] = value;
    return out;
  };

  test("GET /v1/models and /v1/models/{id} come back unchanged, through the SDK too", async () => {
    const init = { headers: { authorization: `Bearer ${ALICE}` } };
    for (const path of ["/v1/models", "/v1/models/gpt-4o", "/v1/models/missing-model"]) {
      const direct = await fetch(`${h.mock.url}${path}`, init);
      const proxied = await fetch(`${h.url}${path}`, init);
      expect(proxied.status).toBe(direct.status);
      expect(await proxied.text()).toBe(await direct.text());
      expect(comparable(proxied.headers)).toEqual(comparable(direct.headers));
      expect(proxied.headers.get("cache-status")).toBeNull();
      expect(proxied.headers.get("x-cache")).toBeNull();
    }
    const client = h.openai();
    const models = [];
    for await (const model of client.models.list()) models.push(model.id);
    expect(models).toContain("gpt-4o-mini");
    expect((await client.models.retrieve("gpt-4o")).id).toBe("gpt-4o");
    expect(await thrown(() => client.models.retrieve("missing-model"))).toBeInstanceOf(OpenAI.NotFoundError);
  });

  for (const method of ["PUT", "PATCH", "DELETE", "GET"]) {
    test(`${method} /v1/__echo/some/path?x=1&y=2: method, path, query, headers and body reach the upstream exactly; the answer comes back unchanged`, async () => {
      const path = "/v1/__echo/some/path?x=1&y=2";
      const body = method === "GET" ? undefined : `{"raw": "body for ${method}", "spaces":   [1, 2]}`;
      const headers = {
        authorization: `Bearer ${ALICE}`,
        "content-type": "application/json",
        "x-custom-header": `custom ${method}`,
        "openai-beta": "assistants=v2",
      };
      const direct = await fetch(`${h.mock.url}${path}`, { method, headers, body });
      const directText = await direct.text();
      const proxied = await fetch(`${h.url}${path}`, { method, headers: { ...headers, "x-cache-api-key": "for-the-sidecar-only" }, body });
      const proxiedText = await proxied.text();

      expect(proxied.status).toBe(200);
      expect(proxied.headers.get("cache-status")).toBeNull();
      expect(proxied.headers.get("x-cache")).toBeNull();
      expect(comparable(proxied.headers)).toEqual(comparable(direct.headers));
      expect(proxied.headers.get("x-mock-serial")).toMatch(/^\d+$/);

      const received = JSON.parse(proxiedText);
      const sent = JSON.parse(directText);
      expect(received.method).toBe(method);
      expect(received.path).toBe("/v1/__echo/some/path");
      expect(received.query).toBe("x=1&y=2");
      expect(received.body).toBe(body ?? "");
      expect(received.headers["x-cache-api-key"]).toBeUndefined();
      expect(comparable(received.headers)).toEqual(comparable(sent.headers));
      // The answer's bytes are the upstream's: the JSON the mock wrote, key order and all.
      expect(proxiedText).toBe(JSON.stringify(received));
    });
  }

  test("a multipart file upload through the SDK reaches the upstream whole", async () => {
    const content = Buffer.from(Array.from({ length: 300 }, (_, i) => `{"prompt": "line ${i}", "completion": "ok"}\n`).join(""));
    const { data, response } = await h.openai().files.create({ file: await toFile(content, "train.jsonl"), purpose: "fine-tune" }).withResponse();
    expect(data).toMatchObject({ object: "file", bytes: content.byteLength, filename: "train.jsonl", purpose: "fine-tune" });
    expect(response.headers.get("x-cache")).toBeNull();
    const call = h.mock.calls[0]!;
    expect(call.method).toBe("POST");
    expect(call.path).toBe("/v1/files");
    expect(call.headers["content-type"]).toStartWith("multipart/form-data; boundary=");
    expect(call.body).toContain(content.toString());
  });

  test("a slowly streamed passthrough answer reaches the client piece by piece, before the upstream has sent the rest", async () => {
    // The relay passes on the upstream's first line and holds the others: the client must
    // read the first line while the proxy cannot yet have the last.
    relay.holdAfter("line 1/5");
    const response = await fetch(`${h.url}/v1/__stream/x?lines=5`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("text/plain");
    const reader = response.body!.getReader();
    const firstPart = await readUntil(reader, (text) => text.includes("\n"));
    expect(firstPart).toMatch(/^line 1\/5 serial \d+\n$/);
    expect(relay.find("/v1/__stream/x")!.forwarded).not.toContain("line 2/5");
    relay.release();
    const { text, clean } = await readAll(reader, firstPart);
    expect(clean).toBe(true);
    expect(text.trimEnd().split("\n").map((line) => line.replace(/ serial \d+$/, ""))).toEqual(["line 1/5", "line 2/5", "line 3/5", "line 4/5", "line 5/5"]);
  });

  test("POST /v1/responses/{id}/cancel and /anthropic/v1/messages/count_tokens pass through, uncached", async () => {
    for (let i = 0; i < 2; i++) {
      const cancelled = await post(h.url, "/v1/responses/resp_abc123/cancel", "");
      expect(cancelled.status).toBe(200);
      expect(cancelled.headers.get("x-cache")).toBeNull();
      expect((await cancelled.json()).status).toBe("cancelled");
    }
    const client = h.anthropic();
    for (let i = 0; i < 2; i++) {
      const { data, response } = await client.messages.countTokens({ model: "claude-proxy-test", messages: [{ role: "user", content: "count these tokens please" }] }).withResponse();
      expect(data.input_tokens).toBeGreaterThan(0);
      expect(response.headers.get("x-cache")).toBeNull();
    }
    expect(h.mock.count("/cancel")).toBe(2);
    expect(h.mock.count("/count_tokens")).toBe(2);
  });
});
