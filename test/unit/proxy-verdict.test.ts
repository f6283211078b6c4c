import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { type Endpoint, judgeJson, MAX_EVENT_CHARS, StreamJudge, type Verdict } from "../../src/http/proxy/verdict.ts";

const encoder = new TextEncoder();
const DETAIL = /^[a-z0-9_-]+$/;

/** Feeds `raw` cut at the given byte offsets (ascending), then ends the stream. */
function judgeStream(endpoint: Endpoint, raw: string | Uint8Array, cuts: readonly number[] = [], limit?: number): Verdict {
  const bytes = typeof raw === "string" ? encoder.encode(raw) : raw;
  const judge = new StreamJudge(endpoint, limit);
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    judge.push(bytes.subarray(at, cut));
    at = cut;
  }
  return judge.end();
}

function refused(verdict: Verdict, detail: string): void {
  expect(verdict.storable).toBe(false);
  expect(verdict.detail).toBe(detail);
}

function stored(verdict: Verdict): void {
  expect(verdict.detail).toBeNull();
  expect(verdict.storable).toBe(true);
}

const json = (value: unknown): string => JSON.stringify(value);
const data = (value: unknown): string => `data: ${json(value)}\n\n`;
const named = (name: string, value: unknown): string => `event: ${name}\ndata: ${json(value)}\n\n`;
const DONE = "data: [DONE]\n\n";
const crlf = (raw: string): string => raw.replaceAll("\n", "\r\n");
const cr = (raw: string): string => raw.replaceAll("\n", "\r");

// ---------------------------------------------------------------- sample answers

const chatChunk = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
  data({ id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini", choices, ...extra });
const delta = (index: number, content: string, finish: string | null = null) => ({ index, delta: { content }, finish_reason: finish });

const CHAT_STREAM =
  chatChunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]) +
  ": keep-alive\n\n" +
  chatChunk([delta(0, "Héllo 👋 — 世界")]) +
  chatChunk([delta(0, "", "stop")]) +
  chatChunk([], { usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 } }) +
  DONE;

const COMPLETIONS_STREAM =
  data({ id: "cmpl-1", object: "text_completion", model: "gpt-3.5-turbo-instruct", choices: [{ text: "Héllo", index: 0, finish_reason: null }] }) +
  data({ id: "cmpl-1", object: "text_completion", model: "gpt-3.5-turbo-instruct", choices: [{ text: " 👋", index: 0, finish_reason: "stop" }] }) +
  DONE;

const responseObject = (status: string, usage: unknown = null) => ({ id: "resp_1", object: "response", status, model: "gpt-4.1-2025-04-14", error: null, usage });
const RESPONSES_STREAM =
  named("response.created", { type: "response.created", sequence_number: 0, response: responseObject("in_progress") }) +
  named("response.in_progress", { type: "response.in_progress", sequence_number: 1, response: responseObject("in_progress") }) +
  named("response.output_text.delta", { type: "response.output_text.delta", sequence_number: 2, item_id: "msg_1", delta: "Héllo 👋" }) +
  named("response.completed", {
    type: "response.completed",
    sequence_number: 3,
    response: responseObject("completed", { input_tokens: 20, output_tokens: 7, total_tokens: 27 }),
  });

const messageStart = named("message_start", {
  type: "message_start",
  message: {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-5",
    content: [],
    stop_reason: null,
    usage: { input_tokens: 25, cache_read_input_tokens: 100, cache_creation_input_tokens: 0, output_tokens: 1 },
  },
});
const messageDelta = (stopReason: string | null, outputTokens = 15) =>
  named("message_delta", { type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } });
const MESSAGE_STOP = named("message_stop", { type: "message_stop" });
const anthropicStream = (stopReason: string | null) =>
  messageStart +
  named("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }) +
  named("ping", { type: "ping" }) +
  named("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Héllo 👋" } }) +
  named("content_block_stop", { type: "content_block_stop", index: 0 }) +
  messageDelta(stopReason) +
  MESSAGE_STOP;
const ANTHROPIC_STREAM = anthropicStream("end_turn");

// ---------------------------------------------------------------- non-streamed answers

