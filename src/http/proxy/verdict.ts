/**
 * Whether an upstream LLM answer may be stored in the cache, plus the model and token usage it
 * reports (for "tokens saved" metrics). Only complete, successful answers are stored: a truncated,
 * filtered, failed or cut-off answer replayed from the cache would repeat the failure to every
 * later caller. Everything not known to be fine is refused (allow-lists, not deny-lists), so a new
 * upstream finish reason costs a cache miss rather than a poisoned entry.
 *
 * `detail` tokens (RFC 9211 Cache-Status `detail=`), null when storable:
 *   unparseable, error_in_body, no_choices, no_data, incomplete,
 *   finish_<reason>  (finish_length, finish_content_filter, or any other non-allowed finish_reason),
 *   status_<status>  (status_incomplete, status_failed, status_queued, status_in_progress, ...,
 *                     status_missing when there is none),
 *   stop_<reason>    (stop_max_tokens, stop_refusal, stop_model_context_window_exceeded,
 *                     stop_pause_turn, or any other non-allowed stop_reason),
 *   stream_incomplete, stream_error, stream_unparseable, stream_unsupported.
 * Reasons and statuses copied from the answer are lowercased, reduced to [a-z0-9_-] and cut to
 * 32 characters so the token is always a valid `detail=` value.
 */

export type Endpoint = "openai.chat.completions" | "openai.completions" | "openai.embeddings" | "openai.responses" | "anthropic.messages";

export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export interface Verdict {
  readonly storable: boolean;
  /** Why not stored: a short token for an RFC 9211 Cache-Status `detail=` (lowercase, [a-z0-9_-]), null when storable. */
  readonly detail: string | null;
  readonly model: string | null;
  readonly usage: Usage | null;
}

/**
 * Default bound on one pending SSE line and on one event's joined `data:`: the judge never holds
 * more than this (plus the chunk being read). A longer one makes the stream `stream_unparseable`:
 * not storable, but the bytes still pass through to the client untouched.
 */
export const MAX_EVENT_CHARS = 1 << 20;

/** OpenAI `finish_reason`s of a complete answer; `length`, `content_filter` and unknowns are refused. */
const FINISHED = new Set(["stop", "tool_calls", "function_call"]);
/** Anthropic `stop_reason`s of a complete answer; `pause_turn` is a turn the client must continue. */
const STOPPED = new Set(["end_turn", "stop_sequence", "tool_use"]);
/** n is at most 128 upstream; a stream naming more choice indexes than this is not believed. */
const MAX_CHOICES = 1024;

type Json = Record<string, unknown>;

function asObject(value: unknown): Json | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : null;
}

function nonEmpty(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function count(value: unknown): number | null {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

/** A value copied from the answer into a `detail=` token: lowercase [a-z0-9_-], at most 32 chars. */
function token(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9_-]/g, "_").slice(0, 32);
}

function usageOf(input: number | null, output: number | null): Usage | null {
  return input === null || output === null ? null : { inputTokens: input, outputTokens: output };
}

function verdict(detail: string | null, model: string | null, usage: Usage | null): Verdict {
  return { storable: detail === null, detail, model, usage };
}

/** OpenAI chat/completions usage: prompt_tokens already include cached prompt tokens. */
function openaiUsage(value: unknown): Usage | null {
  const usage = asObject(value);
  return usage === null ? null : usageOf(count(usage.prompt_tokens), count(usage.completion_tokens));
}

function responsesUsage(value: unknown): Usage | null {
  const usage = asObject(value);
  return usage === null ? null : usageOf(count(usage.input_tokens), count(usage.output_tokens));
}

/**
 * Anthropic's input_tokens exclude prompt-cache reads and writes; they are added so inputTokens is
 * the whole prompt, as OpenAI's prompt_tokens are (a cache hit here saves all of it).
 */
function anthropicInput(usage: Json): number | null {
  const input = count(usage.input_tokens);
  if (input === null) return null;
  return input + (count(usage.cache_creation_input_tokens) ?? 0) + (count(usage.cache_read_input_tokens) ?? 0);
}

