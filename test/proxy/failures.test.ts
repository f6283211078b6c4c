/**
 * The caching proxy when things go wrong (README "Zero-code caching": Failures, Security,
 * Metrics): unreachable, slow and silent upstreams, Redis down, bodies too large or
 * unreadable, upstream errors, the sidecar's own API key, credentials kept out of logs and
 * entries, and the Prometheus series that account for all of it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { waitFor } from "../support/poll.ts";
import { ALICE, BOB, startProxy, type ProxyHarness } from "../support/proxy.ts";
import { freePort, startRedis, type RedisServer } from "../support/redis.ts";
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
  samples,
} from "./wire.ts";
import { thrown } from "../support/thrown.ts";

type OpenAiApiError = InstanceType<typeof OpenAI.APIError>;

const sdkParams = (prompt: string) => ({ model: "gpt-4o-mini", temperature: 0, messages: [{ role: "user" as const, content: prompt }] });

describe("upstream unreachable", () => {
  let h: ProxyHarness;
  beforeAll(async () => {
    const closed = await freePort();
    h = await startProxy({ proxyOpenaiUrl: `http://127.0.0.1:${closed}/v1`, proxyAnthropicUrl: `http://127.0.0.1:${closed}` });
  });
  afterAll(() => h.close());

  test("a cacheable request is answered 502 in OpenAI's format; the SDK raises APIError 502", async () => {
    const body = chatBody("unreachable: anyone there?");
    const response = await post(h.url, CHAT, body);
    expect(response.status).toBe(502);
    expect(cacheStatus(response)).toContain("detail=upstream_unreachable");
    const error = expectOpenAiError(await response.json());
    expect(error.code).toBe("upstream_unreachable");

    const sdkError = await thrown(() => h.openai().chat.completions.create(body as never));
    expect(sdkError).toBeInstanceOf(OpenAI.APIError);
    expect((sdkError as OpenAiApiError).status).toBe(502);
    const streamError = await thrown(() => h.openai().chat.completions.create({ ...sdkParams("unreachable: streamed"), stream: true }));
    expect((streamError as OpenAiApiError).status).toBe(502);

    // A failure is never stored.
    const only = await post(h.url, CHAT, body, { "cache-control": "only-if-cached" });
    expect(only.status).toBe(504);
    await only.arrayBuffer();
    expect(h.t.logger.lines.some((line) => line.includes("upstream call failed"))).toBe(true);
  });

  test("Anthropic, passthrough and bypassed requests get 502 in their upstream's format", async () => {
    const message = await post(h.url, MESSAGES, messagesBody("unreachable: Claude?"));
    expect(message.status).toBe(502);
    expectAnthropicError(await message.json());
    const sdkError = await thrown(() => h.anthropic().messages.create({ model: "claude-proxy-test", max_tokens: 16, messages: [{ role: "user", content: "unreachable: SDK" }] }));
    expect(sdkError).toBeInstanceOf(Anthropic.APIError);
    expect((sdkError as InstanceType<typeof Anthropic.APIError>).status).toBe(502);

    const models = await fetch(`${h.url}/v1/models`, { headers: { authorization: `Bearer ${ALICE}` } });
    expect(models.status).toBe(502);
    expectOpenAiError(await models.json());
    const unparseable = await post(h.url, CHAT, "{not json");
    expect(unparseable.status).toBe(502);
    expect(unparseable.headers.get("x-cache")).toBe("BYPASS");
    expectOpenAiError(await unparseable.json());
  });
});

describe("upstream timeouts (PROXY_TIMEOUT_MS=300, PROXY_IDLE_TIMEOUT_MS=300)", () => {
  let h: ProxyHarness;
  beforeAll(async () => {
    h = await startProxy({ proxyTimeoutMs: 300, proxyIdleTimeoutMs: 300 });
  });
  afterAll(() => h.close());
  beforeEach(() => h.mock.reset());

  const slow = { "x-mock-latency-ms": "2000" };

  test("no response headers in time: 504 in OpenAI's format (SDK APIError 504), and in Anthropic's", async () => {
    const response = await post(h.url, CHAT, chatBody("timeout: a slow upstream"), slow);
    expect(response.status).toBe(504);
    const error = expectOpenAiError(await response.json());
    expect(error.code).toBe("upstream_timeout");
    expect(error.type).toBe("timeout_error");

    const sdkError = await thrown(() => h.openai().chat.completions.create(sdkParams("timeout: SDK"), { headers: slow }));
    expect(sdkError).toBeInstanceOf(OpenAI.APIError);
    expect((sdkError as OpenAiApiError).status).toBe(504);
    const streamError = await thrown(() => h.openai().chat.completions.create({ ...sdkParams("timeout: SDK stream"), stream: true }, { headers: slow }));
    expect((streamError as OpenAiApiError).status).toBe(504);

    const message = await post(h.url, MESSAGES, messagesBody("timeout: a slow Claude"), slow);
    expect(message.status).toBe(504);
    expect(expectAnthropicError(await message.json()).type).toBe("timeout_error");

    const models = await fetch(`${h.url}/v1/models`, { headers: { authorization: `Bearer ${ALICE}`, ...slow } });
    expect(models.status).toBe(504);
    expectOpenAiError(await models.json());
  });

  test("a stream silent for longer than the idle timeout is cut off; the SDK sees it; nothing is stored", async () => {
    const params = { ...sdkParams("idle: a stream that stalls"), stream: true as const };
    const stream = await h.openai().chat.completions.create(params, { headers: { "x-mock-chunk-delay-ms": "2000" } });
    const received: string[] = [];
    const error = await thrown(async () => {
      for await (const chunk of stream) received.push(chunk.id);
    });
    expect(error).toBeInstanceOf(Error);
    expect(received.length).toBeGreaterThanOrEqual(1);

    const raw = await post(h.url, CHAT, chatBody("idle: a raw stream that stalls", { stream: true }), { "x-mock-chunk-delay-ms": "2000" });
    expect(raw.status).toBe(200);
    const { text, clean } = await readAll(raw.body!.getReader());
    expect(clean).toBe(false);
    expect(text).toStartWith("data: ");
    expect(text).not.toContain("[DONE]");

    const only = await post(h.url, CHAT, { ...params }, { "cache-control": "only-if-cached" });
    expect(only.status).toBe(504);
    await only.arrayBuffer();
    // The next request calls the upstream afresh, and this time gets the whole stream.
    const next = await post(h.url, CHAT, params);
    expect(cacheStatus(next)).toBe("ai-response-cache; fwd=uri-miss; fwd-status=200");
    expect(await next.text()).toEndWith("data: [DONE]\n\n");
    expect(h.mock.count("/chat/completions")).toBe(3);
  });

  test("a non-streamed answer silent for longer than the idle timeout is answered 504 (upstream_idle_timeout)", async () => {
    const response = await post(h.url, CHAT, chatBody("idle: half an answer then silence"), { "x-mock-scenario": "stream-drop", "x-mock-chunk-delay-ms": "2000" });
    expect(response.status).toBe(504);
    expect(expectOpenAiError(await response.json()).code).toBe("upstream_idle_timeout");
  });

  test("a passthrough stream that goes silent is cut off after what arrived", async () => {
    const response = await fetch(`${h.url}/v1/__stream/idle?lines=4`, { headers: { "x-mock-chunk-delay-ms": "2000" } });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const first = await readUntil(reader, (text) => text.includes("\n"));
    const { text, clean } = await readAll(reader, first);
    expect(clean).toBe(false);
    expect(text).toMatch(/^line 1\/4 serial \d+\n$/);
  });
});

describe("idle timeout on a bypassed request (PROXY_SAMPLED_REQUESTS=bypass, PROXY_IDLE_TIMEOUT_MS=300)", () => {
  let h: ProxyHarness;
  beforeAll(async () => {
    h = await startProxy({ proxySampledRequests: "bypass", proxyIdleTimeoutMs: 300 });
  });
  afterAll(() => h.close());

  test("a non-streamed sampled answer silent for longer than the idle timeout is answered 504, as any non-streamed answer", async () => {
    // README, Failures: "silent for PROXY_IDLE_TIMEOUT_MS inside a non-streamed answer: 504".
    const response = await post(h.url, CHAT, chatBody("idle bypass: half an answer then silence", { temperature: 0.8 }), {
      "x-mock-scenario": "stream-drop",
      "x-mock-chunk-delay-ms": "2000",
    });
    const { text } = await readAll(response.body!.getReader());
    expect(response.headers.get("x-cache")).toBe("BYPASS");
    expect({ status: response.status, body: text.slice(0, 80) }).toMatchObject({ status: 504 });
    expect(expectOpenAiError(JSON.parse(text)).code).toBe("upstream_idle_timeout");
  });
});

describe("Redis configured but stopped", () => {
  let redis: RedisServer;
  let h: ProxyHarness;
  beforeAll(async () => {
    redis = await startRedis();
    h = await startProxy({ redisUrl: redis.url, redisCommandTimeoutMs: 300, redisConnectTimeoutMs: 1000 });
    await waitFor(() => h.t.cache.redisStatus() === "connected", { what: "connected to Redis" });
  });
  afterAll(async () => {
    await h.close();
    await redis.stop();
  });

  test("misses are answered from the upstream and hits from memory", async () => {
    const before = chatBody("redis down: stored while Redis was up");
    const first = await post(h.url, CHAT, before);
    expect(cacheStatus(first)).toBe("ai-response-cache; fwd=uri-miss; fwd-status=200; stored");
    const firstText = await first.text();
    const key = first.headers.get("x-cache-key")!;
    const client = await redis.client();
    await waitFor(async () => (await client.exists(key)) === 1, { what: "the entry written to Redis" });

    await redis.stop();
    const hit = await post(h.url, CHAT, before);
    expect(hit.headers.get("x-cache")).toBe("HIT");
    expect(await hit.text()).toBe(firstText);

    const after = chatBody("redis down: asked while Redis is down");
    const miss = await post(h.url, CHAT, after);
    expect(miss.status).toBe(200);
    expect(miss.headers.get("x-cache")).toBe("MISS");
    const missText = await miss.text();
    expect(JSON.parse(missText).choices[0].message.content).toContain("Mock reply");
    const missKey = miss.headers.get("x-cache-key")!;
    await waitFor(async () => (await entryOf(h.t, missKey)).status === 200, { what: "the entry stored in memory" });
    const again = await post(h.url, CHAT, after);
    expect(again.headers.get("x-cache")).toBe("HIT");
    expect(await again.text()).toBe(missText);

    const streamed = chatBody("redis down: streamed while Redis is down", { stream: true });
    const streamMiss = await post(h.url, CHAT, streamed);
    const streamText = await streamMiss.text();
    expect(streamText).toEndWith("data: [DONE]\n\n");
    await waitFor(async () => (await entryOf(h.t, streamMiss.headers.get("x-cache-key")!)).status === 200, { what: "the stream stored in memory" });
    const streamHit = await post(h.url, CHAT, streamed);
    expect(streamHit.headers.get("x-cache")).toBe("HIT");
    expect(await streamHit.text()).toBe(streamText);

    const message = messagesBody("redis down: Claude while Redis is down");
    const messageMiss = await post(h.url, MESSAGES, message);
    expect(messageMiss.status).toBe(200);
    const messageText = await messageMiss.text();
    await waitFor(async () => (await entryOf(h.t, messageMiss.headers.get("x-cache-key")!)).status === 200, { what: "the message stored in memory" });
    const messageHit = await post(h.url, MESSAGES, message);
    expect(messageHit.headers.get("x-cache")).toBe("HIT");
    expect(await messageHit.text()).toBe(messageText);
    expect(h.mock.count()).toBe(4);
  });
});

describe("bodies over the limits, or unreadable (MAX_BODY_BYTES=4096, CACHE_MAX_RESPONSE_BYTES=2000)", () => {
  let h: ProxyHarness;
  beforeAll(async () => {
    h = await startProxy({ maxBodyBytes: 4096, maxResponseBytes: 2000 });
  });
  afterAll(() => h.close());
  beforeEach(() => h.mock.reset());

  const big = "x".repeat(5000);

  test("a body over MAX_BODY_BYTES is answered 413 in the upstream's format without calling it", async () => {
    const openai = await post(h.url, CHAT, chatBody(`too large ${big}`));
    expect(openai.status).toBe(413);
    expect(expectOpenAiError(await openai.json()).type).toBe("invalid_request_error");

    const anthropic = await post(h.url, MESSAGES, messagesBody(`too large ${big}`));
    expect(anthropic.status).toBe(413);
    expect(expectAnthropicError(await anthropic.json()).type).toBe("request_too_large");

    // Sent without a length: counted as it arrives.
    const bytes = new TextEncoder().encode(JSON.stringify(chatBody(`too large, chunked ${big}`)));
    const chunked = await fetch(`${h.url}${CHAT}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ALICE}` },
      body: new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 1000) controller.enqueue(bytes.slice(i, i + 1000));
          controller.close();
        },
      }),
    });
    expect(chunked.status).toBe(413);
    expectOpenAiError(await chunked.json());

    const sdkError = await thrown(() => h.openai().embeddings.create({ model: "text-embedding-3-small", input: big }));
    expect(sdkError).toBeInstanceOf(OpenAI.APIError);
    expect((sdkError as OpenAiApiError).status).toBe(413);
    expect(h.mock.calls).toEqual([]);
  });

  test("an unparseable JSON body on a cacheable endpoint is forwarded as it is (bypass) and the upstream's 400 comes back", async () => {
    const raw = '{"model": "gpt-4o-mini", "messages": [';
    const direct = await fetch(`${h.mock.url}${CHAT}`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${ALICE}` }, body: raw });
    const directBody = await direct.json();
    h.mock.reset();
    for (let i = 0; i < 2; i++) {
      const response = await post(h.url, CHAT, raw);
      expect(response.status).toBe(400);
      expect(response.headers.get("x-cache")).toBe("BYPASS");
      expect(cacheStatus(response)).toBe("ai-response-cache; fwd=bypass; fwd-status=400; detail=unparseable_request");
      expect(response.headers.get("x-cache-key")).toBeNull();
      expect(await response.json()).toEqual(directBody);
    }
    expect(h.mock.calls.length).toBe(2);
    for (const call of h.mock.calls) expect(call.body).toBe(raw);

    const message = await post(h.url, MESSAGES, "[1, 2, 3]");
    expect(message.status).toBe(400);
    expect(cacheStatus(message)).toContain("detail=unparseable_request");
    // The mock's own Anthropic error, as it sent it.
    expect(await message.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error", message: "The request body must be a JSON object." } });
    expect(h.mock.calls.at(-1)!.body).toBe("[1, 2, 3]");
  });

  test("an answer over CACHE_MAX_RESPONSE_BYTES is passed on whole and not stored (too_large)", async () => {
    const body = { model: "text-embedding-3-small", input: "limits: a large answer", dimensions: 512 };
    for (let i = 0; i < 2; i++) {
      const response = await post(h.url, EMBEDDINGS, body);
      expect(response.status).toBe(200);
      expect(cacheStatus(response)).toBe("ai-response-cache; fwd=uri-miss; fwd-status=200; detail=too_large");
      const text = await response.text();
      expect(text.length).toBeGreaterThan(2000);
      expect(JSON.parse(text).data[0].embedding.length).toBe(512);
    }
    expect(h.mock.count("/embeddings")).toBe(2);
    expect(metric(await metricsText(h.t), "ai_cache_proxy_not_stored_total", { endpoint: "openai.embeddings", reason: "too_large" })).toBe(2);
  });
});

describe("upstream errors and broken answers", () => {
  let h: ProxyHarness;
  beforeAll(async () => {
    h = await startProxy();
  });
  afterAll(() => h.close());
  beforeEach(() => h.mock.reset());

  test("a 429 passes through exactly, retry-after included, and is never stored", async () => {
    const body = chatBody("errors: rate limited");
    const headers = { "x-mock-scenario": "error-429" };
    const direct = await fetch(`${h.mock.url}${CHAT}`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${ALICE}`, ...headers }, body: JSON.stringify(body) });
    const directBody = await direct.json();
    h.mock.reset();
    for (let i = 0; i < 2; i++) {
      const response = await post(h.url, CHAT, body, headers);
      expect(response.status).toBe(429);
      expect(response.headers.get("retry-after")).toBe("7");
      expect(cacheStatus(response)).toBe("ai-response-cache; fwd=uri-miss; fwd-status=429; detail=status_429");
      const json = await response.json();
      expect(json).toEqual(directBody);
    }
    expect(h.mock.count("/chat/completions")).toBe(2);
    const sdkError = await thrown(() => h.openai().chat.completions.create(body as never, { headers }));
    expect(sdkError).toBeInstanceOf(OpenAI.RateLimitError);
  });

  test("a stream that ends in an error event or a dropped connection is passed on as it came and not stored", async () => {
    const errorBody = chatBody("errors: stream with an error event", { stream: true });
    const errored = await post(h.url, CHAT, errorBody, { "x-mock-scenario": "stream-error" });
    const erroredText = await errored.text();
    expect(erroredText).toContain('"error"');
    const dropBody = chatBody("errors: stream dropped", { stream: true });
    const dropped = await post(h.url, CHAT, dropBody, { "x-mock-scenario": "stream-drop" });
    const { clean } = await readAll(dropped.body!.getReader());
    expect(clean).toBe(false);
    for (const body of [errorBody, dropBody]) {
      const only = await post(h.url, CHAT, body, { "cache-control": "only-if-cached" });
      expect(only.status).toBe(504);
      await only.arrayBuffer();
    }
    const text = await metricsText(h.t);
    expect(metric(text, "ai_cache_proxy_not_stored_total", { endpoint: "openai.chat.completions", reason: "stream_error" })).toBe(1);
  });
});

describe("the sidecar's own API key (API_KEY set)", () => {
  const SIDECAR_KEY = "sidecar-key-123";
  let h: ProxyHarness;
  beforeAll(async () => {
    h = await startProxy({ apiKeys: [SIDECAR_KEY] });
  });
  afterAll(() => h.close());
  beforeEach(() => h.mock.reset());

  const withKey = { defaultHeaders: { "x-cache-api-key": SIDECAR_KEY } };

  test("no x-cache-api-key: 401 in the upstream's format, without any upstream call", async () => {
    const openai = await post(h.url, CHAT, chatBody("security: no sidecar key"));
    expect(openai.status).toBe(401);
    const error = expectOpenAiError(await openai.json());
    expect(error.type).toBe("authentication_error");
    expect(error.message).toContain("x-cache-api-key");
    const anthropic = await post(h.url, MESSAGES, messagesBody("security: no sidecar key"));
    expect(anthropic.status).toBe(401);
    expect(expectAnthropicError(await anthropic.json()).type).toBe("authentication_error");
    const models = await fetch(`${h.url}/v1/models`, { headers: { authorization: `Bearer ${ALICE}` } });
    expect(models.status).toBe(401);
    expectOpenAiError(await models.json());

    expect(await thrown(() => h.openai().chat.completions.create(sdkParams("security: SDK without the key")))).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(
      await thrown(() => h.anthropic().messages.create({ model: "claude-proxy-test", max_tokens: 16, messages: [{ role: "user", content: "security: SDK without the key" }] })),
    ).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(h.mock.calls).toEqual([]);
  });

  test("a wrong x-cache-api-key: 401", async () => {
    const response = await post(h.url, CHAT, chatBody("security: wrong key"), { "x-cache-api-key": "sidecar-key-124" });
    expect(response.status).toBe(401);
    expectOpenAiError(await response.json());
    const client = h.openai(ALICE, { defaultHeaders: { "x-cache-api-key": "not-the-key" } });
    expect(await thrown(() => client.chat.completions.create(sdkParams("security: SDK with a wrong key")))).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(h.mock.calls).toEqual([]);
  });

  test("the right key set once in the SDK works, and is not forwarded", async () => {
    const client = h.openai(ALICE, withKey);
    const first = await client.chat.completions.create(sdkParams("security: the right key")).withResponse();
    expect(first.response.headers.get("x-cache")).toBe("MISS");
    const second = await client.chat.completions.create(sdkParams("security: the right key")).withResponse();
    expect(second.response.headers.get("x-cache")).toBe("HIT");
    expect(second.data).toEqual(first.data);
    const models = [];
    for await (const model of client.models.list()) models.push(model.id);
    expect(models.length).toBeGreaterThan(0);
    const message = await h.anthropic(ALICE, withKey).messages.create({ model: "claude-proxy-test", max_tokens: 16, messages: [{ role: "user", content: "security: the right key" }] });
    expect(message.content[0]!.type).toBe("text");

    expect(h.mock.calls.length).toBe(3);
    for (const call of h.mock.calls) expect(call.headers["x-cache-api-key"]).toBeUndefined();
    expect(h.mock.calls[0]!.headers.authorization).toBe(`Bearer ${ALICE}`);
  });

  test("upstream credentials appear neither in the log nor in stored entries", async () => {
    const keyed = { "x-cache-api-key": SIDECAR_KEY };
    const keys: string[] = [];
    for (const [apiKey, prompt] of [
      [ALICE, "security: Alice's question"],
      [BOB, "security: Bob's question"],
    ] as const) {
      const chat = await post(h.url, CHAT, chatBody(prompt), { ...keyed, authorization: `Bearer ${apiKey}` });
      expect(chat.status).toBe(200);
      await chat.arrayBuffer();
      keys.push(chat.headers.get("x-cache-key")!);
      const streamed = await post(h.url, CHAT, chatBody(prompt, { stream: true }), { ...keyed, authorization: `Bearer ${apiKey}` });
      await streamed.text();
      keys.push(streamed.headers.get("x-cache-key")!);
      const message = await post(h.url, MESSAGES, messagesBody(prompt), { ...keyed, "x-api-key": apiKey, "anthropic-version": "2023-06-01" });
      expect(message.status).toBe(200);
      await message.arrayBuffer();
      keys.push(message.headers.get("x-cache-key")!);
    }
    // Failures are logged: they must not carry the credential either.
    for (const scenario of ["error-401", "error-500", "stream-drop"]) {
      const failed = await post(h.url, CHAT, chatBody(`security: ${scenario}`, { stream: scenario === "stream-drop" }), { ...keyed, "x-mock-scenario": scenario });
      await readAll(failed.body!.getReader());
    }
    const badKey = await post(h.url, CHAT, chatBody("security: a bogus upstream key"), { ...keyed, authorization: "Bearer sk-bogus-upstream-key-000" });
    expect(badKey.status).toBe(401);
    await badKey.arrayBuffer();
    await (await post(h.url, CHAT, "{broken", keyed)).arrayBuffer();

    const log = h.t.logger.lines.join("\n");
    expect(h.t.logger.lines.length).toBeGreaterThan(0);
    expect(log).toContain("upstream call failed");
    for (const secret of [ALICE, BOB, "sk-valid", "sk-bogus-upstream-key-000", SIDECAR_KEY, "Bearer"]) expect(log).not.toContain(secret);

    for (const key of keys) {
      for (const secret of [ALICE, BOB, "sk-valid"]) expect(key).not.toContain(secret);
      // The app's own routes take the sidecar key in x-api-key.
      expect((await entryOf(h.t, key)).status).toBe(401);
      const entry = await entryOf(h.t, key, SIDECAR_KEY);
      expect(entry.status).toBe(200);
      const text = await entry.text();
      for (const secret of [ALICE, BOB, "sk-valid", "Bearer", SIDECAR_KEY]) expect(text).not.toContain(secret);
      const stored = JSON.parse(text).response as { headers: [string, string][] };
      const names = stored.headers.map(([name]) => name.toLowerCase());
      for (const name of names) {
        expect(name).not.toMatch(/^(authorization|x-api-key|cookie|set-cookie|x-request-id|request-id|date|content-length|transfer-encoding|connection)$/);
        expect(name).not.toMatch(/^(x-ratelimit-|anthropic-ratelimit-)/);
      }
    }
  });
});

describe("Prometheus metrics", () => {
  let h: ProxyHarness;
  beforeAll(async () => {
    h = await startProxy({ proxySampledRequests: "bypass" });
  });
  afterAll(() => h.close());

  test("a miss, hits, a bypass and a not-stored answer are counted by endpoint, model and result; tokens saved come from the stored usage", async () => {
    const model = "gpt-metrics-model";
    const body = chatBody("metrics: count me", { model });
    const miss = await post(h.url, CHAT, body);
    const missJson = await miss.json();
    const key = miss.headers.get("x-cache-key")!;
    const stored = (await (await entryOf(h.t, key)).json()).response;
    expect(stored.usage).toEqual({ inputTokens: missJson.usage.prompt_tokens, outputTokens: missJson.usage.completion_tokens });
    const hits = 3;
    for (let i = 0; i < hits; i++) {
      const hit = await post(h.url, CHAT, body);
      expect(hit.headers.get("x-cache")).toBe("HIT");
      expect(hit.headers.get("x-cache-saved-tokens")).toBe(`input=${stored.usage.inputTokens}, output=${stored.usage.outputTokens}`);
      await hit.arrayBuffer();
    }
    const bypass = await post(h.url, CHAT, chatBody("metrics: sampled", { model, temperature: 0.7 }));
    expect(bypass.headers.get("x-cache")).toBe("BYPASS");
    await bypass.arrayBuffer();
    const truncated = await post(h.url, CHAT, chatBody("metrics: cut short", { model }), { "x-mock-scenario": "length" });
    expect(cacheStatus(truncated)).toBe("ai-response-cache; fwd=uri-miss; fwd-status=200; detail=finish_length");
    await truncated.arrayBuffer();

    const text = await metricsText(h.t);
    const endpoint = "openai.chat.completions";
    expect(text).toMatch(new RegExp(`^ai_cache_proxy_requests_total\\{[^}]*endpoint="${endpoint}",model="${model}",result="hit"\\} ${hits}$`, "m"));
    expect(metric(text, "ai_cache_proxy_requests_total", { endpoint, model, result: "hit" })).toBe(hits);
    expect(metric(text, "ai_cache_proxy_requests_total", { endpoint, model, result: "miss" })).toBe(2);
    expect(metric(text, "ai_cache_proxy_requests_total", { endpoint, model, result: "bypass" })).toBe(1);
    expect(metric(text, "ai_cache_proxy_tokens_saved_total", { model, kind: "input" })).toBe(stored.usage.inputTokens * hits);
    expect(metric(text, "ai_cache_proxy_tokens_saved_total", { model, kind: "output" })).toBe(stored.usage.outputTokens * hits);
    // The two upstream calls made for cacheable requests (the bypass is not one).
    expect(metric(text, "ai_cache_proxy_upstream_duration_seconds_count", { endpoint })).toBe(2);
    expect(metric(text, "ai_cache_proxy_upstream_duration_seconds_bucket", { endpoint, le: "+Inf" })).toBe(2);
    expect(metric(text, "ai_cache_proxy_upstream_duration_seconds_sum", { endpoint })).toBeGreaterThan(0);
    expect(metric(text, "ai_cache_proxy_not_stored_total", { endpoint, reason: "finish_length" })).toBe(1);
    expect(text).toContain("# TYPE ai_cache_proxy_requests_total counter");
    expect(text).toContain("# TYPE ai_cache_proxy_upstream_duration_seconds histogram");
  });

  test("a no-store request is counted as not stored, reason no-store (the Cache-Status detail)", async () => {
    // README, Never stored: the reason is the detail= of Cache-Status *and* the reason label of
    // ai_cache_proxy_not_stored_total; the list ends with "no-store requests (no-store)".
    const response = await post(h.url, CHAT, chatBody("metrics: do not store me", { model: "gpt-metrics-no-store" }), { "cache-control": "no-store" });
    expect(cacheStatus(response)).toBe("ai-response-cache; fwd=uri-miss; fwd-status=200; detail=no-store");
    await response.arrayBuffer();
    expect(metric(await metricsText(h.t), "ai_cache_proxy_not_stored_total", { endpoint: "openai.chat.completions", reason: "no-store" })).toBe(1);
  });

  test("Anthropic hits count their whole prompt as saved input tokens", async () => {
    const model = "claude-metrics-model";
    const body = messagesBody("metrics: Claude, count me", { model });
    const miss = await post(h.url, MESSAGES, body);
    const usage = (await miss.json()).usage;
    const hit = await post(h.url, MESSAGES, body);
    expect(hit.headers.get("x-cache")).toBe("HIT");
    await hit.arrayBuffer();
    const text = await metricsText(h.t);
    expect(metric(text, "ai_cache_proxy_requests_total", { endpoint: "anthropic.messages", model, result: "hit" })).toBe(1);
    expect(metric(text, "ai_cache_proxy_tokens_saved_total", { model, kind: "input" })).toBe(usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens);
    expect(metric(text, "ai_cache_proxy_tokens_saved_total", { model, kind: "output" })).toBe(usage.output_tokens);
  });

  test("model labels are bounded: past 64 distinct models, the rest are counted as other", async () => {
    const count = 70;
    const names = Array.from({ length: count }, (_, i) => `bounded-model-${i}`);
    for (let i = 0; i < count; i += 10) {
      const batch = await Promise.all(names.slice(i, i + 10).map((model) => post(h.url, EMBEDDINGS, { model, input: `metrics: bounded ${model}` })));
      for (const response of batch) {
        expect(response.status).toBe(200);
        await response.arrayBuffer();
      }
    }
    const text = await metricsText(h.t);
    const series = samples(text, "ai_cache_proxy_requests_total");
    const labels = new Set(series.map((sample) => sample.labels.model!).filter((model) => model !== "other" && model !== "unknown"));
    expect(labels.size).toBe(64);
    const embeddings = series.filter((sample) => sample.labels.endpoint === "openai.embeddings");
    expect(embeddings.reduce((sum, sample) => sum + sample.value, 0)).toBe(count);
    const other = metric(text, "ai_cache_proxy_requests_total", { endpoint: "openai.embeddings", model: "other" });
    expect(other).toBeGreaterThanOrEqual(count - 64);
    expect(other + embeddings.filter((sample) => sample.labels.model!.startsWith("bounded-model-")).reduce((sum, sample) => sum + sample.value, 0)).toBe(count);
  });
});
