/**
 * Proves the mock LLM upstream speaks the wire protocols faithfully: the official `openai` and
 * `@anthropic-ai/sdk` clients, pointed directly at it (no proxy), parse every scenario as they
 * would parse the real APIs.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI, { toFile } from "openai";
import { type MockLlm, startMockLlm } from "./mock-llm.ts";
import { thrown } from "./thrown.ts";

type OpenAIApiError = InstanceType<typeof OpenAI.APIError>;
type AnthropicApiError = InstanceType<typeof Anthropic.APIError>;

let mock: MockLlm;
let openai: OpenAI;
let anthropic: Anthropic;

const scenario = (name: string): { headers: Record<string, string> } => ({ headers: { "x-mock-scenario": name } });
const userMessage = [{ role: "user" as const, content: "What is the capital of France?" }];

beforeAll(async () => {
  mock = await startMockLlm();
  openai = new OpenAI({ apiKey: "sk-valid-alice", baseURL: mock.openaiBaseUrl, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: "sk-valid-bob", baseURL: mock.anthropicBaseUrl, maxRetries: 0 });
});

afterAll(async () => {
  await mock.stop();
});

/** Requests received before the last reset(): serials keep counting across reset(). */
let offset = 0;
beforeEach(() => {
  offset += mock.calls.length;
  mock.reset();
});

/** The serial of the last request the shared mock received (serials are 1, 2, 3... per server). */
function lastSerial(): number {
  expect(mock.calls.length).toBeGreaterThan(0);
  return offset + mock.calls.length;
}

