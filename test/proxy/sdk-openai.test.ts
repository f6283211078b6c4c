/**
 * The caching proxy driven by the official `openai` SDK (README "Zero-code caching"): every
 * cacheable OpenAI endpoint, JSON and streamed, misses once and is then answered from the
 * cache. The mock upstream puts its per-call serial into every id, so a hit is recognised by
 * the same id coming back while the mock's call counter stands still.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { ChatCompletionStream } from "openai/lib/ChatCompletionStream";
import { startProxy, type ProxyHarness } from "../support/proxy.ts";
import { cacheOf, scenario, ssePayloads, waitStored } from "./sdk-support.ts";

type Chunk = OpenAI.Chat.Completions.ChatCompletionChunk;

let h: ProxyHarness;
let client: OpenAI;

beforeAll(async () => {
  h = await startProxy();
  client = h.openai();
});

afterAll(async () => {
  await h.close();
});

const MISS_STORED = "ai-response-cache; fwd=uri-miss; fwd-status=200; stored";
/** A streamed miss learns whether it is stored only after its headers went out. */
const MISS_STREAMED = "ai-response-cache; fwd=uri-miss; fwd-status=200";
const HIT = "ai-response-cache; hit";

const chat = (content: string, extra: Partial<OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming> = {}): OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming => ({
  model: "gpt-4o-mini",
  temperature: 0,
  messages: [{ role: "user", content }],
  ...extra,
});

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

