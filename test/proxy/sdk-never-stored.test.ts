/**
 * Answers the proxy must never store (README "Never stored" and "Streams"), driven through the
 * official SDKs: upstream errors (passed through exactly), truncated or filtered answers,
 * incomplete Responses, Anthropic max_tokens, streams that fail or drop, answers over
 * CACHE_MAX_RESPONSE_BYTES, no-store requests, and a streamed client that went away with nobody
 * else waiting. Each time, the next identical request is a miss again and reaches the upstream.
 *
 * Streamed chat answers are read to their end with `.asResponse()` where the point is the
 * proxy's verdict on the stream, so a client closing early cannot be what kept them out.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { ALICE, startProxy, type ProxyHarness } from "../support/proxy.ts";
import { cacheOf, readEntry, scenario, ssePayloads, thrown, waitIdle, waitStored } from "./sdk-support.ts";

/** Small enough for a 128-choice answer or a long-instructions Responses stream to pass it. */
const MAX_RESPONSE_BYTES = 16 * 1024;

let h: ProxyHarness;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  h = await startProxy({ maxResponseBytes: MAX_RESPONSE_BYTES });
  openai = h.openai();
  anthropic = h.anthropic();
});

afterAll(async () => {
  await h.close();
});

type ChatParams = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
const chat = (content: string, extra: Partial<ChatParams> = {}): ChatParams => ({ model: "gpt-4o-mini", temperature: 0, messages: [{ role: "user", content }], ...extra });
const ask = (content: string): Anthropic.MessageCreateParamsNonStreaming => ({ model: "claude-haiku-4-5", max_tokens: 128, messages: [{ role: "user", content }] });

const notStored = (status: number, detail: string): string => `ai-response-cache; fwd=uri-miss; fwd-status=${status}; detail=${detail}`;

describe("upstream errors are passed through exactly and never stored", () => {
  const cases: [status: number, cls: new (...args: never[]) => Error][] = [
    [400, OpenAI.BadRequestError],
    [401, OpenAI.AuthenticationError],
    [429, OpenAI.RateLimitError],
    [500, OpenAI.InternalServerError],
    [503, OpenAI.InternalServerError],
  ];
  for (const [status, cls] of cases) {
    test(`OpenAI error-${status}: same status, body and headers as the upstream's; ${cls.name}; the next request misses`, async () => {
      const body = JSON.stringify(chat(`sdk-never error ${status}: hello`));
      const headers = { authorization: `Bearer ${ALICE}`, "content-type": "application/json", "x-mock-scenario": `error-${status}` };
      const direct = await fetch(`${h.mock.openaiBaseUrl}/chat/completions`, { method: "POST", headers, body });
      const directText = await direct.text();
      const before = h.mock.count("/chat/completions");

      const proxied = await fetch(`${h.url}/v1/chat/completions`, { method: "POST", headers, body });
      expect(proxied.status).toBe(status);
      expect(await proxied.text()).toBe(directText);
      expect(proxied.headers.get("content-type")).toBe(direct.headers.get("content-type"));
      expect(proxied.headers.get("x-request-id")).toMatch(/^req_mock_\d+$/);
      expect(proxied.headers.get("x-cache")).toBe("MISS");
      expect(proxied.headers.get("cache-status")).toBe(notStored(status, `status_${status}`));
      if (status === 429) {
        expect(proxied.headers.get("retry-after")).toBe("7");
        expect(proxied.headers.get("x-ratelimit-remaining-requests")).toBe("0");
      }
      if (status === 400 || status === 401) expect(proxied.headers.get("x-should-retry")).toBe("false");
      expect(h.mock.count("/chat/completions")).toBe(before + 1);
      expect(await readEntry(h, cacheOf(proxied).key)).toBeNull();

      const again = await fetch(`${h.url}/v1/chat/completions`, { method: "POST", headers, body });
      expect(again.status).toBe(status);
      expect(again.headers.get("cache-status")).toBe(notStored(status, `status_${status}`));
      await again.text();
      expect(h.mock.count("/chat/completions")).toBe(before + 2);

      const error = await thrown(() => openai.chat.completions.create(chat(`sdk-never error ${status}: hello`), scenario(`error-${status}`)));
      expect(error).toBeInstanceOf(cls);
      const apiError = error as InstanceType<typeof OpenAI.APIError>;
      expect(apiError.status).toBe(status);
      expect(apiError.headers?.get("x-cache")).toBe("MISS");
      if (status === 429) expect(apiError.headers?.get("retry-after")).toBe("7");
      expect(h.mock.count("/chat/completions")).toBe(before + 3);
    });
  }

  test("Anthropic error-429 and error-529: the SDK's classes, retry-after kept, nothing stored", async () => {
    const body = ask("sdk-never anthropic errors: hello");
    const before = h.mock.count("/v1/messages");
    const limited = await thrown(() => anthropic.messages.create(body, scenario("error-429")));
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    const limitedError = limited as InstanceType<typeof Anthropic.RateLimitError>;
    expect(limitedError.status).toBe(429);
    expect(limitedError.type as string | null).toBe("rate_limit_error");
    expect(limitedError.headers?.get("retry-after")).toBe("7");
    expect(limitedError.headers?.get("cache-status")).toBe(notStored(429, "status_429"));
    expect(limitedError.requestID).toBe(`req_mock_${h.mock.count()}`);

    const overloaded = await thrown(() => anthropic.messages.create(body, scenario("error-529")));
    expect(overloaded).toBeInstanceOf(Anthropic.APIError);
    const overloadedError = overloaded as InstanceType<typeof Anthropic.APIError>;
    expect(overloadedError.status).toBe(529);
    expect(overloadedError.type as string | null).toBe("overloaded_error");
    expect(overloadedError.headers?.get("cache-status")).toBe(notStored(529, "status_529"));

    // The same body without a failure scenario: a miss (nothing was stored), then stored.
    const { response } = await anthropic.messages.create(body).withResponse();
    expect(response.headers.get("cache-status")).toBe("ai-response-cache; fwd=uri-miss; fwd-status=200; stored");
    expect(h.mock.count("/v1/messages")).toBe(before + 3);
  });
});