describe("OpenAI chat completions", () => {
  test("JSON answer parses, carries the serial and usage; the SDK's headers are recorded", async () => {
    const { data, response, request_id } = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: userMessage }).withResponse();
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(request_id).toMatch(/^req_mock_\d+$/);
    const serial = Number(response.headers.get("x-mock-serial"));
    expect(data.id).toBe(`chatcmpl-mock-${serial}`);
    expect(data.object).toBe("chat.completion");
    expect(data.model).toBe("gpt-4o-mini");
    expect(data.choices).toHaveLength(1);
    expect(data.choices[0]?.finish_reason).toBe("stop");
    expect(data.choices[0]?.message.role).toBe("assistant");
    expect(data.choices[0]?.message.content).toContain(`Mock reply ${serial} `);
    expect(data.choices[0]?.message.content).toContain("What is the capital of France?");
    expect(data.usage?.total_tokens).toBe((data.usage?.prompt_tokens ?? 0) + (data.usage?.completion_tokens ?? 0));
    const call = mock.calls.at(-1);
    expect(call?.path).toBe("/v1/chat/completions");
    expect(call?.method).toBe("POST");
    expect(call?.headers.authorization).toBe("Bearer sk-valid-alice");
    expect(call?.headers["x-stainless-retry-count"]).toBe("0");
    expect(call?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(call?.body ?? "{}").messages).toEqual(userMessage);
  });

  test("two identical requests are two upstream calls with different serials, same digest", async () => {
    const a = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: userMessage });
    const b = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: userMessage });
    expect(a.id).not.toBe(b.id);
    const strip = (s: string | null | undefined): string => (s ?? "").replace(/^Mock reply \d+ /, "");
    expect(strip(a.choices[0]?.message.content)).toBe(strip(b.choices[0]?.message.content));
    expect(mock.count("/chat/completions")).toBe(2);
    expect(mock.count()).toBe(2);
    expect(mock.calls.map((c) => c.scenario)).toEqual(["ok", "ok"]);
  });

  test("stream: chat.completion.chunk events, include_usage last chunk, text equals the JSON answer's", async () => {
    const stream = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: userMessage, stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const serial = lastSerial();
    expect(chunks.length).toBeGreaterThan(4);
    for (const chunk of chunks) {
      expect(chunk.object).toBe("chat.completion.chunk");
      expect(chunk.id).toBe(`chatcmpl-mock-${serial}`);
    }
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.completion_tokens).toBeGreaterThan(0);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text).toStartWith(`Mock reply ${serial} `);
    expect(text).toContain("What is the capital of France?");
  });

  test("stream helper finalChatCompletion() assembles the answer", async () => {
    const stream = openai.chat.completions.stream({ model: "gpt-4o-mini", messages: userMessage });
    const deltas: string[] = [];
    stream.on("content", (delta) => deltas.push(delta));
    const final = await stream.finalChatCompletion();
    const serial = lastSerial();
    expect(final.id).toBe(`chatcmpl-mock-${serial}`);
    expect(final.choices[0]?.finish_reason).toBe("stop");
    expect(final.choices[0]?.message.content).toBe(deltas.join(""));
    expect(final.choices[0]?.message.content).toContain(`Mock reply ${serial} `);
  });

  test("n=2: two choices in JSON and when streamed", async () => {
    const json = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: userMessage, n: 2 });
    expect(json.choices.map((c) => c.index)).toEqual([0, 1]);
    expect(json.choices[0]?.message.content).not.toBe(json.choices[1]?.message.content);
    const final = await openai.chat.completions.stream({ model: "gpt-4o-mini", messages: userMessage, n: 2 }).finalChatCompletion();
    expect(final.choices.map((c) => c.index)).toEqual([0, 1]);
    expect(final.choices.map((c) => c.finish_reason)).toEqual(["stop", "stop"]);
    expect(final.choices[1]?.message.content).toContain("(choice 1)");
  });

  test("tools: JSON tool call, and streamed tool-call deltas assemble into the same call", async () => {
    const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
      { type: "function", function: { name: "lookup_city", parameters: { type: "object", properties: { query: { type: "string" } } } } },
    ];
    const json = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: userMessage, tools }, scenario("tools"));
    expect(json.choices[0]?.finish_reason).toBe("tool_calls");
    const call = json.choices[0]?.message.tool_calls?.[0];
    expect(call?.type).toBe("function");
    if (call?.type !== "function") throw new Error("expected a function tool call");
    expect(call.function.name).toBe("lookup_city");
    expect(JSON.parse(call.function.arguments).query).toBe("What is the capital of France?");

    const raw = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: userMessage, tools, stream: true }, scenario("tools"));
    const deltas: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of raw) deltas.push(chunk);
    const first = deltas[0]?.choices[0]?.delta.tool_calls?.[0];
    expect(first?.index).toBe(0);
    expect(first?.id).toMatch(/^call_mock_/);
    expect(first?.function?.name).toBe("lookup_city");
    expect(deltas.filter((c) => c.choices[0]?.delta.tool_calls?.[0]?.function?.arguments).length).toBeGreaterThan(1);
    expect(deltas.at(-1)?.choices[0]?.finish_reason).toBe("tool_calls");

    const final = await openai.chat.completions.stream({ model: "gpt-4o-mini", messages: userMessage, tools }, scenario("tools")).finalChatCompletion();
    const streamedCall = final.choices[0]?.message.tool_calls?.[0];
    if (streamedCall?.type !== "function") throw new Error("expected a function tool call");
    expect(streamedCall.function.name).toBe("lookup_city");
    expect(JSON.parse(streamedCall.function.arguments)).toEqual({ query: "What is the capital of France?", serial: lastSerial() });
    expect(final.choices[0]?.finish_reason).toBe("tool_calls");
  });

  test("length and content_filter finish reasons, JSON and streamed", async () => {
    const length = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: userMessage }, scenario("length"));
    expect(length.choices[0]?.finish_reason).toBe("length");
    const filtered = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: userMessage }, scenario("content_filter"));
    expect(filtered.choices[0]?.finish_reason).toBe("content_filter");
    const stream = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: userMessage, stream: true }, scenario("length"));
    const reasons: (string | null | undefined)[] = [];
    for await (const chunk of stream) reasons.push(chunk.choices[0]?.finish_reason);
    expect(reasons.at(-1)).toBe("length");
    expect(reasons.slice(0, -1).every((r) => r === null)).toBe(true);
  });

  test("stream-error: a data {error} line surfaces as APIError thrown during iteration", async () => {
    const stream = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: userMessage, stream: true }, scenario("stream-error"));
    const seen: string[] = [];
    const error = await thrown(async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? "");
    });
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as OpenAIApiError).status).toBeUndefined();
    expect((error as OpenAIApiError).type).toBe("server_error");
    expect((error as Error).message).toContain("The server had an error");
    expect(seen.length).toBe(3);
  });

  test("stream-drop: the connection reset surfaces as an error during iteration, after some chunks", async () => {
    const stream = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: userMessage, stream: true }, scenario("stream-drop"));
    let count = 0;
    const error = await thrown(async () => {
      for await (const _ of stream) count += 1;
    });
    expect(error).toBeInstanceOf(Error);
    // Three chunks are sent before the reset; a reset may discard what the client had not read yet.
    expect(count).toBeGreaterThanOrEqual(1);
    expect(count).toBeLessThanOrEqual(3);
    // The helper rejects too rather than returning a truncated completion.
    const helperError = await thrown(() => openai.chat.completions.stream({ model: "gpt-4o-mini", messages: userMessage }, scenario("stream-drop")).finalChatCompletion());
    expect(helperError).toBeInstanceOf(Error);
  });
});