describe("judgeJson: openai.chat.completions", () => {
  const answer = (choices: unknown, extra: Record<string, unknown> = {}) =>
    json({ id: "chatcmpl-1", object: "chat.completion", model: "gpt-4o-mini", choices, usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 }, ...extra });
  const choice = (finish: unknown) => ({ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: finish });

  test("a finished answer is storable, with its model and usage", () => {
    const verdict = judgeJson("openai.chat.completions", answer([choice("stop")]));
    expect(verdict).toEqual({ storable: true, detail: null, model: "gpt-4o-mini", usage: { inputTokens: 9, outputTokens: 3 } });
  });
  test("tool calls and function calls are complete answers", () => {
    stored(judgeJson("openai.chat.completions", answer([{ ...choice("tool_calls"), message: { role: "assistant", tool_calls: [{ id: "c", type: "function" }] } }])));
    stored(judgeJson("openai.chat.completions", answer([choice("function_call")])));
  });
  test("truncated, filtered and unfinished choices are refused", () => {
    refused(judgeJson("openai.chat.completions", answer([choice("length")])), "finish_length");
    refused(judgeJson("openai.chat.completions", answer([choice("content_filter")])), "finish_content_filter");
    refused(judgeJson("openai.chat.completions", answer([choice(null)])), "incomplete");
    refused(judgeJson("openai.chat.completions", answer([{ index: 0, message: {} }])), "incomplete");
  });
  test("unknown finish reasons are refused, named safely", () => {
    refused(judgeJson("openai.chat.completions", answer([choice("model_length")])), "finish_model_length");
    refused(judgeJson("openai.chat.completions", answer([choice("Weird Reason!")])), "finish_weird_reason_");
  });
  test("with n=2, one bad choice refuses the answer; a bad reason outranks a missing one", () => {
    refused(judgeJson("openai.chat.completions", answer([choice("stop"), { ...choice("length"), index: 1 }])), "finish_length");
    refused(judgeJson("openai.chat.completions", answer([choice(null), { ...choice("content_filter"), index: 1 }])), "finish_content_filter");
    stored(judgeJson("openai.chat.completions", answer([choice("stop"), { ...choice("tool_calls"), index: 1 }])));
  });
  test("no choices", () => {
    refused(judgeJson("openai.chat.completions", answer([])), "no_choices");
    refused(judgeJson("openai.chat.completions", json({ model: "m" })), "no_choices");
  });
  test("missing or malformed usage and model are null, not guessed", () => {
    const verdict = judgeJson("openai.chat.completions", json({ choices: [choice("stop")], usage: { prompt_tokens: 1.5, completion_tokens: 2 } }));
    expect(verdict).toEqual({ storable: true, detail: null, model: null, usage: null });
    expect(judgeJson("openai.chat.completions", json({ model: "", choices: [choice("stop")] })).model).toBeNull();
    expect(judgeJson("openai.chat.completions", json({ choices: [choice("stop")], usage: { prompt_tokens: -1, completion_tokens: 2 } })).usage).toBeNull();
  });
  test("an error object in a 2xx body", () => {
    refused(judgeJson("openai.chat.completions", json({ error: { message: "overloaded", type: "server_error" } })), "error_in_body");
    refused(judgeJson("openai.chat.completions", answer([choice("stop")], { error: { message: "x" } })), "error_in_body");
  });
  test("unparseable bodies", () => {
    for (const body of ["", "{", "not json", '{"choices": [}', "null", "42", '"text"', "[]"]) {
      expect(judgeJson("openai.chat.completions", body)).toEqual({ storable: false, detail: "unparseable", model: null, usage: null });
    }
  });
});

describe("judgeJson: openai.completions (legacy)", () => {
  const answer = (...finishes: unknown[]) =>
    json({
      object: "text_completion",
      model: "gpt-3.5-turbo-instruct",
      choices: finishes.map((finish, index) => ({ text: "x", index, finish_reason: finish })),
      usage: { prompt_tokens: 4, completion_tokens: 1 },
    });
  test("same finish_reason rules", () => {
    expect(judgeJson("openai.completions", answer("stop"))).toEqual({ storable: true, detail: null, model: "gpt-3.5-turbo-instruct", usage: { inputTokens: 4, outputTokens: 1 } });
    refused(judgeJson("openai.completions", answer("length")), "finish_length");
    refused(judgeJson("openai.completions", answer("content_filter")), "finish_content_filter");
    refused(judgeJson("openai.completions", answer("stop", null)), "incomplete");
  });
});