describe("incomplete answers", () => {
  for (const reason of ["length", "content_filter"] as const) {
    test(`chat finish_reason ${reason}: not stored, JSON or streamed`, async () => {
      const body = chat(`sdk-never finish ${reason}: tell me everything`);
      const before = h.mock.count("/chat/completions");
      const { data, response } = await openai.chat.completions.create(body, scenario(reason)).withResponse();
      expect(data.choices[0]?.finish_reason).toBe(reason);
      expect(response.headers.get("cache-status")).toBe(notStored(200, `finish_${reason}`));
      const again = await openai.chat.completions.create(body, scenario(reason)).withResponse();
      expect(again.response.headers.get("x-cache")).toBe("MISS");
      expect(again.response.headers.get("cache-status")).toBe(notStored(200, `finish_${reason}`));
      expect(again.data.id).not.toBe(data.id);
      expect(h.mock.count("/chat/completions")).toBe(before + 2);

      // Streamed, read to its end: the stream ends properly ([DONE]) but with the refused reason.
      const streamed = await openai.chat.completions.create({ ...body, stream: true }, scenario(reason)).asResponse();
      const payloads = ssePayloads(await streamed.text());
      expect(payloads.at(-1)).toBe("[DONE]");
      const reasons = payloads.slice(0, -1).map((payload) => (JSON.parse(payload) as OpenAI.Chat.Completions.ChatCompletionChunk).choices[0]?.finish_reason);
      expect(reasons.at(-1)).toBe(reason);
      const key = cacheOf(streamed).key;
      await waitIdle(h);
      // A good answer to the same streamed request (no scenario) would be a hit if the refused one had been stored.
      const next = await openai.chat.completions.create({ ...body, stream: true }).asResponse();
      expect(next.headers.get("x-cache")).toBe("MISS");
      expect(cacheOf(next).key).toBe(key);
      await next.text();
      expect(h.mock.count("/chat/completions")).toBe(before + 4);
    });
  }

  test("Responses status incomplete: not stored, JSON or streamed", async () => {
    const body = { model: "gpt-4o-mini", input: "sdk-never responses incomplete: go on", temperature: 0 };
    const before = h.mock.count("/responses");
    const { data, response } = await openai.responses.create(body, scenario("length")).withResponse();
    expect(data.status).toBe("incomplete");
    expect(response.headers.get("cache-status")).toBe(notStored(200, "status_incomplete"));
    const again = await openai.responses.create(body, scenario("length")).withResponse();
    expect(again.response.headers.get("x-cache")).toBe("MISS");
    expect(again.data.id).not.toBe(data.id);
    expect(h.mock.count("/responses")).toBe(before + 2);

    const stream = await openai.responses.create({ ...body, stream: true }, scenario("length"));
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types.at(-1)).toBe("response.incomplete");
    await waitIdle(h);
    const { data: next, response: nextResponse } = await openai.responses.create({ ...body, stream: true }).withResponse();
    expect(nextResponse.headers.get("x-cache")).toBe("MISS");
    for await (const _ of next) {
      // drained
    }
    expect(h.mock.count("/responses")).toBe(before + 4);
  });

  test("Anthropic stop_reason max_tokens: not stored, JSON or streamed", async () => {
    const body = ask("sdk-never anthropic max_tokens: go on");
    const before = h.mock.count("/v1/messages");
    const { data, response } = await anthropic.messages.create(body, scenario("length")).withResponse();
    expect(data.stop_reason).toBe("max_tokens");
    expect(response.headers.get("cache-status")).toBe(notStored(200, "stop_max_tokens"));
    const again = await anthropic.messages.create(body, scenario("length")).withResponse();
    expect(again.response.headers.get("x-cache")).toBe("MISS");
    expect(again.data.id).not.toBe(data.id);
    expect(h.mock.count("/v1/messages")).toBe(before + 2);

    const streamed = await anthropic.messages.stream(body, scenario("length")).finalMessage();
    expect(streamed.stop_reason).toBe("max_tokens");
    await waitIdle(h);
    const next = anthropic.messages.stream(body);
    const nextFinal = await next.finalMessage();
    expect(next.response?.headers.get("x-cache")).toBe("MISS");
    expect(nextFinal.id).not.toBe(streamed.id);
    expect(nextFinal.stop_reason).toBe("end_turn");
    expect(h.mock.count("/v1/messages")).toBe(before + 4);
  });
});