describe("chat completions", () => {
  test("non-streamed: MISS then a HIT with the same bytes, usage included, and no upstream call", async () => {
    const body = chat("sdk-openai json: what is the capital of France?");
    const before = h.mock.count("/chat/completions");

    const miss = await client.chat.completions.create(body).asResponse();
    expect(miss.status).toBe(200);
    const missText = await miss.text();
    const missCache = cacheOf(miss);
    expect(missCache.xCache).toBe("MISS");
    expect(missCache.status).toBe(MISS_STORED);
    expect(missCache.age).toBeNull();
    expect(h.mock.count("/chat/completions")).toBe(before + 1);
    const serial = Number(miss.headers.get("x-mock-serial"));
    const missJson = JSON.parse(missText) as OpenAI.Chat.Completions.ChatCompletion;
    expect(missJson.id).toBe(`chatcmpl-mock-${serial}`);
    await waitStored(h, missCache.key);

    const hit = await client.chat.completions.create(body).asResponse();
    expect(hit.status).toBe(200);
    const hitCache = cacheOf(hit);
    expect(hitCache.xCache).toBe("HIT");
    expect(hitCache.status).toBe(HIT);
    expect(hitCache.key).toBe(missCache.key);
    expect(hitCache.age).toMatch(/^\d+$/);
    expect(hit.headers.get("content-type")).toBe("application/json");
    expect(await hit.text()).toBe(missText);

    // The SDK parses the replay as it parsed the original.
    const { data, response } = await client.chat.completions.create(body).withResponse();
    expect(response.headers.get("x-cache")).toBe("HIT");
    expect(data.id).toBe(missJson.id);
    expect(data.usage).toEqual(missJson.usage);
    expect(data.choices[0]?.message.content).toBe(missJson.choices[0]?.message.content ?? "");
    expect(data.choices[0]?.message.content).toContain(`Mock reply ${serial} `);
    const usage = missJson.usage;
    expect(response.headers.get("x-cache-saved-tokens")).toBe(`input=${usage?.prompt_tokens}, output=${usage?.completion_tokens}`);
    expect(h.mock.count("/chat/completions")).toBe(before + 1);
  });

  test("streamed: MISS then a HIT the SDK parses into the same chunks; streamed and JSON are separate entries", async () => {
    const body = chat("sdk-openai stream: name three primes");
    const before = h.mock.count("/chat/completions");

    const { data: missStream, response: miss } = await client.chat.completions.create({ ...body, stream: true }).withResponse();
    expect(miss.headers.get("content-type")).toStartWith("text/event-stream");
    const missCache = cacheOf(miss);
    expect(missCache.xCache).toBe("MISS");
    expect(missCache.status).toBe(MISS_STREAMED);
    const missChunks = await collect(missStream);
    const serial = Number(miss.headers.get("x-mock-serial"));
    expect(missChunks.length).toBeGreaterThan(3);
    expect(missChunks.every((chunk) => chunk.id === `chatcmpl-mock-${serial}`)).toBe(true);
    const text = missChunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("");
    expect(text).toContain(`Mock reply ${serial} `);
    expect(missChunks.at(-1)?.choices[0]?.finish_reason).toBe("stop");
    const entry = await waitStored(h, missCache.key);
    expect(entry.response.stream).toBe(true);

    const { data: hitStream, response: hit } = await client.chat.completions.create({ ...body, stream: true }).withResponse();
    const hitCache = cacheOf(hit);
    expect(hitCache.xCache).toBe("HIT");
    expect(hitCache.status).toBe(HIT);
    expect(hitCache.age).toMatch(/^\d+$/);
    expect(hit.headers.get("content-type")).toStartWith("text/event-stream");
    const hitChunks = await collect(hitStream);
    expect(hitChunks).toEqual(missChunks);
    expect(h.mock.count("/chat/completions")).toBe(before + 1);

    // The replay is the stored stream byte for byte, [DONE] included.
    const raw = await client.chat.completions.create({ ...body, stream: true }).asResponse();
    const rawText = await raw.text();
    expect(rawText).toBe(entry.response.body);
    expect(ssePayloads(rawText).at(-1)).toBe("[DONE]");

    // The same question without `stream` is another entry: a miss with its own serial.
    const { data: json, response: jsonResponse } = await client.chat.completions.create(body).withResponse();
    expect(jsonResponse.headers.get("x-cache")).toBe("MISS");
    expect(cacheOf(jsonResponse).key).not.toBe(missCache.key);
    expect(json.id).not.toBe(`chatcmpl-mock-${serial}`);
    expect(json.id).toBe(`chatcmpl-mock-${jsonResponse.headers.get("x-mock-serial")}`);
    expect(h.mock.count("/chat/completions")).toBe(before + 2);
  });

  test("n: 2, non-streamed and streamed: both choices are stored and replayed", async () => {
    const body = chat("sdk-openai n2: two names for a cat", { n: 2 });
    const before = h.mock.count("/chat/completions");

    const { data: first, response: firstResponse } = await client.chat.completions.create(body).withResponse();
    expect(firstResponse.headers.get("cache-status")).toBe(MISS_STORED);
    expect(first.choices.map((choice) => choice.index)).toEqual([0, 1]);
    await waitStored(h, cacheOf(firstResponse).key);
    const { data: again, response: againResponse } = await client.chat.completions.create(body).withResponse();
    expect(againResponse.headers.get("x-cache")).toBe("HIT");
    expect(again).toEqual(first);

    const { data: missStream, response: streamMiss } = await client.chat.completions.create({ ...body, stream: true }).withResponse();
    expect(streamMiss.headers.get("x-cache")).toBe("MISS");
    const missFinal = await ChatCompletionStream.fromReadableStream(missStream.toReadableStream()).finalChatCompletion();
    expect(missFinal.choices.map((choice) => choice.finish_reason)).toEqual(["stop", "stop"]);
    expect(missFinal.choices[1]?.message.content).toContain("(choice 1)");
    await waitStored(h, cacheOf(streamMiss).key);

    const { data: hitStream, response: streamHit } = await client.chat.completions.create({ ...body, stream: true }).withResponse();
    expect(streamHit.headers.get("x-cache")).toBe("HIT");
    const hitFinal = await ChatCompletionStream.fromReadableStream(hitStream.toReadableStream()).finalChatCompletion();
    expect(hitFinal).toEqual(missFinal);
    expect(h.mock.count("/chat/completions")).toBe(before + 2);
  });

  test("streamed tool-call deltas are stored and replayed: the accumulated call is the same", async () => {
    const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
      { type: "function", function: { name: "lookup_city", parameters: { type: "object", properties: { query: { type: "string" } } } } },
    ];
    const body = { ...chat("sdk-openai tools: weather in Lyon"), tools };
    const before = h.mock.count("/chat/completions");

    const { data: missStream, response: miss } = await client.chat.completions.create({ ...body, stream: true }, scenario("tools")).withResponse();
    expect(miss.headers.get("x-cache")).toBe("MISS");
    const serial = Number(miss.headers.get("x-mock-serial"));
    const missFinal = await ChatCompletionStream.fromReadableStream(missStream.toReadableStream()).finalChatCompletion();
    expect(missFinal.choices[0]?.finish_reason).toBe("tool_calls");
    const missCall = missFinal.choices[0]?.message.tool_calls?.[0];
    if (missCall?.type !== "function") throw new Error("expected a function tool call");
    expect(missCall.function.name).toBe("lookup_city");
    expect(JSON.parse(missCall.function.arguments)).toEqual({ query: "sdk-openai tools: weather in Lyon", serial });
    await waitStored(h, cacheOf(miss).key);

    // The SDK's own streaming helper, on the hit: it sends the same body (with stream: true).
    const helper = client.chat.completions.stream({ ...body, stream: true }, scenario("tools"));
    const hitFinal = await helper.finalChatCompletion();
    const hitCall = hitFinal.choices[0]?.message.tool_calls?.[0];
    if (hitCall?.type !== "function") throw new Error("expected a function tool call");
    expect(hitCall.id).toBe(missCall.id);
    expect(hitCall.function.arguments).toBe(missCall.function.arguments);
    expect(hitFinal.id).toBe(`chatcmpl-mock-${serial}`);
    expect(h.mock.count("/chat/completions")).toBe(before + 1);
  });

  test("stream_options include_usage: the final usage chunk is replayed", async () => {
    const body = { ...chat("sdk-openai usage: count to five"), stream: true as const, stream_options: { include_usage: true } };
    const before = h.mock.count("/chat/completions");

    const { data: missStream, response: miss } = await client.chat.completions.create(body).withResponse();
    const missChunks: Chunk[] = await collect(missStream);
    const usage = missChunks.at(-1)?.usage;
    expect(missChunks.at(-1)?.choices).toEqual([]);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    const entry = await waitStored(h, cacheOf(miss).key);
    expect(entry.response.usage).toEqual({ inputTokens: usage?.prompt_tokens ?? -1, outputTokens: usage?.completion_tokens ?? -1 });

    const { data: hitStream, response: hit } = await client.chat.completions.create(body).withResponse();
    expect(hit.headers.get("x-cache")).toBe("HIT");
    expect(hit.headers.get("x-cache-saved-tokens")).toBe(`input=${usage?.prompt_tokens}, output=${usage?.completion_tokens}`);
    const hitChunks = await collect(hitStream);
    expect(hitChunks.at(-1)?.usage).toEqual(usage);
    expect(hitChunks).toEqual(missChunks);
    expect(h.mock.count("/chat/completions")).toBe(before + 1);
  });
});