describe("judgeJson: openai.embeddings", () => {
  test("a data array is storable; usage is prompt_tokens in, 0 out", () => {
    const body = json({ object: "list", data: [{ object: "embedding", index: 0, embedding: [0.1, -0.2] }], model: "text-embedding-3-small", usage: { prompt_tokens: 8, total_tokens: 8 } });
    expect(judgeJson("openai.embeddings", body)).toEqual({ storable: true, detail: null, model: "text-embedding-3-small", usage: { inputTokens: 8, outputTokens: 0 } });
    expect(judgeJson("openai.embeddings", json({ data: [] })).usage).toBeNull();
  });
  test("no data, or an error", () => {
    refused(judgeJson("openai.embeddings", json({ object: "list", model: "m" })), "no_data");
    refused(judgeJson("openai.embeddings", json({ data: "nope" })), "no_data");
    refused(judgeJson("openai.embeddings", json({ error: { message: "bad" } })), "error_in_body");
  });
});

describe("judgeJson: openai.responses", () => {
  test("completed is storable, error: null is no error", () => {
    const body = json(responseObject("completed", { input_tokens: 20, output_tokens: 7, total_tokens: 27 }));
    expect(judgeJson("openai.responses", body)).toEqual({ storable: true, detail: null, model: "gpt-4.1-2025-04-14", usage: { inputTokens: 20, outputTokens: 7 } });
  });
  test("any other status is refused as status_<status>", () => {
    for (const status of ["incomplete", "failed", "queued", "in_progress", "cancelled"]) {
      refused(judgeJson("openai.responses", json(responseObject(status))), `status_${status}`);
    }
  });
  test("a missing or odd status", () => {
    refused(judgeJson("openai.responses", json({ id: "resp_1" })), "status_missing");
    refused(judgeJson("openai.responses", json({ status: 3 })), "status_missing");
    refused(judgeJson("openai.responses", json({ status: "Still Going!" })), "status_still_going_");
    const long = judgeJson("openai.responses", json({ status: "x".repeat(100) })).detail ?? "";
    expect(long).toBe(`status_${"x".repeat(32)}`);
  });
  test("a failed response with its error object", () => {
    refused(judgeJson("openai.responses", json({ ...responseObject("failed"), error: { code: "server_error", message: "x" } })), "error_in_body");
  });
});

describe("judgeJson: anthropic.messages", () => {
  const answer = (stopReason: unknown, usage: unknown = { input_tokens: 10, output_tokens: 4 }) =>
    json({ id: "msg_1", type: "message", role: "assistant", model: "claude-sonnet-4-5", content: [{ type: "text", text: "hi" }], stop_reason: stopReason, usage });
  test("finished turns are storable", () => {
    expect(judgeJson("anthropic.messages", answer("end_turn"))).toEqual({ storable: true, detail: null, model: "claude-sonnet-4-5", usage: { inputTokens: 10, outputTokens: 4 } });
    stored(judgeJson("anthropic.messages", answer("tool_use")));
    stored(judgeJson("anthropic.messages", answer("stop_sequence")));
  });
  test("prompt-cache reads and writes count as input", () => {
    const usage = { input_tokens: 10, cache_creation_input_tokens: 200, cache_read_input_tokens: 1000, output_tokens: 4 };
    expect(judgeJson("anthropic.messages", answer("end_turn", usage)).usage).toEqual({ inputTokens: 1210, outputTokens: 4 });
    expect(judgeJson("anthropic.messages", answer("end_turn", { output_tokens: 4 })).usage).toBeNull();
    expect(judgeJson("anthropic.messages", answer("end_turn", null)).usage).toBeNull();
  });
  test("truncated, refused and unfinished turns are refused", () => {
    refused(judgeJson("anthropic.messages", answer("max_tokens")), "stop_max_tokens");
    refused(judgeJson("anthropic.messages", answer("refusal")), "stop_refusal");
    refused(judgeJson("anthropic.messages", answer("model_context_window_exceeded")), "stop_model_context_window_exceeded");
    refused(judgeJson("anthropic.messages", answer("pause_turn")), "stop_pause_turn");
    refused(judgeJson("anthropic.messages", answer(null)), "incomplete");
  });
  test("an error body", () => {
    refused(judgeJson("anthropic.messages", json({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } })), "error_in_body");
  });
});