/** null for an allowed finish_reason, `incomplete` for none, `finish_<reason>` otherwise. */
function finishDetail(reason: unknown): string | null {
  if (typeof reason !== "string" || reason === "") return "incomplete";
  return FINISHED.has(reason) ? null : `finish_${token(reason)}`;
}

function stopDetail(reason: unknown): string | null {
  if (typeof reason !== "string" || reason === "") return "incomplete";
  return STOPPED.has(reason) ? null : `stop_${token(reason)}`;
}

function statusDetail(status: unknown): string | null {
  if (typeof status !== "string" || status === "") return "status_missing";
  return status === "completed" ? null : `status_${token(status)}`;
}

/** A bad finish reason (first in choice order) outranks a missing one. */
function choicesDetail(choices: unknown): string | null {
  if (!Array.isArray(choices) || choices.length === 0) return "no_choices";
  let missing = false;
  for (const choice of choices) {
    const detail = finishDetail(asObject(choice)?.finish_reason);
    if (detail === "incomplete") missing = true;
    else if (detail !== null) return detail;
  }
  return missing ? "incomplete" : null;
}

/** A complete non-streamed 2xx JSON answer body. O(body) for one JSON.parse. */
export function judgeJson(endpoint: Endpoint, body: string): Verdict {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return verdict("unparseable", null, null);
  }
  const answer = asObject(parsed);
  if (answer === null) return verdict("unparseable", null, null);
  const model = nonEmpty(answer.model);
  let detail: string | null;
  let usage: Usage | null;
  switch (endpoint) {
    case "openai.chat.completions":
    case "openai.completions":
      detail = choicesDetail(answer.choices);
      usage = openaiUsage(answer.usage);
      break;
    case "openai.embeddings": {
      detail = Array.isArray(answer.data) ? null : "no_data";
      const reported = asObject(answer.usage);
      usage = reported === null ? null : usageOf(count(reported.prompt_tokens), 0);
      break;
    }
    case "openai.responses":
      detail = statusDetail(answer.status);
      usage = responsesUsage(answer.usage);
      break;
    case "anthropic.messages": {
      detail = stopDetail(answer.stop_reason);
      const reported = asObject(answer.usage);
      usage = reported === null ? null : usageOf(anthropicInput(reported), count(reported.output_tokens));
      break;
    }
  }
  // `error: null` (Responses objects carry one) is no error.
  if (asObject(answer.error) !== null) detail = "error_in_body";
  return verdict(detail, model, usage);
}

/**
 * What one endpoint's stream looks like. `failure` is sticky (an error anywhere wins over a later
 * success); `ended` is set by the terminal event, after which nothing more is read.
 */
abstract class StreamRules {
  model: string | null = null;
  usage: Usage | null = null;
  ended = false;
  failure: string | null = null;
  /** Handles a payload that is not JSON; false when it means nothing to this endpoint. */
  raw(_payload: string): boolean {
    return false;
  }
  /** One parsed event; errors were already handled by the caller. */
  abstract event(name: string, data: Json): void;
  /** The verdict's detail for a stream that reached its terminal event without a failure. */
  abstract settle(): string | null;
}

/** Chat completions and legacy completions: chunks with `choices[].finish_reason`, then `[DONE]`. */
class ChoiceStream extends StreamRules {
  /** Choice index -> whether it got a finish_reason. n>1 streams interleave choices. */
  private readonly finished = new Map<number, boolean>();
  /** First refused finish reason seen, in stream order. */
  private refused: string | null = null;

  override raw(payload: string): boolean {
    if (payload !== "[DONE]") return false;
    this.ended = true;
    return true;
  }