describe("legacy completions", () => {
  test("JSON and streamed: each misses once, then hits", async () => {
    const body = { model: "gpt-3.5-turbo-instruct", prompt: "sdk-openai legacy: say hi", temperature: 0 };
    const before = h.mock.count("/v1/completions");

    const { data: first, response: miss } = await client.completions.create(body).withResponse();
    expect(miss.headers.get("cache-status")).toBe(MISS_STORED);
    expect(first.id).toBe(`cmpl-mock-${miss.headers.get("x-mock-serial")}`);
    await waitStored(h, cacheOf(miss).key);
    const { data: second, response: hit } = await client.completions.create(body).withResponse();
    expect(hit.headers.get("x-cache")).toBe("HIT");
    expect(second).toEqual(first);

    const { data: missStream, response: streamMiss } = await client.completions.create({ ...body, stream: true }).withResponse();
    expect(streamMiss.headers.get("cache-status")).toBe(MISS_STREAMED);
    const missChunks = await collect(missStream);
    const streamSerial = Number(streamMiss.headers.get("x-mock-serial"));
    expect(missChunks.map((chunk) => chunk.choices[0]?.text ?? "").join("")).toContain(`Mock reply ${streamSerial} `);
    await waitStored(h, cacheOf(streamMiss).key);
    const { data: hitStream, response: streamHit } = await client.completions.create({ ...body, stream: true }).withResponse();
    expect(streamHit.headers.get("x-cache")).toBe("HIT");
    expect(await collect(hitStream)).toEqual(missChunks);
    expect(h.mock.count("/v1/completions")).toBe(before + 2);
  });
});

describe("embeddings", () => {
  test("float and base64 are each cached; encoding_format and dimensions are part of the key", async () => {
    const input = "sdk-openai embeddings: the quick brown fox";
    const model = "text-embedding-3-small";
    const before = h.mock.count("/embeddings");

    const { data: float, response: floatMiss } = await client.embeddings.create({ model, input, encoding_format: "float" }).withResponse();
    const floatKey = cacheOf(floatMiss).key;
    expect(floatMiss.headers.get("cache-status")).toBe(MISS_STORED);
    const vector = float.data[0]?.embedding ?? [];
    expect(vector).toHaveLength(8);
    await waitStored(h, floatKey);
    const { data: floatAgain, response: floatHit } = await client.embeddings.create({ model, input, encoding_format: "float" }).withResponse();
    expect(floatHit.headers.get("x-cache")).toBe("HIT");
    expect(floatAgain).toEqual(float);
    expect(h.mock.count("/embeddings")).toBe(before + 1);

    const { data: b64, response: b64Miss } = await client.embeddings.create({ model, input, encoding_format: "base64" }).withResponse();
    const b64Key = cacheOf(b64Miss).key;
    expect(b64Miss.headers.get("x-cache")).toBe("MISS");
    expect(b64Key).not.toBe(floatKey);
    expect(h.mock.count("/embeddings")).toBe(before + 2);
    const encoded = b64.data[0]?.embedding as unknown as string;
    expect(typeof encoded).toBe("string");
    await waitStored(h, b64Key);
    const { data: b64Again, response: b64Hit } = await client.embeddings.create({ model, input, encoding_format: "base64" }).withResponse();
    expect(b64Hit.headers.get("x-cache")).toBe("HIT");
    expect(b64Again.data[0]?.embedding as unknown as string).toBe(encoded);

    // Without encoding_format the SDK asks for base64 and decodes it: that is the base64 entry.
    const { data: defaulted, response: defaultedHit } = await client.embeddings.create({ model, input }).withResponse();
    expect(defaultedHit.headers.get("x-cache")).toBe("HIT");
    expect(cacheOf(defaultedHit).key).toBe(b64Key);
    expect(defaulted.data[0]?.embedding).toEqual(vector);
    expect(h.mock.count("/embeddings")).toBe(before + 2);

    // Other dimensions: another entry.
    const { data: wide, response: wideMiss } = await client.embeddings.create({ model, input, encoding_format: "float", dimensions: 16 }).withResponse();
    expect(wideMiss.headers.get("x-cache")).toBe("MISS");
    expect(cacheOf(wideMiss).key).not.toBe(floatKey);
    expect(wide.data[0]?.embedding).toHaveLength(16);
    expect(h.mock.count("/embeddings")).toBe(before + 3);
    await waitStored(h, cacheOf(wideMiss).key);
    const { response: wideHit } = await client.embeddings.create({ model, input, encoding_format: "float", dimensions: 16 }).withResponse();
    expect(wideHit.headers.get("x-cache")).toBe("HIT");
    expect(h.mock.count("/embeddings")).toBe(before + 3);
  });
});