describe("OpenAI legacy completions, embeddings", () => {
  test("completions JSON and stream", async () => {
    const json = await openai.completions.create({ model: "gpt-3.5-turbo-instruct", prompt: "Say hi" });
    expect(json.object).toBe("text_completion");
    expect(json.id).toBe(`cmpl-mock-${lastSerial()}`);
    expect(json.choices[0]?.finish_reason).toBe("stop");
    expect(json.usage?.prompt_tokens).toBeGreaterThan(0);
    const stream = await openai.completions.create({ model: "gpt-3.5-turbo-instruct", prompt: "Say hi", stream: true }, scenario("length"));
    let text = "";
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toStartWith(`Mock reply ${lastSerial()} `);
    expect(finish).toBe("length");
  });

  test("embeddings: float, explicit base64, SDK-default base64 decoded, dimensions, arrays", async () => {
    const float = await openai.embeddings.create({ model: "text-embedding-3-small", input: "hello", encoding_format: "float" });
    const vector = float.data[0]?.embedding ?? [];
    expect(vector).toHaveLength(8);
    expect(float.usage.prompt_tokens).toBeGreaterThan(0);
    expect(Math.hypot(...vector)).toBeCloseTo(1, 5);

    const explicit = await openai.embeddings.create({ model: "text-embedding-3-small", input: "hello", encoding_format: "base64" });
    const encoded = explicit.data[0]?.embedding as unknown as string;
    expect(typeof encoded).toBe("string");
    const buf = Buffer.from(encoded, "base64");
    expect(Array.from(new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4))).toEqual(vector);

    // With no encoding_format the SDK asks for base64 on the wire and decodes it to numbers.
    const defaulted = await openai.embeddings.create({ model: "text-embedding-3-small", input: "hello" });
    expect(JSON.parse(mock.calls.at(-1)?.body ?? "{}").encoding_format).toBe("base64");
    expect(defaulted.data[0]?.embedding).toEqual(vector);

    const many = await openai.embeddings.create({ model: "text-embedding-3-small", input: ["a", "b", "c"], dimensions: 16, encoding_format: "float" });
    expect(many.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(many.data.every((d) => d.embedding.length === 16)).toBe(true);
    expect(many.data[0]?.embedding).not.toEqual(many.data[1]?.embedding);
  });
});