test("judgeJson never throws and always gives a valid detail token", () => {
  const endpoints: Endpoint[] = ["openai.chat.completions", "openai.completions", "openai.embeddings", "openai.responses", "anthropic.messages"];
  fc.assert(
    fc.property(fc.constantFrom(...endpoints), fc.oneof(fc.json(), fc.string()), (endpoint, body) => {
      const verdict = judgeJson(endpoint, body);
      expect(verdict.storable).toBe(verdict.detail === null);
      if (verdict.detail !== null) expect(verdict.detail).toMatch(DETAIL);
    }),
    { numRuns: 500 },
  );
});

// ---------------------------------------------------------------- streamed answers

describe("StreamJudge: openai.chat.completions", () => {
  test("a finished stream is storable, model from the first chunk, usage from the include_usage chunk", () => {
    expect(judgeStream("openai.chat.completions", CHAT_STREAM)).toEqual({ storable: true, detail: null, model: "gpt-4o-mini", usage: { inputTokens: 12, outputTokens: 5 } });
  });
  test("without include_usage, usage is null", () => {
    const verdict = judgeStream("openai.chat.completions", chatChunk([delta(0, "hi", "stop")]) + DONE);
    expect(verdict).toEqual({ storable: true, detail: null, model: "gpt-4o-mini", usage: null });
  });
  test("the model is the first non-empty one (Azure's first chunk has model \"\")", () => {
    const raw = data({ model: "", choices: [], prompt_filter_results: [] }) + chatChunk([delta(0, "hi", "stop")]) + chatChunk([delta(0, "")], { model: "other" }) + DONE;
    expect(judgeStream("openai.chat.completions", raw).model).toBe("gpt-4o-mini");
  });
  test("no [DONE] means the stream was cut", () => {
    refused(judgeStream("openai.chat.completions", chatChunk([delta(0, "hi", "stop")])), "stream_incomplete");
    refused(judgeStream("openai.chat.completions", ""), "stream_incomplete");
  });
  test("a final event without its blank line is not dispatched", () => {
    refused(judgeStream("openai.chat.completions", `${chatChunk([delta(0, "hi", "stop")])}data: [DONE]`), "stream_incomplete");
    refused(judgeStream("openai.chat.completions", `${chatChunk([delta(0, "hi", "stop")])}data: [DONE]\n`), "stream_incomplete");
    stored(judgeStream("openai.chat.completions", `${chatChunk([delta(0, "hi", "stop")])}data:[DONE]\n\n`));
  });
  test("a [DONE] inside a JSON string does not count", () => {
    const raw = chatChunk([delta(0, "hi", "stop")]) + chatChunk([delta(0, "[DONE]")]) + chatChunk([delta(0, "data: [DONE]\n\n")]);
    expect(raw).toContain("data: [DONE]");
    refused(judgeStream("openai.chat.completions", raw), "stream_incomplete");
  });
  test("an error payload refuses the stream, even if it then finishes", () => {
    const error = data({ error: { message: "The server had an error", type: "server_error" } });
    refused(judgeStream("openai.chat.completions", chatChunk([delta(0, "hi")]) + error + chatChunk([delta(0, "", "stop")]) + DONE), "stream_error");
    refused(judgeStream("openai.chat.completions", `event: error\ndata: {"message":"x"}\n\n${DONE}`), "stream_error");
  });
  test("events after [DONE] are ignored", () => {
    const raw = chatChunk([delta(0, "hi", "stop")]) + DONE + data({ error: { message: "late" } }) + "data: {broken\n\n";
    stored(judgeStream("openai.chat.completions", raw));
  });
  test("length and content_filter finishes", () => {
    refused(judgeStream("openai.chat.completions", chatChunk([delta(0, "hi", "length")]) + DONE), "finish_length");
    refused(judgeStream("openai.chat.completions", chatChunk([delta(0, "hi", "content_filter")]) + DONE), "finish_content_filter");
    refused(judgeStream("openai.chat.completions", chatChunk([delta(0, "hi", "abort")]) + DONE), "finish_abort");
  });
  test("a choice that never finished", () => {
    refused(judgeStream("openai.chat.completions", chatChunk([delta(0, "hi")]) + DONE), "incomplete");
    refused(judgeStream("openai.chat.completions", chatChunk([], { usage: { prompt_tokens: 1, completion_tokens: 0 } }) + DONE), "no_choices");
  });
  const interleaved = (finish1: string | null) =>
    chatChunk([delta(0, "A")]) +
    chatChunk([delta(1, "B")]) +
    chatChunk([delta(1, "b", finish1)]) +
    chatChunk([delta(0, "a")]) +
    chatChunk([delta(0, "", "stop")]) +
    chatChunk([], { usage: { prompt_tokens: 3, completion_tokens: 4 } }) +
    DONE;
  test("n=2 interleaved choices are tracked per index", () => {
    expect(judgeStream("openai.chat.completions", interleaved("stop"))).toEqual({ storable: true, detail: null, model: "gpt-4o-mini", usage: { inputTokens: 3, outputTokens: 4 } });
    refused(judgeStream("openai.chat.completions", interleaved("length")), "finish_length");
    refused(judgeStream("openai.chat.completions", interleaved(null)), "incomplete");
  });
  test("tool-call deltas are fine", () => {
    const call = (args: string, extra: Record<string, unknown> = {}) => ({ index: 0, ...extra, function: { arguments: args } });
    const raw =
      chatChunk([{ index: 0, delta: { role: "assistant", content: null, tool_calls: [call("", { id: "call_1", type: "function", function: { name: "get_weather", arguments: "" } })] }, finish_reason: null }]) +
      chatChunk([{ index: 0, delta: { tool_calls: [call('{"city":')] }, finish_reason: null }]) +
      chatChunk([{ index: 0, delta: { tool_calls: [call('"Paris"}')] }, finish_reason: null }]) +
      chatChunk([{ index: 0, delta: {}, finish_reason: "tool_calls" }]) +
      DONE;
    stored(judgeStream("openai.chat.completions", raw));
  });
  test("a data payload may span several lines", () => {
    const raw = 'data: {"model":"gpt-4o-mini",\ndata: "choices":[{"index":0,"delta":{"content":"hi"},\ndata:"finish_reason":"stop"}]}\n\n' + DONE;
    expect(judgeStream("openai.chat.completions", raw)).toEqual({ storable: true, detail: null, model: "gpt-4o-mini", usage: null });
  });
  test("comments, id, retry and data-less events are ignored; a missing choice index is 0", () => {
    const raw = `: ping\nid: 7\nretry: 1000\n\nevent: nothing\n\n${data({ choices: [{ delta: { content: "hi" }, finish_reason: "stop" }] })}${DONE}`;
    stored(judgeStream("openai.chat.completions", raw));
  });
  test("payloads that are not chunks", () => {
    refused(judgeStream("openai.chat.completions", `data: {broken\n\n${DONE}`), "stream_unparseable");
    refused(judgeStream("openai.chat.completions", `data: 42\n\n${DONE}`), "stream_unparseable");
    refused(judgeStream("openai.chat.completions", `data: [DONE] \n\n`), "stream_unparseable");
    refused(judgeStream("openai.chat.completions", chatChunk([{ index: -1, finish_reason: "stop" }]) + DONE), "stream_unparseable");
    refused(judgeStream("openai.chat.completions", chatChunk(["text"]) + DONE), "stream_unparseable");
  });
  test("choice tracking is bounded", () => {
    const many = Array.from({ length: 1025 }, (_, index) => delta(index, "x"));
    refused(judgeStream("openai.chat.completions", chatChunk(many) + DONE), "stream_unparseable");
    const full = Array.from({ length: 1024 }, (_, index) => delta(index, "x", "stop"));
    stored(judgeStream("openai.chat.completions", chatChunk(full) + DONE));
    refused(judgeStream("openai.chat.completions", chatChunk(full) + chatChunk([delta(5000, "x", "stop")]) + DONE), "stream_unparseable");
  });
});