describe("broken streams", () => {
  test("chat stream-error: the SDK throws during iteration; not stored", async () => {
    const body = chat("sdk-never chat stream-error: hello");
    const before = h.mock.count("/chat/completions");
    const stream = await openai.chat.completions.create({ ...body, stream: true }, scenario("stream-error"));
    const seen: Chunk[] = [];
    const error = await thrown(async () => {
      for await (const chunk of stream) seen.push(chunk);
    });
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toContain("The server had an error");
    expect(seen.length).toBeGreaterThan(0);

    // Read to its very end, the error event still keeps it out.
    const raw = await openai.chat.completions.create({ ...body, stream: true }, scenario("stream-error")).asResponse();
    expect(ssePayloads(await raw.text()).some((payload) => payload.includes('"error"'))).toBe(true);
    await waitIdle(h);
    expect(await readEntry(h, cacheOf(raw).key)).toBeNull();

    const next = await openai.chat.completions.create({ ...body, stream: true }).asResponse();
    expect(next.headers.get("x-cache")).toBe("MISS");
    await next.text();
    expect(h.mock.count("/chat/completions")).toBe(before + 3);
  });

  test("Responses and Anthropic stream-error: the SDKs throw; not stored", async () => {
    const input = { model: "gpt-4o-mini", input: "sdk-never responses stream-error", temperature: 0, stream: true as const };
    const responsesBefore = h.mock.count("/responses");
    const stream = await openai.responses.create(input, scenario("stream-error"));
    expect(
      await thrown(async () => {
        for await (const _ of stream) {
          // until it throws
        }
      }),
    ).toBeInstanceOf(OpenAI.APIError);
    await waitIdle(h);
    const { data: next, response } = await openai.responses.create(input).withResponse();
    expect(response.headers.get("x-cache")).toBe("MISS");
    for await (const _ of next) {
      // drained
    }
    expect(h.mock.count("/responses")).toBe(responsesBefore + 2);

    const body = ask("sdk-never anthropic stream-error");
    const messagesBefore = h.mock.count("/v1/messages");
    const error = await thrown(() => anthropic.messages.stream(body, scenario("stream-error")).finalMessage());
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as InstanceType<typeof Anthropic.APIError>).type as string | null).toBe("overloaded_error");
    await waitIdle(h);
    const after = anthropic.messages.stream(body);
    await after.finalMessage();
    expect(after.response?.headers.get("x-cache")).toBe("MISS");
    expect(h.mock.count("/v1/messages")).toBe(messagesBefore + 2);
  });

  test("stream-drop: the client sees an error or a truncated stream; not stored", async () => {
    const body = chat("sdk-never chat stream-drop: hello");
    const before = h.mock.count("/chat/completions");
    const stream = await openai.chat.completions.create({ ...body, stream: true }, scenario("stream-drop"));
    const seen: Chunk[] = [];
    const outcome = await (async (): Promise<unknown> => {
      try {
        for await (const chunk of stream) seen.push(chunk);
        return null;
      } catch (error) {
        return error;
      }
    })();
    // Either the SDK saw the connection break, or the stream ended without a finish reason.
    if (outcome === null) expect(seen.some((chunk) => chunk.choices[0]?.finish_reason)).toBe(false);
    else expect(outcome).toBeInstanceOf(Error);
    expect(seen.some((chunk) => chunk.choices[0]?.finish_reason === "stop")).toBe(false);
    await waitIdle(h);
    const next = await openai.chat.completions.create({ ...body, stream: true }).asResponse();
    expect(next.headers.get("x-cache")).toBe("MISS");
    await next.text();
    expect(h.mock.count("/chat/completions")).toBe(before + 2);

    // Non-streamed: half a JSON body, then a reset: the SDK call fails, with the proxy's 502.
    const jsonBody = chat("sdk-never json stream-drop: hello");
    const dropped = await thrown(() => openai.chat.completions.create(jsonBody, scenario("stream-drop")));
    expect(dropped).toBeInstanceOf(OpenAI.APIError);
    const apiError = dropped as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(502);
    expect(apiError.headers?.get("cache-status")).toBe("ai-response-cache; fwd=uri-miss; detail=upstream_broken");
    const { response } = await openai.chat.completions.create(jsonBody).withResponse();
    expect(response.headers.get("cache-status")).toBe("ai-response-cache; fwd=uri-miss; fwd-status=200; stored");
    expect(h.mock.count("/chat/completions")).toBe(before + 4);

    // Anthropic streamed.
    const message = ask("sdk-never anthropic stream-drop");
    const messagesBefore = h.mock.count("/v1/messages");
    expect(await thrown(() => anthropic.messages.stream(message, scenario("stream-drop")).finalMessage())).toBeInstanceOf(Error);
    await waitIdle(h);
    const after = anthropic.messages.stream(message);
    await after.finalMessage();
    expect(after.response?.headers.get("x-cache")).toBe("MISS");
    expect(h.mock.count("/v1/messages")).toBe(messagesBefore + 2);
  });
});