describe("OpenAI Responses API", () => {
  test("JSON answer", async () => {
    const response = await openai.responses.create({ model: "gpt-4o-mini", input: "Tell me a joke" });
    const serial = lastSerial();
    expect(response.id).toBe(`resp_mock_${serial}`);
    expect(response.object).toBe("response");
    expect(response.status).toBe("completed");
    expect(response.output_text).toContain(`Mock reply ${serial} `);
    expect(response.output_text).toContain("Tell me a joke");
    expect(response.usage?.total_tokens).toBe((response.usage?.input_tokens ?? 0) + (response.usage?.output_tokens ?? 0));
  });

  test("stream: the event sequence, and the helper's finalResponse()", async () => {
    const stream = await openai.responses.create({ model: "gpt-4o-mini", input: "Tell me a joke", stream: true });
    const types: string[] = [];
    const sequence: number[] = [];
    let deltas = "";
    for await (const event of stream) {
      types.push(event.type);
      sequence.push(event.sequence_number);
      if (event.type === "response.output_text.delta") deltas += event.delta;
    }
    const unique = types.filter((t, i) => t !== types[i - 1]);
    expect(unique).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(types.filter((t) => t === "response.output_text.delta").length).toBeGreaterThan(2);
    expect(sequence).toEqual(sequence.map((_, i) => i));
    expect(deltas).toContain(`Mock reply ${lastSerial()} `);

    const final = await openai.responses.stream({ model: "gpt-4o-mini", input: "Tell me a joke" }).finalResponse();
    expect(final.status).toBe("completed");
    expect(final.id).toBe(`resp_mock_${lastSerial()}`);
    expect(final.output_text).toContain(`Mock reply ${lastSerial()} `);
  });

  test("length: incomplete with max_output_tokens, stream ends with response.incomplete", async () => {
    const json = await openai.responses.create({ model: "gpt-4o-mini", input: "Tell me a joke" }, scenario("length"));
    expect(json.status).toBe("incomplete");
    expect(json.incomplete_details?.reason).toBe("max_output_tokens");
    const stream = await openai.responses.create({ model: "gpt-4o-mini", input: "Tell me a joke", stream: true }, scenario("length"));
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types.at(-1)).toBe("response.incomplete");
    const final = await openai.responses.stream({ model: "gpt-4o-mini", input: "x" }, scenario("length")).finalResponse();
    expect(final.status).toBe("incomplete");
  });

  test("tools: a function_call output item, JSON and streamed", async () => {
    const tools: OpenAI.Responses.Tool[] = [{ type: "function", name: "lookup_city", parameters: { type: "object", properties: {} }, strict: false }];
    const json = await openai.responses.create({ model: "gpt-4o-mini", input: "Paris?", tools }, scenario("tools"));
    const item = json.output[0];
    if (item?.type !== "function_call") throw new Error("expected a function_call");
    expect(item.name).toBe("lookup_city");
    const final = await openai.responses.stream({ model: "gpt-4o-mini", input: "Paris?", tools }, scenario("tools")).finalResponse();
    const streamed = final.output[0];
    if (streamed?.type !== "function_call") throw new Error("expected a function_call");
    expect(JSON.parse(streamed.arguments)).toEqual({ query: "Paris?", serial: lastSerial() });
  });

  test("stream-error: event: error is thrown during iteration; stream-drop: a reset", async () => {
    const stream = await openai.responses.create({ model: "gpt-4o-mini", input: "x", stream: true }, scenario("stream-error"));
    const types: string[] = [];
    const error = await thrown(async () => {
      for await (const event of stream) types.push(event.type);
    });
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toContain("An error occurred");
    expect(types).toContain("response.output_text.delta");
    expect(await thrown(() => openai.responses.stream({ model: "gpt-4o-mini", input: "x" }, scenario("stream-error")).finalResponse())).toBeInstanceOf(OpenAI.APIError);

    const dropped = await openai.responses.create({ model: "gpt-4o-mini", input: "x", stream: true }, scenario("stream-drop"));
    const seen: string[] = [];
    const dropError = await thrown(async () => {
      for await (const event of dropped) seen.push(event.type);
    });
    expect(dropError).toBeInstanceOf(Error);
    expect(seen).not.toContain("response.completed");
  });

  test("GET /responses/{id} returns the stored response; cancel answers cancelled", async () => {
    const created = await openai.responses.create({ model: "gpt-4o-mini", input: "remember me" });
    const fetched = await openai.responses.retrieve(created.id);
    expect(fetched.id).toBe(created.id);
    expect(fetched.output_text).toBe(created.output_text);
    const cancelled = await openai.responses.cancel(created.id);
    expect(cancelled.status).toBe("cancelled");
    expect(mock.count(`/responses/${created.id}/cancel`)).toBe(1);
    expect(await thrown(() => openai.responses.retrieve("missing-response"))).toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe("OpenAI passthrough-style endpoints", () => {
  test("models list and retrieve, stored chat completion, files upload", async () => {
    const models = await openai.models.list();
    expect(models.data.map((m) => m.id)).toContain("gpt-4o-mini");
    expect((await openai.models.retrieve("gpt-4o")).id).toBe("gpt-4o");
    expect(await thrown(() => openai.models.retrieve("missing-model"))).toBeInstanceOf(OpenAI.NotFoundError);

    const created = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: userMessage, store: true });
    const stored = await openai.chat.completions.retrieve(created.id);
    expect(stored.choices[0]?.message.content).toBe(created.choices[0]?.message.content);

    const content = "line one\nline two\n".repeat(10);
    const file = await openai.files.create({ file: await toFile(Buffer.from(content), "data.jsonl"), purpose: "batch" });
    expect(file.object).toBe("file");
    expect(file.bytes).toBe(Buffer.byteLength(content));
    expect(file.filename).toBe("data.jsonl");
    expect(file.purpose).toBe("batch");
    expect(file.id).toBe(`file-mock-${lastSerial()}`);
    expect(mock.calls.at(-1)?.headers["content-type"]).toStartWith("multipart/form-data");
  });

  test("echo answers exactly what it received; __stream streams text lines", async () => {
    const res = await fetch(`${mock.openaiBaseUrl}/__echo/some/path?a=1&b=two`, {
      method: "PUT",
      headers: { "x-custom": "yes", "content-type": "text/plain" },
      body: "raw body",
    });
    expect(res.status).toBe(200);
    const echoed = (await res.json()) as { method: string; path: string; query: string; headers: Record<string, string>; body: string };
    expect(echoed).toMatchObject({ method: "PUT", path: "/v1/__echo/some/path", query: "a=1&b=two", body: "raw body" });
    expect(echoed.headers["x-custom"]).toBe("yes");
    const root = (await (await fetch(`${mock.url}/__echo/x`)).json()) as { method: string; path: string };
    expect(root).toMatchObject({ method: "GET", path: "/__echo/x" });

    const stream = await fetch(`${mock.openaiBaseUrl}/__stream/slow?lines=3`, { headers: { "x-mock-chunk-delay-ms": "10" } });
    expect(stream.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    const reader = stream.body?.getReader();
    const parts: string[] = [];
    for (;;) {
      const next = await reader?.read();
      if (!next || next.done) break;
      parts.push(new TextDecoder().decode(next.value));
    }
    expect(parts.length).toBeGreaterThanOrEqual(2);
    expect(parts.join("")).toBe(`line 1/3 serial ${lastSerial()}\nline 2/3 serial ${lastSerial()}\nline 3/3 serial ${lastSerial()}\n`);
  });
});

describe("transport details", () => {
  test("opt-in gzip JSON answers are decoded by the SDKs", async () => {
    const gz = { headers: { "x-mock-content-encoding": "gzip" } };
    const { data, response } = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: userMessage }, gz).withResponse();
    expect(response.headers.get("content-encoding")).toBe("gzip");
    expect(data.choices[0]?.message.content).toContain(`Mock reply ${lastSerial()} `);
    const message = await anthropic.messages.create({ model: "claude-haiku-4-5", max_tokens: 64, messages: userMessage }, gz);
    expect(message.id).toBe(`msg_mock_${lastSerial()}`);
  });

  test("stream-drop on a JSON request truncates the body: the SDK call rejects", async () => {
    expect(await thrown(() => openai.chat.completions.create({ model: "gpt-4o-mini", messages: userMessage }, scenario("stream-drop")))).toBeInstanceOf(Error);
    expect(await thrown(() => anthropic.messages.create({ model: "claude-haiku-4-5", max_tokens: 64, messages: userMessage }, scenario("stream-drop")))).toBeInstanceOf(Error);
    expect(mock.count("/chat/completions")).toBe(1);
    expect(mock.count("/v1/messages")).toBe(1);
  });

  test("unknown scenario is a loud 400; x-api-key is accepted for Anthropic too", async () => {
    const error = await thrown(() => openai.models.list(scenario("no-such-scenario")));
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toContain("unknown x-mock-scenario");
    const res = await fetch(`${mock.anthropicBaseUrl}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": "sk-valid-carol", "anthropic-version": "2023-06-01", "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-haiku-4-5", max_tokens: 16, messages: userMessage }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { type: string }).type).toBe("message");
  });
});

describe("Anthropic messages", () => {
  test("JSON answer; the SDK's headers are recorded", async () => {
    const { data, response } = await anthropic.messages.create({ model: "claude-haiku-4-5", max_tokens: 64, messages: userMessage }).withResponse();
    const serial = lastSerial();
    expect(response.headers.get("request-id")).toBe(`req_mock_${serial}`);
    expect(data.id).toBe(`msg_mock_${serial}`);
    expect(data.type).toBe("message");
    expect(data.role).toBe("assistant");
    expect(data.stop_reason).toBe("end_turn");
    const block = data.content[0];
    if (block?.type !== "text") throw new Error("expected a text block");
    expect(block.text).toContain(`Mock reply ${serial} `);
    expect(data.usage.input_tokens).toBeGreaterThan(0);
    expect(data.usage.output_tokens).toBeGreaterThan(0);
    const call = mock.calls.at(-1);
    expect(call?.path).toBe("/v1/messages");
    // @anthropic-ai/sdk 1.x sends the apiKey as a bearer token, not as x-api-key.
    expect(call?.headers.authorization).toBe("Bearer sk-valid-bob");
    expect(call?.headers["x-api-key"]).toBeUndefined();
    expect(call?.headers["anthropic-version"]).toBeTruthy();
  });

  test("stream: raw events in order, and messages.stream().finalMessage()", async () => {
    const raw = await anthropic.messages.create({ model: "claude-haiku-4-5", max_tokens: 64, messages: userMessage, stream: true });
    const types: string[] = [];
    for await (const event of raw) types.push(event.type);
    // The SDK drops `ping` events.
    expect(types.filter((t, i) => t !== types[i - 1])).toEqual(["message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"]);
    expect(types.filter((t) => t === "content_block_delta").length).toBeGreaterThan(2);
    expect(mock.calls.at(-1)?.body).toContain('"stream":true');

    const stream = anthropic.messages.stream({ model: "claude-haiku-4-5", max_tokens: 64, messages: userMessage });
    let text = "";
    stream.on("text", (delta) => {
      text += delta;
    });
    const final = await stream.finalMessage();
    const serial = lastSerial();
    expect(final.id).toBe(`msg_mock_${serial}`);
    expect(final.stop_reason).toBe("end_turn");
    const block = final.content[0];
    if (block?.type !== "text") throw new Error("expected a text block");
    expect(block.text).toBe(text);
    expect(block.text).toContain(`Mock reply ${serial} `);
    expect(final.usage.output_tokens).toBeGreaterThan(1);
  });

  test("tools (input_json_delta) and length (max_tokens), JSON and streamed", async () => {
    const tools: Anthropic.Tool[] = [{ name: "lookup_city", input_schema: { type: "object", properties: {} } }];
    const json = await anthropic.messages.create({ model: "claude-haiku-4-5", max_tokens: 64, messages: userMessage, tools }, scenario("tools"));
    expect(json.stop_reason).toBe("tool_use");
    const final = await anthropic.messages.stream({ model: "claude-haiku-4-5", max_tokens: 64, messages: userMessage, tools }, scenario("tools")).finalMessage();
    expect(final.stop_reason).toBe("tool_use");
    const block = final.content[0];
    if (block?.type !== "tool_use") throw new Error("expected a tool_use block");
    expect(block.name).toBe("lookup_city");
    expect(block.input).toEqual({ query: "What is the capital of France?", serial: lastSerial() });

    const length = await anthropic.messages.create({ model: "claude-haiku-4-5", max_tokens: 64, messages: userMessage }, scenario("length"));
    expect(length.stop_reason).toBe("max_tokens");
    const streamed = await anthropic.messages.stream({ model: "claude-haiku-4-5", max_tokens: 64, messages: userMessage }, scenario("length")).finalMessage();
    expect(streamed.stop_reason).toBe("max_tokens");
  });

  test("count_tokens", async () => {
    const counted = await anthropic.messages.countTokens({ model: "claude-haiku-4-5", messages: userMessage });
    expect(counted.input_tokens).toBeGreaterThan(0);
    expect(mock.count("/v1/messages/count_tokens")).toBe(1);
  });

  test("stream-error: event: error is thrown with its type; stream-drop rejects finalMessage()", async () => {
    const stream = await anthropic.messages.create({ model: "claude-haiku-4-5", max_tokens: 64, messages: userMessage, stream: true }, scenario("stream-error"));
    const types: string[] = [];
    const error = await thrown(async () => {
      for await (const event of stream) types.push(event.type);
    });
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as AnthropicApiError).type).toBe("overloaded_error");
    expect(types).toContain("content_block_delta");
    expect(types).not.toContain("message_stop");
    expect(
      await thrown(() => anthropic.messages.stream({ model: "claude-haiku-4-5", max_tokens: 64, messages: userMessage }, scenario("stream-error")).finalMessage()),
    ).toBeInstanceOf(Anthropic.APIError);

    const dropError = await thrown(() => anthropic.messages.stream({ model: "claude-haiku-4-5", max_tokens: 64, messages: userMessage }, scenario("stream-drop")).finalMessage());
    expect(dropError).toBeInstanceOf(Error);
  });
});

describe("errors", () => {
  const openaiClasses: [string, number, new (...args: never[]) => Error][] = [
    ["error-400", 400, OpenAI.BadRequestError],
    ["error-401", 401, OpenAI.AuthenticationError],
    ["error-429", 429, OpenAI.RateLimitError],
    ["error-500", 500, OpenAI.InternalServerError],
    ["error-503", 503, OpenAI.InternalServerError],
  ];
  for (const [name, status, cls] of openaiClasses) {
    test(`OpenAI ${name} -> ${cls.name}`, async () => {
      const error = await thrown(() => openai.chat.completions.create({ model: "gpt-4o-mini", messages: userMessage }, scenario(name)));
      expect(error).toBeInstanceOf(cls);
      const apiError = error as OpenAIApiError;
      expect(apiError.status).toBe(status);
      expect(apiError.requestID).toBe(`req_mock_${lastSerial()}`);
      expect(typeof apiError.message).toBe("string");
      expect(apiError.error).toMatchObject({ param: null });
      if (status === 429) {
        expect(apiError.headers?.get("retry-after")).toBe("7");
        expect(apiError.headers?.get("x-ratelimit-remaining-requests")).toBe("0");
        expect(apiError.code).toBe("rate_limit_exceeded");
      }
      if (status === 400 || status === 401) expect(apiError.headers?.get("x-should-retry")).toBe("false");
    });
  }

  const anthropicClasses: [string, number, new (...args: never[]) => Error, string][] = [
    ["error-400", 400, Anthropic.BadRequestError, "invalid_request_error"],
    ["error-401", 401, Anthropic.AuthenticationError, "authentication_error"],
    ["error-429", 429, Anthropic.RateLimitError, "rate_limit_error"],
    ["error-500", 500, Anthropic.InternalServerError, "api_error"],
    ["error-503", 503, Anthropic.InternalServerError, "api_error"],
  ];
  for (const [name, status, cls, type] of anthropicClasses) {
    test(`Anthropic ${name} -> ${cls.name}`, async () => {
      const error = await thrown(() => anthropic.messages.create({ model: "claude-haiku-4-5", max_tokens: 64, messages: userMessage }, scenario(name)));
      expect(error).toBeInstanceOf(cls);
      const apiError = error as AnthropicApiError;
      expect(apiError.status).toBe(status);
      expect(apiError.type as string | null).toBe(type);
      expect(apiError.requestID).toBe(`req_mock_${lastSerial()}`);
      if (status === 429) expect(apiError.headers?.get("retry-after")).toBe("7");
    });
  }

  test("streamed requests get the error status before any event", async () => {
    const error = await thrown(() => openai.chat.completions.create({ model: "gpt-4o-mini", messages: userMessage, stream: true }, scenario("error-429")));
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const aError = await thrown(() => anthropic.messages.stream({ model: "claude-haiku-4-5", max_tokens: 64, messages: userMessage }, scenario("error-500")).finalMessage());
    expect(aError).toBeInstanceOf(Anthropic.InternalServerError);
  });

  test("bad keys: 401 in each protocol's format", async () => {
    const badOpenai = new OpenAI({ apiKey: "sk-nope", baseURL: mock.openaiBaseUrl, maxRetries: 0 });
    const error = (await thrown(() => badOpenai.models.list())) as OpenAIApiError;
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error.code).toBe("invalid_api_key");
    expect(error.type).toBe("invalid_request_error");
    const badAnthropic = new Anthropic({ apiKey: "sk-nope", baseURL: mock.anthropicBaseUrl, maxRetries: 0 });
    const aError = (await thrown(() => badAnthropic.messages.create({ model: "claude-haiku-4-5", max_tokens: 64, messages: userMessage }))) as AnthropicApiError;
    expect(aError).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(aError.type).toBe("authentication_error");

    const noKey = await fetch(`${mock.openaiBaseUrl}/chat/completions`, { method: "POST", body: "{}" });
    expect(noKey.status).toBe(401);
    expect(noKey.headers.get("x-request-id")).toMatch(/^req_mock_/);
    const noVersion = await fetch(`${mock.anthropicBaseUrl}/v1/messages`, { method: "POST", headers: { "x-api-key": "sk-valid-x" }, body: "{}" });
    expect(noVersion.status).toBe(400);
    expect(noVersion.headers.get("request-id")).toMatch(/^req_mock_/);
  });

  test("malformed JSON: 400 in each protocol's format", async () => {
    const bad = await fetch(`${mock.openaiBaseUrl}/chat/completions`, { method: "POST", headers: { authorization: "Bearer sk-valid-a", "content-type": "application/json" }, body: "{nope" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { type: string } }).error.type).toBe("invalid_request_error");
    const aBad = await fetch(`${mock.anthropicBaseUrl}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": "sk-valid-a", "anthropic-version": "2023-06-01", "content-type": "application/json" },
      body: "{nope",
    });
    expect(aBad.status).toBe(400);
    expect(await aBad.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
  });
});

describe("server lifecycle", () => {
  test("per-request latency, and stop() ends promptly with a stream open", async () => {
    const local = await startMockLlm({ chunkDelayMs: 5 });
    const client = new OpenAI({ apiKey: "sk-valid-alice", baseURL: local.openaiBaseUrl, maxRetries: 0 });
    const started = performance.now();
    await client.models.list({ headers: { "x-mock-latency-ms": "60" } });
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);

    const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages: userMessage, stream: true }, { headers: { "x-mock-chunk-delay-ms": "10000" } });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next(); // the first chunk goes out with the headers
    const pending = iterator.next();
    const stopStarted = performance.now();
    await local.stop();
    expect(performance.now() - stopStarted).toBeLessThan(1000);
    await pending.then(
      (result) => expect(result.done).toBe(true),
      (error) => expect(error).toBeInstanceOf(Error),
    );
    expect(local.count()).toBe(2);
  });
});