describe("StreamJudge: openai.completions (legacy)", () => {
  test("same rules as chat", () => {
    expect(judgeStream("openai.completions", COMPLETIONS_STREAM)).toEqual({ storable: true, detail: null, model: "gpt-3.5-turbo-instruct", usage: null });
    refused(judgeStream("openai.completions", COMPLETIONS_STREAM.replace('"stop"', '"length"')), "finish_length");
    refused(judgeStream("openai.completions", COMPLETIONS_STREAM.replace(DONE, "")), "stream_incomplete");
  });
});

describe("StreamJudge: openai.responses", () => {
  test("response.completed makes it storable, usage and model from its response", () => {
    expect(judgeStream("openai.responses", RESPONSES_STREAM)).toEqual({ storable: true, detail: null, model: "gpt-4.1-2025-04-14", usage: { inputTokens: 20, outputTokens: 7 } });
  });
  test("the terminal event is recognized by its event name alone", () => {
    const raw = named("response.completed", { response: responseObject("completed", { input_tokens: 1, output_tokens: 2 }) });
    expect(judgeStream("openai.responses", raw)).toEqual({ storable: true, detail: null, model: "gpt-4.1-2025-04-14", usage: { inputTokens: 1, outputTokens: 2 } });
    stored(judgeStream("openai.responses", data({ type: "response.completed" })));
  });
  test("failed, incomplete and error events", () => {
    const created = named("response.created", { type: "response.created", response: responseObject("in_progress") });
    const failed = judgeStream("openai.responses", created + named("response.failed", { type: "response.failed", response: { ...responseObject("failed"), error: { code: "server_error" } } }));
    expect(failed).toEqual({ storable: false, detail: "status_failed", model: "gpt-4.1-2025-04-14", usage: null });
    refused(judgeStream("openai.responses", created + named("response.incomplete", { type: "response.incomplete", response: responseObject("incomplete", { input_tokens: 1, output_tokens: 2 }) })), "status_incomplete");
    refused(judgeStream("openai.responses", created + named("error", { type: "error", code: "server_error", message: "x", param: null })), "stream_error");
  });
  test("a completed event whose response says otherwise", () => {
    refused(judgeStream("openai.responses", named("response.completed", { type: "response.completed", response: responseObject("incomplete") })), "status_incomplete");
  });
  test("no terminal event", () => {
    refused(judgeStream("openai.responses", RESPONSES_STREAM.slice(0, RESPONSES_STREAM.indexOf("event: response.completed"))), "stream_incomplete");
  });
  test("an error wins over a later completion; events after completion are ignored", () => {
    refused(judgeStream("openai.responses", named("error", { type: "error", message: "x" }) + RESPONSES_STREAM), "stream_error");
    stored(judgeStream("openai.responses", RESPONSES_STREAM + named("error", { type: "error", message: "late" })));
  });
});