  override event(_name: string, chunk: Json): void {
    // Azure's first chunk (prompt_filter_results) has model "": keep the first real one.
    this.model ??= nonEmpty(chunk.model);
    this.usage = openaiUsage(chunk.usage) ?? this.usage;
    const choices = chunk.choices;
    if (!Array.isArray(choices)) return;
    for (const item of choices) {
      const choice = asObject(item);
      const index = choice === null ? null : choice.index === undefined ? 0 : count(choice.index);
      if (choice === null || index === null) return this.fail();
      const reason = choice.finish_reason;
      if (reason === null || reason === undefined || reason === "") {
        if (this.finished.has(index)) continue;
        if (this.finished.size >= MAX_CHOICES) return this.fail();
        this.finished.set(index, false);
        continue;
      }
      if (!this.finished.has(index) && this.finished.size >= MAX_CHOICES) return this.fail();
      this.finished.set(index, true);
      this.refused ??= finishDetail(reason);
    }
  }

  private fail(): void {
    this.failure = "stream_unparseable";
  }

  override settle(): string | null {
    if (this.refused !== null) return this.refused;
    if (this.finished.size === 0) return "no_choices";
    for (const done of this.finished.values()) if (!done) return "incomplete";
    return null;
  }
}

/** Responses API: typed events ending in response.completed / .failed / .incomplete. */
class ResponsesStream extends StreamRules {
  override event(name: string, data: Json): void {
    const type = typeof data.type === "string" ? data.type : name;
    const response = asObject(data.response);
    if (response !== null) this.model = nonEmpty(response.model) ?? this.model;
    switch (type) {
      case "response.completed":
        this.ended = true;
        this.usage = response === null ? null : responsesUsage(response.usage);
        // A "completed" event whose response says otherwise is believed on the response.
        if (response !== null && response.status !== undefined) this.failure = statusDetail(response.status);
        return;
      case "response.failed":
      case "response.incomplete":
        this.ended = true;
        this.usage = response === null ? null : responsesUsage(response.usage);
        this.failure = `status_${type.slice("response.".length)}`;
        return;
    }
  }

  override settle(): string | null {
    return null;
  }
}

/** Anthropic Messages: message_start, content blocks, message_delta (stop_reason), message_stop. */
class AnthropicStream extends StreamRules {
  private stopReason: unknown = null;
  private input: number | null = null;
  private output: number | null = null;

  override event(name: string, data: Json): void {
    const type = typeof data.type === "string" ? data.type : name;
    if (type === "message_start") {
      const message = asObject(data.message);
      const usage = asObject(message?.usage);
      this.model = nonEmpty(message?.model);
      if (usage !== null) {
        this.input = anthropicInput(usage);
        this.output = count(usage.output_tokens);
      }
    } else if (type === "message_delta") {
      const reason = asObject(data.delta)?.stop_reason;
      if (reason !== undefined && reason !== null) this.stopReason = reason;
      // output_tokens in message_delta are cumulative: the last one is the total.
      this.output = count(asObject(data.usage)?.output_tokens) ?? this.output;
    } else if (type === "message_stop") {
      this.ended = true;
    }
    this.usage = usageOf(this.input, this.output);
  }

  override settle(): string | null {
    return stopDetail(this.stopReason);
  }
}

/** Embeddings are never streamed: such a stream is not understood, so not stored. */
class NoStream extends StreamRules {
  override failure: string | null = "stream_unsupported";
  override event(): void {}
  override settle(): string | null {
    return null;
  }
}

function rulesFor(endpoint: Endpoint): StreamRules {
  switch (endpoint) {
    case "openai.chat.completions":
    case "openai.completions":
      return new ChoiceStream();
    case "openai.responses":
      return new ResponsesStream();
    case "anthropic.messages":
      return new AnthropicStream();
    case "openai.embeddings":
      return new NoStream();
  }
}

/** CRLF, LF or a lone CR end an SSE line (WHATWG HTML, server-sent events). */
const LINE_END = /\r\n|\r|\n/g;

/**
 * Watches a streamed (SSE) answer chunk by chunk as it passes through to the client.
 * Holds only a partial line and one event's data (each at most `maxEventChars` UTF-16 units),
 * at most MAX_CHOICES choice flags and a few fields, never the stream. Once the terminal event or
 * a failure is seen, further bytes are not even decoded.
 */