describe("Responses API", () => {
  test("JSON: MISS then HIT with the same response", async () => {
    const body = { model: "gpt-4o-mini", input: "sdk-openai responses: tell me a joke", temperature: 0 };
    const before = h.mock.count("/responses");

    const { data: first, response: miss } = await client.responses.create(body).withResponse();
    expect(miss.headers.get("cache-status")).toBe(MISS_STORED);
    const serial = Number(miss.headers.get("x-mock-serial"));
    expect(first.id).toBe(`resp_mock_${serial}`);
    expect(first.status).toBe("completed");
    const entry = await waitStored(h, cacheOf(miss).key);
    expect(entry.response.usage).toEqual({ inputTokens: first.usage?.input_tokens ?? -1, outputTokens: first.usage?.output_tokens ?? -1 });

    const { data: second, response: hit } = await client.responses.create(body).withResponse();
    expect(hit.headers.get("x-cache")).toBe("HIT");
    expect(hit.headers.get("cache-status")).toBe(HIT);
    expect(second.id).toBe(first.id);
    expect(second.output_text).toBe(first.output_text);
    expect(second.output_text).toContain(`Mock reply ${serial} `);
    expect(second).toEqual(first);
    expect(h.mock.count("/responses")).toBe(before + 1);
  });

  test("streamed: the events are replayed, and the SDK's stream helper assembles the same response", async () => {
    const body = { model: "gpt-4o-mini", input: "sdk-openai responses stream: a haiku about caches", temperature: 0 };
    const before = h.mock.count("/responses");

    const { data: missStream, response: miss } = await client.responses.create({ ...body, stream: true }).withResponse();
    expect(miss.headers.get("cache-status")).toBe(MISS_STREAMED);
    const missEvents = await collect(missStream);
    const serial = Number(miss.headers.get("x-mock-serial"));
    const completed = missEvents.at(-1);
    if (completed?.type !== "response.completed") throw new Error(`expected response.completed last, got ${completed?.type}`);
    expect(completed.response.id).toBe(`resp_mock_${serial}`);
    await waitStored(h, cacheOf(miss).key);

    const { data: hitStream, response: hit } = await client.responses.create({ ...body, stream: true }).withResponse();
    expect(hit.headers.get("x-cache")).toBe("HIT");
    expect(await collect(hitStream)).toEqual(missEvents);

    const final = await client.responses.stream(body).finalResponse();
    expect(final.id).toBe(`resp_mock_${serial}`);
    expect(final.status).toBe("completed");
    const streamedText = completed.response.output.flatMap((item) => (item.type === "message" ? item.content : [])).map((part) => (part.type === "output_text" ? part.text : "")).join("");
    expect(final.output_text).toBe(streamedText);
    expect(final.output_text).toContain(`Mock reply ${serial} `);
    expect(h.mock.count("/responses")).toBe(before + 1);
  });
});

describe("what is not cached", () => {
  test("GET /models passes through every time", async () => {
    const before = h.mock.count("/models");
    const { data: models, response } = await client.models.list().withResponse();
    expect(models.data.map((model) => model.id)).toContain("gpt-4o-mini");
    expect(response.headers.get("x-cache")).toBeNull();
    await client.models.list();
    expect(h.mock.count("/models")).toBe(before + 2);
  });
});