describe("StreamJudge: anthropic.messages", () => {
  test("message_stop after end_turn is storable; input from message_start (with cache), output from the last message_delta", () => {
    expect(judgeStream("anthropic.messages", ANTHROPIC_STREAM)).toEqual({ storable: true, detail: null, model: "claude-sonnet-4-5", usage: { inputTokens: 125, outputTokens: 15 } });
  });
  test("output tokens fall back to message_start's when no message_delta carries usage", () => {
    const raw = messageStart + named("message_delta", { type: "message_delta", delta: { stop_reason: "end_turn" } }) + MESSAGE_STOP;
    expect(judgeStream("anthropic.messages", raw).usage).toEqual({ inputTokens: 125, outputTokens: 1 });
  });
  test("stop reasons", () => {
    refused(judgeStream("anthropic.messages", anthropicStream("max_tokens")), "stop_max_tokens");
    refused(judgeStream("anthropic.messages", anthropicStream("refusal")), "stop_refusal");
    stored(judgeStream("anthropic.messages", anthropicStream("tool_use")));
    refused(judgeStream("anthropic.messages", messageStart + MESSAGE_STOP), "incomplete");
  });
  test("no message_stop", () => {
    refused(judgeStream("anthropic.messages", messageStart + messageDelta("end_turn")), "stream_incomplete");
  });
  test("an error event, by name or by data type, wins over a later message_stop", () => {
    const error = { type: "error", error: { type: "overloaded_error", message: "Overloaded" } };
    refused(judgeStream("anthropic.messages", messageStart + named("error", error) + messageDelta("end_turn") + MESSAGE_STOP), "stream_error");
    refused(judgeStream("anthropic.messages", messageStart + data(error) + messageDelta("end_turn") + MESSAGE_STOP), "stream_error");
    refused(judgeStream("anthropic.messages", `${messageStart}event: error\ndata: {}\n\n${messageDelta("end_turn")}${MESSAGE_STOP}`), "stream_error");
  });
  test("events after message_stop are ignored", () => {
    stored(judgeStream("anthropic.messages", `${ANTHROPIC_STREAM}${named("error", { type: "error" })}data: {broken\n\n`));
  });
});