describe("answers over CACHE_MAX_RESPONSE_BYTES", () => {
  test("a large JSON answer is passed on whole but not stored; a small one is", async () => {
    const body = chat("sdk-never too large: many answers", { n: 128 });
    const before = h.mock.count("/chat/completions");
    const { data, response } = await openai.chat.completions.create(body).withResponse();
    expect(data.choices).toHaveLength(128);
    expect(JSON.stringify(data).length).toBeGreaterThan(MAX_RESPONSE_BYTES);
    expect(response.headers.get("cache-status")).toBe(notStored(200, "too_large"));
    const again = await openai.chat.completions.create(body).withResponse();
    expect(again.response.headers.get("x-cache")).toBe("MISS");
    expect(again.data.id).not.toBe(data.id);
    expect(h.mock.count("/chat/completions")).toBe(before + 2);

    // A wide embedding too.
    const embedding = { model: "text-embedding-3-small", input: "sdk-never too large embedding", encoding_format: "float" as const, dimensions: 2048 };
    const { data: vectors, response: embeddingResponse } = await openai.embeddings.create(embedding).withResponse();
    expect(vectors.data[0]?.embedding).toHaveLength(2048);
    expect(embeddingResponse.headers.get("cache-status")).toBe(notStored(200, "too_large"));

    // Control: the same question with two choices fits, and is stored.
    const { response: small } = await openai.chat.completions.create({ ...body, n: 2 }).withResponse();
    expect(small.headers.get("cache-status")).toBe("ai-response-cache; fwd=uri-miss; fwd-status=200; stored");
    await waitStored(h, cacheOf(small).key);
  });

  test("a large streamed answer reaches the client whole but is not stored", async () => {
    // The Responses envelope repeats `instructions` in three events.
    const body = { model: "gpt-4o-mini", instructions: "Be thorough. ".repeat(500), input: "sdk-never too large stream", temperature: 0 };
    const before = h.mock.count("/responses");
    const final = await openai.responses.stream(body).finalResponse();
    expect(final.status).toBe("completed");
    expect(final.instructions).toBe(body.instructions);
    await waitIdle(h);
    const { data: next, response } = await openai.responses.create({ ...body, stream: true }).withResponse();
    expect(response.headers.get("x-cache")).toBe("MISS");
    let completed: string | null = null;
    for await (const event of next) if (event.type === "response.completed") completed = event.response.id;
    expect(completed).not.toBe(final.id);
    expect(h.mock.count("/responses")).toBe(before + 2);
  });
});

