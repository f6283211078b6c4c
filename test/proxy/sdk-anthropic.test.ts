/**
 * The caching proxy driven by the official `@anthropic-ai/sdk` (README "Zero-code caching"):
 * Messages, JSON and streamed (the SDK's `messages.stream()` helper), text and tool_use, miss
 * once and are then answered from the cache. The mock upstream puts its per-call serial into
 * every id, so a hit is recognised by the same id coming back while its counter stands still.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import { startProxy, type ProxyHarness } from "../support/proxy.ts";
import { cacheOf, scenario, ssePayloads, waitStored } from "./sdk-support.ts";

let h: ProxyHarness;
let client: Anthropic;

beforeAll(async () => {
  h = await startProxy();
  client = h.anthropic();
});

afterAll(async () => {
  await h.close();
});

const MODEL = "claude-haiku-4-5";
const tools: Anthropic.Tool[] = [{ name: "lookup_city", input_schema: { type: "object", properties: { query: { type: "string" } } } }];

const ask = (content: string, extra: Partial<Anthropic.MessageCreateParamsNonStreaming> = {}): Anthropic.MessageCreateParamsNonStreaming => ({
  model: MODEL,
  max_tokens: 128,
  messages: [{ role: "user", content }],
  ...extra,
});

function textOf(message: Anthropic.Message): string {
  return message.content.map((block) => (block.type === "text" ? block.text : "")).join("");
}

describe("messages", () => {
  test("non-streamed: MISS then a HIT with the same bytes and no upstream call", async () => {
    const body = ask("sdk-anthropic json: what is the capital of Italy?");
    const before = h.mock.count("/v1/messages");

    const miss = await client.messages.create(body).asResponse();
    expect(miss.status).toBe(200);
    const missText = await miss.text();
    const missCache = cacheOf(miss);
    expect(missCache.xCache).toBe("MISS");
    expect(missCache.status).toBe("ai-response-cache; fwd=uri-miss; fwd-status=200; stored");
    const serial = Number(miss.headers.get("x-mock-serial"));
    const missJson = JSON.parse(missText) as Anthropic.Message;
    expect(missJson.id).toBe(`msg_mock_${serial}`);
    const entry = await waitStored(h, missCache.key);
    // Anthropic's input_tokens exclude prompt-cache reads and writes (both 0 here).
    expect(entry.response.usage).toEqual({ inputTokens: missJson.usage.input_tokens, outputTokens: missJson.usage.output_tokens });

    const hit = await client.messages.create(body).asResponse();
    const hitCache = cacheOf(hit);
    expect(hitCache.xCache).toBe("HIT");
    expect(hitCache.status).toBe("ai-response-cache; hit");
    expect(hitCache.age).toMatch(/^\d+$/);
    expect(await hit.text()).toBe(missText);

    const { data, response } = await client.messages.create(body).withResponse();
    expect(response.headers.get("x-cache")).toBe("HIT");
    expect(response.headers.get("x-cache-saved-tokens")).toBe(`input=${missJson.usage.input_tokens}, output=${missJson.usage.output_tokens}`);
    expect(data).toEqual(missJson);
    expect(textOf(data)).toContain(`Mock reply ${serial} `);
    expect(h.mock.count("/v1/messages")).toBe(before + 1);
  });

  test("messages.stream().finalMessage(): MISS then a HIT the helper assembles into the same message", async () => {
    const body = ask("sdk-anthropic stream: a limerick about Redis");
    const before = h.mock.count("/v1/messages");

    const missStream = client.messages.stream(body);
    let missDeltas = "";
    missStream.on("text", (delta) => {
      missDeltas += delta;
    });
    const missFinal = await missStream.finalMessage();
    const miss = missStream.response;
    if (!miss) throw new Error("the stream helper kept no response");
    expect(miss.headers.get("x-cache")).toBe("MISS");
    expect(miss.headers.get("cache-status")).toBe("ai-response-cache; fwd=uri-miss; fwd-status=200");
    const serial = Number(miss.headers.get("x-mock-serial"));
    expect(missFinal.id).toBe(`msg_mock_${serial}`);
    expect(missFinal.stop_reason).toBe("end_turn");
    expect(textOf(missFinal)).toBe(missDeltas);
    const entry = await waitStored(h, cacheOf(miss).key);
    expect(entry.response.stream).toBe(true);
    expect(ssePayloads(entry.response.body).some((payload) => payload.includes('"message_stop"'))).toBe(true);

    const hitStream = client.messages.stream(body);
    let hitDeltas = "";
    hitStream.on("text", (delta) => {
      hitDeltas += delta;
    });
    const hitFinal = await hitStream.finalMessage();
    expect(hitStream.response?.headers.get("x-cache")).toBe("HIT");
    expect(hitStream.response?.headers.get("cache-status")).toBe("ai-response-cache; hit");
    expect(hitFinal).toEqual(missFinal);
    expect(hitDeltas).toBe(missDeltas);
    expect(h.mock.count("/v1/messages")).toBe(before + 1);

    // The same question without streaming is another entry.
    const { data: json, response } = await client.messages.create(body).withResponse();
    expect(response.headers.get("x-cache")).toBe("MISS");
    expect(json.id).not.toBe(missFinal.id);
    expect(h.mock.count("/v1/messages")).toBe(before + 2);
  });

  test("raw streamed events (create with stream: true) are replayed as they were", async () => {
    const body = ask("sdk-anthropic raw stream: count to three");
    const { data: missStream, response: miss } = await client.messages.create({ ...body, stream: true }).withResponse();
    const missEvents: Anthropic.RawMessageStreamEvent[] = [];
    for await (const event of missStream) missEvents.push(event);
    expect(missEvents.at(-1)?.type).toBe("message_stop");
    await waitStored(h, cacheOf(miss).key);

    const { data: hitStream, response: hit } = await client.messages.create({ ...body, stream: true }).withResponse();
    expect(hit.headers.get("x-cache")).toBe("HIT");
    const hitEvents: Anthropic.RawMessageStreamEvent[] = [];
    for await (const event of hitStream) hitEvents.push(event);
    expect(hitEvents).toEqual(missEvents);
  });
});

describe("tool_use", () => {
  test("JSON: the tool_use block is stored and replayed", async () => {
    const body = ask("sdk-anthropic tools json: Turin", { tools });
    const before = h.mock.count("/v1/messages");
    const { data: first, response: miss } = await client.messages.create(body, scenario("tools")).withResponse();
    expect(miss.headers.get("cache-status")).toBe("ai-response-cache; fwd=uri-miss; fwd-status=200; stored");
    expect(first.stop_reason).toBe("tool_use");
    const block = first.content[0];
    if (block?.type !== "tool_use") throw new Error("expected a tool_use block");
    expect(block.input).toEqual({ query: "sdk-anthropic tools json: Turin", serial: Number(miss.headers.get("x-mock-serial")) });
    await waitStored(h, cacheOf(miss).key);

    const { data: second, response: hit } = await client.messages.create(body, scenario("tools")).withResponse();
    expect(hit.headers.get("x-cache")).toBe("HIT");
    expect(second).toEqual(first);
    expect(h.mock.count("/v1/messages")).toBe(before + 1);
  });

  test("streamed: input_json_delta events are replayed and the helper assembles the same input", async () => {
    const body = ask("sdk-anthropic tools stream: Genoa", { tools });
    const before = h.mock.count("/v1/messages");
    const missStream = client.messages.stream(body, scenario("tools"));
    const missFinal = await missStream.finalMessage();
    const miss = missStream.response;
    if (!miss) throw new Error("the stream helper kept no response");
    expect(miss.headers.get("x-cache")).toBe("MISS");
    const serial = Number(miss.headers.get("x-mock-serial"));
    expect(missFinal.stop_reason).toBe("tool_use");
    const block = missFinal.content[0];
    if (block?.type !== "tool_use") throw new Error("expected a tool_use block");
    expect(block.name).toBe("lookup_city");
    expect(block.input).toEqual({ query: "sdk-anthropic tools stream: Genoa", serial });
    await waitStored(h, cacheOf(miss).key);

    const hitStream = client.messages.stream(body, scenario("tools"));
    const hitFinal = await hitStream.finalMessage();
    expect(hitStream.response?.headers.get("x-cache")).toBe("HIT");
    expect(hitFinal).toEqual(missFinal);
    expect(h.mock.count("/v1/messages")).toBe(before + 1);
  });
});

describe("what is not cached", () => {
  test("count_tokens passes through every time", async () => {
    const before = h.mock.count("/v1/messages/count_tokens");
    const params = { model: MODEL, messages: [{ role: "user" as const, content: "sdk-anthropic count tokens" }] };
    const first = await client.messages.countTokens(params);
    const { data: second, response } = await client.messages.countTokens(params).withResponse();
    expect(second).toEqual(first);
    expect(response.headers.get("x-cache")).toBeNull();
    expect(h.mock.count("/v1/messages/count_tokens")).toBe(before + 2);
  });
});