describe("StreamJudge: framing", () => {
  test("CRLF and CR line endings", () => {
    expect(judgeStream("openai.chat.completions", crlf(CHAT_STREAM))).toEqual(judgeStream("openai.chat.completions", CHAT_STREAM));
    expect(judgeStream("anthropic.messages", crlf(ANTHROPIC_STREAM))).toEqual(judgeStream("anthropic.messages", ANTHROPIC_STREAM));
    expect(judgeStream("openai.responses", cr(RESPONSES_STREAM))).toEqual(judgeStream("openai.responses", RESPONSES_STREAM));
  });
  test("an empty chunk between CR and LF does not make an extra blank line", () => {
    const raw = crlf('data: {"model":"m",\ndata: "choices":[{"index":0,"finish_reason":"stop"}]}\n\n' + DONE);
    const cut = raw.indexOf("\r") + 1;
    stored(judgeStream("openai.chat.completions", raw, [cut, cut, cut]));
  });
  test("a leading byte-order mark is skipped", () => {
    stored(judgeStream("openai.chat.completions", `\uFEFF${CHAT_STREAM}`));
  });
  test("invalid UTF-8 inside a string does not break parsing", () => {
    const head = encoder.encode('data: {"model":"m","choices":[{"index":0,"delta":{"content":"');
    const tail = encoder.encode(`"},"finish_reason":"stop"}]}\n\n${DONE}`);
    stored(judgeStream("openai.chat.completions", new Uint8Array([...head, 0xff, 0xc3, ...tail])));
  });
  test("an embeddings stream is not understood", () => {
    refused(judgeStream("openai.embeddings", `data: {"data":[]}\n\n${DONE}`), "stream_unsupported");
  });
  test("end() is final: it repeats its verdict and later pushes are ignored", () => {
    const judge = new StreamJudge("openai.chat.completions");
    judge.push(encoder.encode(chatChunk([delta(0, "hi", "stop")])));
    const first = judge.end();
    judge.push(encoder.encode(DONE));
    expect(judge.end()).toBe(first);
    expect(first.detail).toBe("stream_incomplete");
  });
});

describe("StreamJudge: bounded memory", () => {
  test("a line longer than the default 1 MiB limit makes the stream unparseable", () => {
    const padding = "x".repeat(MAX_EVENT_CHARS);
    refused(judgeStream("openai.chat.completions", chatChunk([delta(0, padding, "stop")]) + DONE), "stream_unparseable");
  });
  test("an endless line is refused while it grows, never held in full", () => {
    const judge = new StreamJudge("openai.chat.completions", 1000);
    const piece = encoder.encode(`data: "${"y".repeat(99)}`);
    for (let i = 0; i < 11; i++) judge.push(piece);
    // After the refusal nothing more is read, not even a well-formed ending.
    judge.push(encoder.encode(`"\n\n${DONE}`));
    refused(judge.end(), "stream_unparseable");
  });
  test("the limit is per line and per event, not per stream", () => {
    const event = chatChunk([delta(0, "z".repeat(400))]);
    const raw = event.repeat(20) + chatChunk([delta(0, "", "stop")]) + DONE;
    expect(raw.length).toBeGreaterThan(8000);
    stored(judgeStream("openai.chat.completions", raw, [], 1000));
    // One event whose data lines together pass the limit.
    const lines = `data: ${"[".repeat(300)}\n`.repeat(4);
    refused(judgeStream("openai.chat.completions", `${lines}\n${DONE}`, [], 1000), "stream_unparseable");
  });
  test("a line exactly at the limit is accepted", () => {
    const line = `data: ${json({ choices: [delta(0, "", "stop")] })}`;
    stored(judgeStream("openai.chat.completions", `${line}\n\n${DONE}`, [], line.length));
    refused(judgeStream("openai.chat.completions", `${line}\n\n${DONE}`, [], line.length - 1), "stream_unparseable");
  });
});