export class StreamJudge {
  private readonly rules: StreamRules;
  private readonly decoder = new TextDecoder(); // UTF-8, replaces bad bytes, strips a leading BOM
  private readonly limit: number;
  /** The unterminated tail of the text read so far. */
  private pending = "";
  /** The last chunk ended in CR: an LF opening the next one belongs to that CRLF. */
  private skipLf = false;
  private eventName = "";
  private data: string | null = null;
  private result: Verdict | null = null;

  constructor(endpoint: Endpoint, maxEventChars: number = MAX_EVENT_CHARS) {
    this.rules = rulesFor(endpoint);
    this.limit = maxEventChars;
  }

  /** The terminal event has been seen: what follows is the end of the body, not more answer. */
  get finished(): boolean {
    return this.rules.ended;
  }

  private get closed(): boolean {
    return this.rules.ended || this.rules.failure !== null || this.result !== null;
  }

  /**
   * Feed raw bytes as they arrive (arbitrary chunk boundaries: an event, a line, even a multi-byte
   * UTF-8 character may be split). O(chunk) amortized: each character is decoded, scanned for line
   * ends and JSON-parsed once, when its event completes.
   */
  push(chunk: Uint8Array): void {
    if (this.closed) return;
    let text = this.decoder.decode(chunk, { stream: true });
    if (text === "") return; // only part of a multi-byte character: keep skipLf as it is
    if (this.skipLf) {
      this.skipLf = false;
      if (text.charCodeAt(0) === 10) text = text.slice(1);
    }
    let start = 0;
    for (;;) {
      LINE_END.lastIndex = start; // shared regex: set before every use
      const match = LINE_END.exec(text);
      if (match === null) break;
      const piece = text.slice(start, match.index);
      const line = this.pending === "" ? piece : this.pending + piece;
      this.pending = "";
      start = match.index + match[0].length;
      if (match[0] === "\r" && start === text.length) this.skipLf = true;
      if (line.length > this.limit) return this.overflow();
      this.line(line);
      if (this.closed) return;
    }
    if (start === text.length) return;
    // Checked as it grows, so an endless line is refused before it is held in full.
    if (this.pending.length + text.length - start > this.limit) return this.overflow();
    this.pending += text.slice(start); // ropes: O(piece), flattened once when the line completes
  }

  /** The upstream ended its body normally: the verdict on the whole stream. */
  end(): Verdict {
    if (this.result !== null) return this.result;
    // An unterminated last event is discarded, as an EventSource does at end of stream.
    this.pending = "";
    this.data = null;
    const rules = this.rules;
    const detail = rules.failure ?? (rules.ended ? rules.settle() : "stream_incomplete");
    this.result = verdict(detail, rules.model, rules.usage);
    return this.result;
  }

  private overflow(): void {
    this.pending = "";
    this.data = null;
    this.rules.failure ??= "stream_unparseable";
  }

  private line(line: string): void {
    if (line === "") return this.dispatch();
    if (line.charCodeAt(0) === 58) return; // ":" comment, e.g. keep-alives
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === "event") {
      this.eventName = value;
    } else if (field === "data") {
      this.data = this.data === null ? value : `${this.data}\n${value}`;
      if (this.data.length > this.limit) this.overflow();
    }
    // id, retry and unknown fields mean nothing here.
  }

  /** A blank line ends an event; one without data is not dispatched (as in EventSource). */
  private dispatch(): void {
    const name = this.eventName;
    const payload = this.data;
    this.eventName = "";
    this.data = null;
    if (payload === null) return;
    const rules = this.rules;
    if (rules.raw(payload)) return;
    let data: Json | null;
    try {
      data = asObject(JSON.parse(payload));
    } catch {
      data = null;
    }
    if (data === null) {
      rules.failure = "stream_unparseable";
      return;
    }
    // OpenAI puts {"error": {...}} mid-stream; Anthropic and Responses send an `error` event.
    if (name === "error" || data.type === "error" || asObject(data.error) !== null) {
      rules.failure = "stream_error";
      return;
    }
    rules.event(name, data);
  }
}