describe("the caller's own choice", () => {
  test("Cache-Control: no-store is honoured and not forwarded", async () => {
    const body = chat("sdk-never no-store: hello");
    const before = h.mock.count("/chat/completions");
    const { response } = await openai.chat.completions.create(body, { headers: { "cache-control": "no-store" } }).withResponse();
    expect(response.headers.get("cache-status")).toBe(notStored(200, "no-store"));
    expect(h.mock.calls.at(-1)?.headers["cache-control"]).toBeUndefined();
    const { response: next } = await openai.chat.completions.create(body).withResponse();
    expect(next.headers.get("x-cache")).toBe("MISS");
    expect(h.mock.count("/chat/completions")).toBe(before + 2);
  });
});

describe("a streamed client that goes away", () => {
  test("chat: aborted mid-stream with nobody else waiting: the upstream saw the call, nothing is stored", async () => {
    const body = chat("sdk-never abort chat: a long story");
    const before = h.mock.count("/chat/completions");
    const stream = await openai.chat.completions.create({ ...body, stream: true }, { headers: { "x-mock-chunk-delay-ms": "100" } });
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    stream.controller.abort();
    await thrown(async () => {
      await iterator.next();
      throw new Error("settled");
    });
    expect(h.mock.count("/chat/completions")).toBe(before + 1);
    expect(h.mock.calls.at(-1)?.headers["x-mock-chunk-delay-ms"]).toBe("100");
    // The sidecar has noticed the client left once its request is no longer in flight.
    await waitIdle(h);

    const next = await openai.chat.completions.create({ ...body, stream: true }).asResponse();
    expect(next.headers.get("x-cache")).toBe("MISS");
    // A new upstream call, not a join of the abandoned one.
    expect(next.headers.get("cache-status")).toBe("ai-response-cache; fwd=uri-miss; fwd-status=200");
    expect(Number(next.headers.get("x-mock-serial"))).toBe(h.mock.count());
    await next.text();
    expect(h.mock.count("/chat/completions")).toBe(before + 2);
  });

  test("Anthropic: stream.abort() mid-stream: nothing is stored, the next request misses", async () => {
    const body = ask("sdk-never abort anthropic: a long story");
    const before = h.mock.count("/v1/messages");
    const stream = anthropic.messages.stream(body, { headers: { "x-mock-chunk-delay-ms": "100" } });
    await new Promise<void>((resolve) => stream.once("text", () => resolve()));
    stream.abort();
    expect(await thrown(() => stream.finalMessage())).toBeInstanceOf(Error);
    expect(h.mock.count("/v1/messages")).toBe(before + 1);
    await waitIdle(h);

    const next = anthropic.messages.stream(body);
    const final = await next.finalMessage();
    expect(next.response?.headers.get("x-cache")).toBe("MISS");
    expect(next.response?.headers.get("cache-status")).toBe("ai-response-cache; fwd=uri-miss; fwd-status=200");
    expect(final.id).toBe(`msg_mock_${h.mock.count()}`);
    expect(h.mock.count("/v1/messages")).toBe(before + 2);
  });
});

type Chunk = OpenAI.Chat.Completions.ChatCompletionChunk;