// ---------------------------------------------------------------- split independence

const SAMPLES: [string, Endpoint, string][] = [
  ["chat", "openai.chat.completions", CHAT_STREAM],
  ["chat n=2 cut short", "openai.chat.completions", chatChunk([delta(0, "é")]) + chatChunk([delta(1, "👋", "length")]) + chatChunk([delta(0, "", "stop")]) + DONE],
  ["chat error", "openai.chat.completions", chatChunk([delta(0, "é")]) + data({ error: { message: "boom" } }) + DONE],
  ["chat [DONE] in a string", "openai.chat.completions", chatChunk([delta(0, "data: [DONE]\n\n", "stop")]) + "data: [DONE]\n"],
  ["chat multi-line data", "openai.chat.completions", 'data: {"model":"m",\ndata: "choices":[{"index":0,"delta":{"content":"é"},\ndata: "finish_reason":"stop"}]}\n\n' + DONE],
  ["completions", "openai.completions", COMPLETIONS_STREAM],
  ["responses", "openai.responses", RESPONSES_STREAM],
  ["anthropic", "anthropic.messages", ANTHROPIC_STREAM],
  ["anthropic max_tokens", "anthropic.messages", anthropicStream("max_tokens")],
];

describe("the verdict does not depend on how the bytes are split", () => {
  for (const [name, endpoint, text] of SAMPLES) {
    for (const [framing, raw] of [
      ["LF", text],
      ["CRLF", crlf(text)],
      ["CR", cr(text)],
    ] as const) {
      const bytes = encoder.encode(raw);
      const whole = judgeStream(endpoint, bytes);
      test(`${name} (${framing}): every two-way split and byte by byte`, () => {
        if (whole.detail !== null) expect(whole.detail).toMatch(DETAIL);
        for (let cut = 0; cut <= bytes.length; cut++) expect(judgeStream(endpoint, bytes, [cut])).toEqual(whole);
        expect(judgeStream(endpoint, bytes, Array.from({ length: bytes.length }, (_, i) => i))).toEqual(whole);
      });
      test(`${name} (${framing}): random splits, empty chunks included`, () => {
        const cuts = fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 40 }).map((list) => list.sort((a, b) => a - b));
        fc.assert(fc.property(cuts, (list) => expect(judgeStream(endpoint, bytes, list)).toEqual(whole)), { numRuns: 200 });
      });
    }
  }
  test("the expected verdicts of the samples", () => {
    const details = SAMPLES.map(([, endpoint, raw]) => judgeStream(endpoint, raw).detail);
    expect(details).toEqual([null, "finish_length", "stream_error", "stream_incomplete", null, null, null, null, "stop_max_tokens"]);
  });
});

test("random bytes never throw and always give a valid detail token", () => {
  const endpoints: Endpoint[] = ["openai.chat.completions", "openai.responses", "anthropic.messages"];
  const pieces = fc.constantFrom("data: ", "event: ", "error", "\n", "\r", "\r\n", ":", "[DONE]", '{"type":"message_stop"}', '{"choices":[{"finish_reason":"stop"}]}', "{", "é");
  fc.assert(
    fc.property(fc.constantFrom(...endpoints), fc.array(pieces, { maxLength: 30 }), (endpoint, parts) => {
      const verdict = judgeStream(endpoint, parts.join(""));
      expect(verdict.storable).toBe(verdict.detail === null);
      if (verdict.detail !== null) expect(verdict.detail).toMatch(DETAIL);
    }),
    { numRuns: 500 },
  );
});
