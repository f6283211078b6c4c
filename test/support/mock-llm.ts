/**
 * A faithful mock of the LLM upstreams (OpenAI and Anthropic), the only mock the proxy tests allow.
 *
 * It speaks the real wire protocols closely enough that the official `openai` and
 * `@anthropic-ai/sdk` clients parse its answers, JSON and streamed (see mock-llm.test.ts, which
 * points both SDKs directly at it). Every request is recorded in `calls`; every answer carries the
 * request's serial number (1 for the first request the server received, 2 for the next...) in its
 * ids (`chatcmpl-mock-<serial>`, `resp_mock_<serial>`, `msg_mock_<serial>`...), in the generated
 * text and in an `x-mock-serial` response header, so a test can tell two upstream calls apart.
 * Apart from the serial (and `created` timestamps) the content is a pure function of the request.
 *
 * Per-request control headers (all optional):
 *   x-mock-scenario:        ok (default) | length | content_filter | tools | error-<status>
 *                           (error-400, -401, -403, -404, -429, -500, -503, -529...) | stream-error | stream-drop
 *   x-mock-latency-ms:      delay before the response headers (overrides options.latencyMs)
 *   x-mock-chunk-delay-ms:  delay between two stream events (overrides options.chunkDelayMs)
 *   x-mock-content-encoding: gzip  gzip the successful JSON answers (as the real APIs do when
 *                           the client accepts it); streams and errors stay uncompressed
 *
 * Auth: OpenAI paths (`/v1/...` but `/v1/messages*`) need `Authorization: Bearer sk-valid...`;
 * Anthropic `/v1/messages*` need `x-api-key: sk-valid...` (or `Authorization: Bearer sk-valid...`,
 * which is how @anthropic-ai/sdk 1.x sends its apiKey) and an `anthropic-version` header. The helper
 * endpoints `/__echo/*`, `/v1/__echo/*` and `/v1/__stream/*` need no auth.
 */
import { createHash } from "node:crypto";

export interface MockCall {
  method: string;
  path: string;
  /** The query string without its leading `?` ("" when none). */
  query: string;
  /** Request headers, names lower-cased. */
  headers: Record<string, string>;
  /** The raw request body decoded as UTF-8 ("" when none). */
  body: string;
  /** The `x-mock-scenario` header, or "ok". */
  scenario: string;
}

export interface MockLlm {
  readonly url: string;
  readonly openaiBaseUrl: string;
  readonly anthropicBaseUrl: string;
  readonly calls: MockCall[];
  count(pathSuffix?: string): number;
  reset(): void;
  stop(): Promise<void>;
}

// The request bodies are arbitrary client JSON; they are read defensively through this loose type.
type J = Record<string, any>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const SCENARIOS = new Set(["ok", "length", "content_filter", "tools", "stream-error", "stream-drop"]);

const OPENAI_MODELS = ["gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "text-embedding-3-small", "text-embedding-3-large", "gpt-3.5-turbo-instruct"];

interface Ctx {
  serial: number;
  scenario: string;
  chunkDelayMs: number;
  /** Whether x-mock-chunk-delay-ms or options.chunkDelayMs was given. */
  chunkDelayExplicit: boolean;
  req: Request;
  url: URL;
  /** Request headers, names lower-cased (as recorded in the call). */
  headers: Record<string, string>;
  bytes: Uint8Array;
  text: string;
}

/** How a streamed body ends: cleanly, or by the server dropping the connection mid-stream. */
type StreamEnd = "close" | "drop";

export async function startMockLlm(options: { latencyMs?: number; chunkDelayMs?: number } = {}): Promise<MockLlm> {
  const calls: MockCall[] = [];
  let serialCounter = 0;
  let stopped = false;
  const stopController = new AbortController();
  const openStreams = new Set<ReadableStreamDefaultController<Uint8Array>>();
  const storedChat = new Map<string, J>();
  const storedResponses = new Map<string, J>();

  /** Resolves after `ms` (or at the next macrotask when 0), early when the server stops. */
  function pause(ms: number): Promise<void> {
    if (stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        stopController.signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      stopController.signal.addEventListener("abort", done, { once: true });
    });
  }

  /**
   * A response whose body is written piece by piece with `delayMs` between pieces (the first one
   * goes out with the headers). `end: "drop"` errors the body stream after the last piece, which
   * makes Bun reset the connection without the terminating chunk: the client sees a truncated body
   * and its fetch reader fails (ECONNRESET).
   */
  function piecewise(pieces: string[], end: StreamEnd, delayMs: number, status: number, headers: Record<string, string>): Response {
    let next = 0;
    let cancelled = false;
    let ctl: ReadableStreamDefaultController<Uint8Array> | undefined;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        ctl = controller;
        openStreams.add(controller);
      },
      async pull(controller) {
        if (next > 0) await pause(delayMs);
        if (cancelled) return;
        if (stopped) {
          openStreams.delete(controller);
          // An `undefined` reason resets the connection without Bun logging an error.
          controller.error(undefined);
          return;
        }
        const piece = pieces[next];
        if (piece !== undefined) {
          next += 1;
          controller.enqueue(encoder.encode(piece));
          return;
        }
        openStreams.delete(controller);
        if (end === "drop") controller.error(undefined);
        else controller.close();
      },
      cancel() {
        cancelled = true;
        if (ctl) openStreams.delete(ctl);
      },
    });
    return new Response(stream, { status, headers });
  }

  function sse(ctx: Ctx, events: string[], end: StreamEnd, headers: Record<string, string>): Response {
    return piecewise(events, end, ctx.chunkDelayMs, 200, {
      ...headers,
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Request entry point
  // ---------------------------------------------------------------------------------------------

  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const bytes = new Uint8Array(await req.arrayBuffer());
    const text = decoder.decode(bytes);
    const headers: Record<string, string> = {};
    for (const [name, value] of req.headers) headers[name.toLowerCase()] = value;
    const scenario = (req.headers.get("x-mock-scenario") ?? "ok").trim() || "ok";
    serialCounter += 1;
    const serial = serialCounter;
    calls.push({ method: req.method, path: url.pathname, query: url.search.replace(/^\?/, ""), headers, body: text, scenario });

    const latencyHeader = numberHeader(req, "x-mock-latency-ms");
    const chunkHeader = numberHeader(req, "x-mock-chunk-delay-ms");
    const ctx: Ctx = {
      serial,
      scenario,
      chunkDelayMs: chunkHeader ?? options.chunkDelayMs ?? 0,
      chunkDelayExplicit: chunkHeader !== undefined || options.chunkDelayMs !== undefined,
      req,
      url,
      headers,
      bytes,
      text,
    };
    const latency = latencyHeader ?? options.latencyMs ?? 0;
    if (latency > 0) await pause(latency);
    if (stopped) return new Response("mock stopped", { status: 503 });
    return route(ctx);
  }

  function route(ctx: Ctx): Response | Promise<Response> {
    const { req, url } = ctx;
    const path = url.pathname;
    const method = req.method;

    if (path.startsWith("/__echo/") || path === "/__echo" || path.startsWith("/v1/__echo/") || path === "/v1/__echo") {
      return echo(ctx);
    }
    if (path.startsWith("/v1/__stream")) {
      if (method !== "GET") return openaiError(ctx, 404, `Invalid URL (${method} ${path})`, "invalid_request_error");
      return textStream(ctx);
    }

    if (path === "/v1/messages" || path.startsWith("/v1/messages/")) {
      const denied = anthropicAuth(ctx);
      if (denied) return denied;
      const scenarioError = scenarioFailure(ctx, "anthropic");
      if (scenarioError) return scenarioError;
      if (method === "POST" && path === "/v1/messages") return anthropicMessages(ctx);
      if (method === "POST" && path === "/v1/messages/count_tokens") return anthropicCountTokens(ctx);
      return anthropicError(ctx, 404, `Not found: ${method} ${path}`, "not_found_error");
    }

    if (!path.startsWith("/v1/")) return openaiError(ctx, 404, `Invalid URL (${method} ${path})`, "invalid_request_error");

    const denied = openaiAuth(ctx);
    if (denied) return denied;
    const scenarioError = scenarioFailure(ctx, "openai");
    if (scenarioError) return scenarioError;

    if (method === "POST" && path === "/v1/chat/completions") return chatCompletions(ctx);
    if (method === "POST" && path === "/v1/completions") return completions(ctx);
    if (method === "POST" && path === "/v1/embeddings") return embeddings(ctx);
    if (method === "POST" && path === "/v1/responses") return responses(ctx);
    if (method === "POST" && path === "/v1/files") return files(ctx);
    if (method === "GET" && path === "/v1/models") return modelsList(ctx);
    let m: RegExpMatchArray | null;
    if (method === "GET" && (m = path.match(/^\/v1\/models\/([^/]+)$/))) return modelGet(ctx, decodeURIComponent(m[1] ?? ""));
    if (method === "GET" && (m = path.match(/^\/v1\/chat\/completions\/([^/]+)$/))) return chatGet(ctx, decodeURIComponent(m[1] ?? ""));
    if (method === "GET" && (m = path.match(/^\/v1\/responses\/([^/]+)$/))) return responseGet(ctx, decodeURIComponent(m[1] ?? ""), false);
    if (method === "POST" && (m = path.match(/^\/v1\/responses\/([^/]+)\/cancel$/))) return responseGet(ctx, decodeURIComponent(m[1] ?? ""), true);
    return openaiError(ctx, 404, `Invalid URL (${method} ${path})`, "invalid_request_error");
  }

  // ---------------------------------------------------------------------------------------------
  // Headers, errors, auth, scenarios
  // ---------------------------------------------------------------------------------------------

  function openaiHeaders(ctx: Ctx): Record<string, string> {
    return {
      "x-request-id": `req_mock_${ctx.serial}`,
      "x-mock-serial": String(ctx.serial),
      "openai-organization": "mock-org",
      "openai-processing-ms": "1",
      "openai-version": "2020-10-01",
      "x-ratelimit-limit-requests": "10000",
      "x-ratelimit-limit-tokens": "30000000",
      "x-ratelimit-remaining-requests": "9999",
      "x-ratelimit-remaining-tokens": "29999000",
      "x-ratelimit-reset-requests": "6ms",
      "x-ratelimit-reset-tokens": "2ms",
    };
  }

  function anthropicHeaders(ctx: Ctx): Record<string, string> {
    return {
      "request-id": `req_mock_${ctx.serial}`,
      "x-mock-serial": String(ctx.serial),
      "anthropic-organization-id": "mock-org",
    };
  }

  function jsonResponse(status: number, body: unknown, headers: Record<string, string>, ctx?: Ctx): Response {
    const text = JSON.stringify(body);
    // Opt-in: real APIs compress JSON answers when the client accepts it (streams are not compressed).
    if (ctx?.req.headers.get("x-mock-content-encoding")?.toLowerCase() === "gzip") {
      return new Response(Bun.gzipSync(encoder.encode(text)), {
        status,
        headers: { ...headers, "content-type": "application/json", "content-encoding": "gzip", vary: "Accept-Encoding" },
      });
    }
    return new Response(text, { status, headers: { ...headers, "content-type": "application/json" } });
  }

  function openaiJson(ctx: Ctx, body: unknown): Response {
    return jsonResponse(200, body, openaiHeaders(ctx), ctx);
  }

  function anthropicJson(ctx: Ctx, body: unknown): Response {
    return jsonResponse(200, body, anthropicHeaders(ctx), ctx);
  }

  function errorExtraHeaders(status: number, protocol: "openai" | "anthropic"): Record<string, string> {
    const h: Record<string, string> = {};
    if (status === 400 || status === 401) h["x-should-retry"] = "false";
    if (status === 429) {
      h["retry-after"] = "7";
      if (protocol === "openai") {
        h["x-ratelimit-remaining-requests"] = "0";
        h["x-ratelimit-reset-requests"] = "7s";
      } else {
        h["anthropic-ratelimit-requests-limit"] = "50";
        h["anthropic-ratelimit-requests-remaining"] = "0";
        h["anthropic-ratelimit-requests-reset"] = new Date(Date.now() + 7000).toISOString();
      }
    }
    return h;
  }

  function openaiError(ctx: Ctx, status: number, message: string, type: string, code: string | null = null, param: string | null = null): Response {
    return jsonResponse(status, { error: { message, type, param, code } }, { ...openaiHeaders(ctx), ...errorExtraHeaders(status, "openai") });
  }

  function anthropicError(ctx: Ctx, status: number, message: string, type: string): Response {
    return jsonResponse(
      status,
      { type: "error", error: { type, message }, request_id: `req_mock_${ctx.serial}` },
      { ...anthropicHeaders(ctx), ...errorExtraHeaders(status, "anthropic") },
    );
  }

  function openaiAuth(ctx: Ctx): Response | null {
    const auth = ctx.req.headers.get("authorization") ?? "";
    const key = auth.match(/^Bearer\s+(.+)$/i)?.[1]?.trim() ?? "";
    if (key.startsWith("sk-valid")) return null;
    const message = key
      ? `Incorrect API key provided: ${redact(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`
      : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";
    return openaiError(ctx, 401, message, "invalid_request_error", "invalid_api_key");
  }

  function anthropicAuth(ctx: Ctx): Response | null {
    // @anthropic-ai/sdk 1.x sends its apiKey as `Authorization: Bearer <key>` (no x-api-key);
    // raw clients and older SDKs send `x-api-key`. Both are accepted, x-api-key first.
    const bearer = ctx.req.headers.get("authorization")?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim() ?? "";
    const key = ctx.req.headers.get("x-api-key")?.trim() || bearer;
    if (!key) return anthropicError(ctx, 401, "x-api-key header is required", "authentication_error");
    if (!key.startsWith("sk-valid")) return anthropicError(ctx, 401, "invalid x-api-key", "authentication_error");
    if (!ctx.req.headers.get("anthropic-version")) {
      return anthropicError(ctx, 400, "anthropic-version: header is required", "invalid_request_error");
    }
    return null;
  }

  /** The answer for an `error-<status>` (or unknown) scenario, or null to proceed. */
  function scenarioFailure(ctx: Ctx, protocol: "openai" | "anthropic"): Response | null {
    if (SCENARIOS.has(ctx.scenario)) return null;
    const m = ctx.scenario.match(/^error-(\d{3})$/);
    const status = m ? Number(m[1]) : 0;
    if (status < 400 || status > 599) {
      const message = `mock-llm: unknown x-mock-scenario '${ctx.scenario}'`;
      return protocol === "openai" ? openaiError(ctx, 400, message, "invalid_request_error") : anthropicError(ctx, 400, message, "invalid_request_error");
    }
    if (protocol === "openai") {
      const [message, type, code] = OPENAI_ERRORS[status] ?? [`Mock upstream error ${status}.`, status >= 500 ? "server_error" : "invalid_request_error", null];
      return openaiError(ctx, status, message, type, code);
    }
    const [message, type] = ANTHROPIC_ERRORS[status] ?? [`Mock upstream error ${status}.`, status >= 500 ? "api_error" : "invalid_request_error"];
    return anthropicError(ctx, status, message, type);
  }

  /** Parses the JSON body; on failure returns the protocol's 400. */
  function parseBody(ctx: Ctx, protocol: "openai" | "anthropic"): J | Response {
    let body: unknown;
    try {
      body = JSON.parse(ctx.text);
    } catch {
      return protocol === "openai"
        ? openaiError(
            ctx,
            400,
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
            "invalid_request_error",
          )
        : anthropicError(ctx, 400, "There was an issue with the format or content of your request. The request body is not valid JSON.", "invalid_request_error");
    }
    if (!body || typeof body !== "object" || Array.isArray(body)) {
      return protocol === "openai"
        ? openaiError(ctx, 400, "The request body must be a JSON object.", "invalid_request_error")
        : anthropicError(ctx, 400, "The request body must be a JSON object.", "invalid_request_error");
    }
    return body as J;
  }

  function missing(ctx: Ctx, param: string): Response {
    return openaiError(ctx, 400, `Missing required parameter: '${param}'.`, "invalid_request_error", "missing_required_parameter", param);
  }

  /** A non-streamed answer under `stream-drop`: half of the JSON, then a reset connection. */
  function truncatedJson(ctx: Ctx, body: unknown, headers: Record<string, string>): Response {
    const full = JSON.stringify(body);
    const half = full.slice(0, Math.max(1, Math.floor(full.length / 2)));
    return piecewise([half], "drop", ctx.chunkDelayMs, 200, { ...headers, "content-type": "application/json" });
  }

  // ---------------------------------------------------------------------------------------------
  // OpenAI: chat completions
  // ---------------------------------------------------------------------------------------------

  function chatCompletions(ctx: Ctx): Response {
    const body = parseBody(ctx, "openai");
    if (body instanceof Response) return body;
    if (typeof body.model !== "string" || !body.model) return missing(ctx, "model");
    if (!Array.isArray(body.messages)) return missing(ctx, "messages");
    const n = body.n ?? 1;
    if (!Number.isInteger(n) || n < 1 || n > 128) {
      return openaiError(ctx, 400, `${JSON.stringify(n)} is not valid for 'n': it must be an integer between 1 and 128.`, "invalid_request_error", "invalid_value", "n");
    }
    const messages = body.messages as J[];
    const lastUser = [...messages].reverse().find((msg) => msg?.role === "user") ?? messages.at(-1);
    const prompt = textOf(lastUser?.content);
    const all = messages.map((msg) => textOf(msg?.content)).join("\n");
    const id = `chatcmpl-mock-${ctx.serial}`;
    const created = nowSeconds();
    const model = body.model as string;
    const scenario = ctx.scenario;
    const toolName = firstToolName(body.tools);

    interface Choice {
      index: number;
      pieces: string[];
      tool?: { id: string; name: string; args: string };
      finish: string;
    }
    const choices: Choice[] = [];
    for (let index = 0; index < n; index++) {
      if (scenario === "tools") {
        const args = JSON.stringify({ query: snippet(prompt), serial: ctx.serial });
        choices.push({ index, pieces: [], tool: { id: `call_mock_${ctx.serial}_${index}`, name: toolName, args }, finish: "tool_calls" });
        continue;
      }
      let pieces = words(replyText(ctx.serial, prompt, n > 1 ? index : undefined));
      let finish = "stop";
      if (scenario === "length" || scenario === "content_filter") {
        pieces = pieces.slice(0, Math.ceil(pieces.length / 2));
        finish = scenario;
      }
      choices.push({ index, pieces, finish });
    }
    const promptTokens = tokenCount(all);
    const completionTokens = choices.reduce((sum, c) => sum + (c.tool ? fragments(c.tool.args).length : c.pieces.length), 0);
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    };
    const completion = {
      id,
      object: "chat.completion",
      created,
      model,
      choices: choices.map((c) => ({
        index: c.index,
        message: c.tool
          ? {
              role: "assistant",
              content: null,
              tool_calls: [{ id: c.tool.id, type: "function", function: { name: c.tool.name, arguments: c.tool.args } }],
              refusal: null,
              annotations: [],
            }
          : { role: "assistant", content: c.pieces.join(""), refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: c.finish,
      })),
      usage,
      service_tier: "default",
      system_fingerprint: "fp_mock",
    };
    storedChat.set(id, completion);

    if (!body.stream) {
      if (scenario === "stream-drop") return truncatedJson(ctx, completion, openaiHeaders(ctx));
      return openaiJson(ctx, completion);
    }

    const includeUsage = body.stream_options?.include_usage === true;
    const chunk = (choiceList: J[], extra: J = {}): string =>
      `data: ${JSON.stringify({
        id,
        object: "chat.completion.chunk",
        created,
        model,
        service_tier: "default",
        system_fingerprint: "fp_mock",
        choices: choiceList,
        ...(includeUsage ? { usage: null } : {}),
        ...extra,
      })}\n\n`;
    const delta = (index: number, d: J, finish: string | null = null): J => ({ index, delta: d, logprobs: null, finish_reason: finish });

    const events: string[] = [];
    for (const c of choices) {
      if (c.tool) {
        events.push(
          chunk([
            delta(c.index, {
              role: "assistant",
              content: null,
              tool_calls: [{ index: 0, id: c.tool.id, type: "function", function: { name: c.tool.name, arguments: "" } }],
              refusal: null,
            }),
          ]),
        );
      } else {
        events.push(chunk([delta(c.index, { role: "assistant", content: "", refusal: null })]));
      }
    }
    const steps = Math.max(...choices.map((c) => (c.tool ? fragments(c.tool.args).length : c.pieces.length)));
    for (let k = 0; k < steps; k++) {
      for (const c of choices) {
        if (c.tool) {
          const frag = fragments(c.tool.args)[k];
          if (frag !== undefined) events.push(chunk([delta(c.index, { tool_calls: [{ index: 0, function: { arguments: frag } }] })]));
        } else {
          const piece = c.pieces[k];
          if (piece !== undefined) events.push(chunk([delta(c.index, { content: piece })]));
        }
      }
    }
    for (const c of choices) events.push(chunk([delta(c.index, {}, c.finish)]));
    if (includeUsage) events.push(chunk([], { usage }));
    events.push("data: [DONE]\n\n");

    if (scenario === "stream-error") {
      const partial = events.slice(0, Math.min(3, events.length - 2));
      partial.push(
        `data: ${JSON.stringify({
          error: { message: "The server had an error while processing your request. Sorry about that!", type: "server_error", param: null, code: null },
        })}\n\n`,
      );
      return sse(ctx, partial, "close", openaiHeaders(ctx));
    }
    if (scenario === "stream-drop") return sse(ctx, events.slice(0, Math.min(3, events.length - 2)), "drop", openaiHeaders(ctx));
    return sse(ctx, events, "close", openaiHeaders(ctx));
  }

  function chatGet(ctx: Ctx, id: string): Response {
    const stored = storedChat.get(id);
    if (stored) return openaiJson(ctx, stored);
    if (id.startsWith("missing")) return openaiError(ctx, 404, `No chat completion found with id '${id}'.`, "invalid_request_error", null, "completion_id");
    const text = `Stored mock completion ${id}.`;
    return openaiJson(ctx, {
      id,
      object: "chat.completion",
      created: nowSeconds(),
      model: "gpt-4o-mini",
      choices: [{ index: 0, message: { role: "assistant", content: text, refusal: null, annotations: [] }, logprobs: null, finish_reason: "stop" }],
      usage: { prompt_tokens: 1, completion_tokens: words(text).length, total_tokens: 1 + words(text).length },
      service_tier: "default",
      system_fingerprint: "fp_mock",
    });
  }

  // ---------------------------------------------------------------------------------------------
  // OpenAI: legacy completions
  // ---------------------------------------------------------------------------------------------

  function completions(ctx: Ctx): Response {
    const body = parseBody(ctx, "openai");
    if (body instanceof Response) return body;
    if (typeof body.model !== "string" || !body.model) return missing(ctx, "model");
    const n = body.n ?? 1;
    if (!Number.isInteger(n) || n < 1 || n > 128) {
      return openaiError(ctx, 400, `${JSON.stringify(n)} is not valid for 'n'.`, "invalid_request_error", "invalid_value", "n");
    }
    const rawPrompt = body.prompt ?? "<|endoftext|>";
    const prompts: string[] =
      typeof rawPrompt === "string"
        ? [rawPrompt]
        : Array.isArray(rawPrompt) && rawPrompt.every((p: unknown) => typeof p === "string")
          ? (rawPrompt as string[])
          : [JSON.stringify(rawPrompt)];
    const id = `cmpl-mock-${ctx.serial}`;
    const created = nowSeconds();
    const model = body.model as string;
    const finishDefault = ctx.scenario === "length" || ctx.scenario === "content_filter" ? ctx.scenario : "stop";
    const choices: { index: number; pieces: string[]; finish: string }[] = [];
    prompts.forEach((p, pi) => {
      for (let i = 0; i < n; i++) {
        let pieces = words(replyText(ctx.serial, p, n > 1 ? i : undefined));
        if (finishDefault !== "stop") pieces = pieces.slice(0, Math.ceil(pieces.length / 2));
        choices.push({ index: pi * n + i, pieces, finish: finishDefault });
      }
    });
    const promptTokens = prompts.reduce((s, p) => s + tokenCount(p), 0);
    const completionTokens = choices.reduce((s, c) => s + c.pieces.length, 0);
    const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
    const full = {
      id,
      object: "text_completion",
      created,
      model,
      system_fingerprint: "fp_mock",
      choices: choices.map((c) => ({ text: c.pieces.join(""), index: c.index, logprobs: null, finish_reason: c.finish })),
      usage,
    };
    if (!body.stream) {
      if (ctx.scenario === "stream-drop") return truncatedJson(ctx, full, openaiHeaders(ctx));
      return openaiJson(ctx, full);
    }
    const includeUsage = body.stream_options?.include_usage === true;
    const chunk = (choiceList: J[], extra: J = {}): string =>
      `data: ${JSON.stringify({ id, object: "text_completion", created, model, system_fingerprint: "fp_mock", choices: choiceList, ...(includeUsage ? { usage: null } : {}), ...extra })}\n\n`;
    const events: string[] = [];
    const steps = Math.max(...choices.map((c) => c.pieces.length));
    for (let k = 0; k < steps; k++) {
      for (const c of choices) {
        const piece = c.pieces[k];
        if (piece !== undefined) events.push(chunk([{ text: piece, index: c.index, logprobs: null, finish_reason: null }]));
      }
    }
    for (const c of choices) events.push(chunk([{ text: "", index: c.index, logprobs: null, finish_reason: c.finish }]));
    if (includeUsage) events.push(chunk([], { usage }));
    events.push("data: [DONE]\n\n");
    if (ctx.scenario === "stream-error") {
      const partial = events.slice(0, 2);
      partial.push(`data: ${JSON.stringify({ error: { message: "The server had an error while processing your request. Sorry about that!", type: "server_error", param: null, code: null } })}\n\n`);
      return sse(ctx, partial, "close", openaiHeaders(ctx));
    }
    if (ctx.scenario === "stream-drop") return sse(ctx, events.slice(0, 2), "drop", openaiHeaders(ctx));
    return sse(ctx, events, "close", openaiHeaders(ctx));
  }

  // ---------------------------------------------------------------------------------------------
  // OpenAI: embeddings
  // ---------------------------------------------------------------------------------------------

  function embeddings(ctx: Ctx): Response {
    const body = parseBody(ctx, "openai");
    if (body instanceof Response) return body;
    if (typeof body.model !== "string" || !body.model) return missing(ctx, "model");
    if (body.input === undefined || body.input === null) return missing(ctx, "input");
    const format = body.encoding_format ?? "float";
    if (format !== "float" && format !== "base64") {
      return openaiError(ctx, 400, `'${String(format)}' is not one of ['float', 'base64'] - 'encoding_format'`, "invalid_request_error", null, "encoding_format");
    }
    const dims = body.dimensions ?? 8;
    if (!Number.isInteger(dims) || dims < 1 || dims > 4096) {
      return openaiError(ctx, 400, `Invalid 'dimensions': ${JSON.stringify(dims)}.`, "invalid_request_error", "invalid_value", "dimensions");
    }
    const input = body.input;
    // A string, an array of strings, an array of tokens (one input) or an array of token arrays.
    let inputs: string[];
    let tokens: number;
    if (typeof input === "string") {
      inputs = [input];
      tokens = tokenCount(input);
    } else if (Array.isArray(input) && input.length > 0 && input.every((x: unknown) => typeof x === "number")) {
      inputs = [JSON.stringify(input)];
      tokens = input.length;
    } else if (Array.isArray(input) && input.length > 0 && input.every((x: unknown) => typeof x === "string" || Array.isArray(x))) {
      inputs = input.map((x: unknown) => (typeof x === "string" ? x : JSON.stringify(x)));
      tokens = input.reduce((s: number, x: unknown) => s + (typeof x === "string" ? tokenCount(x) : (x as unknown[]).length), 0);
    } else {
      return openaiError(ctx, 400, "'input' must be a non-empty string or array.", "invalid_request_error", null, "input");
    }
    const data = inputs.map((text, index) => {
      const vector = embeddingVector(text, dims);
      return { object: "embedding", index, embedding: format === "base64" ? float32ToBase64(vector) : vector };
    });
    const result = { object: "list", data, model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
    if (ctx.scenario === "stream-drop") return truncatedJson(ctx, result, openaiHeaders(ctx));
    return openaiJson(ctx, result);
  }

  // ---------------------------------------------------------------------------------------------
  // OpenAI: Responses API
  // ---------------------------------------------------------------------------------------------

  function responseEnvelope(ctx: Ctx, body: J, fields: { id: string; created: number; status: string; output: J[]; usage: J | null; incomplete: J | null; error: J | null }): J {
    return {
      id: fields.id,
      object: "response",
      created_at: fields.created,
      status: fields.status,
      background: false,
      error: fields.error,
      incomplete_details: fields.incomplete,
      instructions: body.instructions ?? null,
      max_output_tokens: body.max_output_tokens ?? null,
      max_tool_calls: null,
      model: body.model,
      output: fields.output,
      parallel_tool_calls: body.parallel_tool_calls ?? true,
      previous_response_id: body.previous_response_id ?? null,
      reasoning: { effort: null, summary: null },
      service_tier: "default",
      store: body.store ?? true,
      temperature: body.temperature ?? 1,
      text: { format: { type: "text" }, verbosity: "medium" },
      tool_choice: body.tool_choice ?? "auto",
      tools: Array.isArray(body.tools) ? body.tools : [],
      top_logprobs: 0,
      top_p: body.top_p ?? 1,
      truncation: "disabled",
      usage: fields.usage,
      user: null,
      metadata: body.metadata ?? {},
    };
  }

  function responses(ctx: Ctx): Response {
    const body = parseBody(ctx, "openai");
    if (body instanceof Response) return body;
    if (typeof body.model !== "string" || !body.model) return missing(ctx, "model");
    const { prompt, all } = responsesInput(body);
    const id = `resp_mock_${ctx.serial}`;
    const created = nowSeconds();
    const scenario = ctx.scenario;
    const isTool = scenario === "tools";
    const incompleteReason = scenario === "length" ? "max_output_tokens" : scenario === "content_filter" ? "content_filter" : null;
    const status = incompleteReason ? "incomplete" : "completed";
    const itemStatus = incompleteReason ? "incomplete" : "completed";
    const msgId = `msg_out_mock_${ctx.serial}`;
    let pieces = words(replyText(ctx.serial, prompt));
    if (incompleteReason) pieces = pieces.slice(0, Math.ceil(pieces.length / 2));
    const text = pieces.join("");
    const toolName = firstToolName(body.tools);
    const toolArgs = JSON.stringify({ query: snippet(prompt), serial: ctx.serial });
    const fcId = `fc_mock_${ctx.serial}`;
    const callId = `call_mock_${ctx.serial}`;
    const inputTokens = tokenCount(all);
    const outputTokens = isTool ? fragments(toolArgs).length : pieces.length;
    const usage = {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: inputTokens + outputTokens,
    };
    const part = { type: "output_text", annotations: [], logprobs: [], text };
    const finalItem: J = isTool
      ? { id: fcId, type: "function_call", status: "completed", arguments: toolArgs, call_id: callId, name: toolName }
      : { id: msgId, type: "message", status: itemStatus, content: [part], role: "assistant" };
    const final = responseEnvelope(ctx, body, {
      id,
      created,
      status,
      output: [finalItem],
      usage,
      incomplete: incompleteReason ? { reason: incompleteReason } : null,
      error: null,
    });
    storedResponses.set(id, final);

    if (!body.stream) {
      if (scenario === "stream-drop") return truncatedJson(ctx, final, openaiHeaders(ctx));
      return openaiJson(ctx, final);
    }

    let seq = 0;
    const ev = (type: string, data: J): string => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`;
    const inProgress = responseEnvelope(ctx, body, { id, created, status: "in_progress", output: [], usage: null, incomplete: null, error: null });
    const events: string[] = [];
    events.push(ev("response.created", { response: inProgress }));
    events.push(ev("response.in_progress", { response: inProgress }));
    if (isTool) {
      events.push(ev("response.output_item.added", { output_index: 0, item: { ...finalItem, status: "in_progress", arguments: "" } }));
      for (const frag of fragments(toolArgs)) {
        events.push(ev("response.function_call_arguments.delta", { item_id: fcId, output_index: 0, delta: frag }));
      }
      events.push(ev("response.function_call_arguments.done", { item_id: fcId, output_index: 0, name: toolName, arguments: toolArgs }));
    } else {
      events.push(ev("response.output_item.added", { output_index: 0, item: { id: msgId, type: "message", status: "in_progress", content: [], role: "assistant" } }));
      events.push(ev("response.content_part.added", { item_id: msgId, output_index: 0, content_index: 0, part: { type: "output_text", annotations: [], logprobs: [], text: "" } }));
      for (const piece of pieces) {
        events.push(ev("response.output_text.delta", { item_id: msgId, output_index: 0, content_index: 0, delta: piece, logprobs: [] }));
      }
      events.push(ev("response.output_text.done", { item_id: msgId, output_index: 0, content_index: 0, text, logprobs: [] }));
      events.push(ev("response.content_part.done", { item_id: msgId, output_index: 0, content_index: 0, part }));
    }
    events.push(ev("response.output_item.done", { output_index: 0, item: finalItem }));
    events.push(ev(incompleteReason ? "response.incomplete" : "response.completed", { response: final }));

    // The partial prefix used by stream-error / stream-drop: lifecycle, item, part and two deltas.
    const cut = Math.min(isTool ? 5 : 6, events.length - 1);
    if (scenario === "stream-error") {
      seq = cut;
      const partial = events.slice(0, cut);
      const message = "An error occurred while processing your request. You can retry your request.";
      // The published schema has flat code/message/param; first-party streams nest them under
      // `error`. Both are sent; the SDK reads `data.error ?? data`.
      partial.push(ev("error", { error: { type: "server_error", code: "server_error", message, param: null }, code: "server_error", message, param: null }));
      partial.push(
        ev("response.failed", {
          response: responseEnvelope(ctx, body, { id, created, status: "failed", output: [], usage: null, incomplete: null, error: { code: "server_error", message } }),
        }),
      );
      return sse(ctx, partial, "close", openaiHeaders(ctx));
    }
    if (scenario === "stream-drop") return sse(ctx, events.slice(0, cut), "drop", openaiHeaders(ctx));
    return sse(ctx, events, "close", openaiHeaders(ctx));
  }

  function responseGet(ctx: Ctx, id: string, cancel: boolean): Response {
    if (id.startsWith("missing")) {
      return openaiError(ctx, 404, `Response with id '${id}' not found.`, "invalid_request_error", null, "response_id");
    }
    const stored = storedResponses.get(id);
    const base: J =
      stored ??
      responseEnvelope(ctx, { model: "gpt-4o-mini" }, {
        id,
        created: nowSeconds(),
        status: "completed",
        output: [
          {
            id: `msg_out_mock_${ctx.serial}`,
            type: "message",
            status: "completed",
            role: "assistant",
            content: [{ type: "output_text", annotations: [], logprobs: [], text: `Stored mock response ${id}.` }],
          },
        ],
        usage: { input_tokens: 1, input_tokens_details: { cached_tokens: 0 }, output_tokens: 4, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 5 },
        incomplete: null,
        error: null,
      });
    return openaiJson(ctx, cancel ? { ...base, status: "cancelled" } : base);
  }

  // ---------------------------------------------------------------------------------------------
  // OpenAI: models, files
  // ---------------------------------------------------------------------------------------------

  function modelObject(id: string): J {
    return { id, object: "model", created: 1_700_000_000, owned_by: id.startsWith("claude") ? "anthropic" : "openai" };
  }

  function modelsList(ctx: Ctx): Response {
    return openaiJson(ctx, { object: "list", data: OPENAI_MODELS.map(modelObject) });
  }

  function modelGet(ctx: Ctx, id: string): Response {
    if (id.startsWith("missing") || id.startsWith("nonexistent")) {
      return openaiError(ctx, 404, `The model '${id}' does not exist`, "invalid_request_error", "model_not_found", "model");
    }
    return openaiJson(ctx, modelObject(id));
  }

  async function files(ctx: Ctx): Promise<Response> {
    const contentType = ctx.req.headers.get("content-type") ?? "";
    if (!contentType.toLowerCase().startsWith("multipart/form-data")) {
      return openaiError(ctx, 400, "Invalid file upload: expected a multipart/form-data body.", "invalid_request_error", null, "file");
    }
    let form: Awaited<ReturnType<Response["formData"]>>;
    try {
      form = await new Response(ctx.bytes, { headers: { "content-type": contentType } }).formData();
    } catch {
      return openaiError(ctx, 400, "Invalid multipart/form-data body.", "invalid_request_error", null, "file");
    }
    const file = form.get("file");
    if (!file || typeof file === "string") return missing(ctx, "file");
    const purpose = form.get("purpose");
    if (typeof purpose !== "string" || !purpose) return missing(ctx, "purpose");
    return jsonResponse(
      200,
      {
        id: `file-mock-${ctx.serial}`,
        object: "file",
        bytes: file.size,
        created_at: nowSeconds(),
        expires_at: null,
        filename: (file as File).name || "upload",
        purpose,
        status: "processed",
        status_details: null,
      },
      { ...openaiHeaders(ctx), "x-mock-received-bytes": String(ctx.bytes.length) },
    );
  }


  // ---------------------------------------------------------------------------------------------
  // Anthropic: messages
  // ---------------------------------------------------------------------------------------------

  function anthropicMessages(ctx: Ctx): Response {
    const body = parseBody(ctx, "anthropic");
    if (body instanceof Response) return body;
    if (typeof body.model !== "string" || !body.model) return anthropicError(ctx, 400, "model: Field required", "invalid_request_error");
    if (!Array.isArray(body.messages)) return anthropicError(ctx, 400, "messages: Field required", "invalid_request_error");
    if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1) {
      return anthropicError(ctx, 400, "max_tokens: Field required", "invalid_request_error");
    }
    const messages = body.messages as J[];
    const lastUser = [...messages].reverse().find((msg) => msg?.role === "user") ?? messages.at(-1);
    const prompt = textOf(lastUser?.content);
    const all = [textOf(body.system), ...messages.map((msg) => textOf(msg?.content))].join("\n");
    const id = `msg_mock_${ctx.serial}`;
    const model = body.model as string;
    const scenario = ctx.scenario;
    const isTool = scenario === "tools";
    let pieces = words(replyText(ctx.serial, prompt));
    let stopReason = "end_turn";
    if (scenario === "length") {
      pieces = pieces.slice(0, Math.ceil(pieces.length / 2));
      stopReason = "max_tokens";
    } else if (scenario === "content_filter") {
      pieces = pieces.slice(0, Math.ceil(pieces.length / 2));
      stopReason = "refusal";
    } else if (isTool) {
      stopReason = "tool_use";
    }
    const toolName = firstToolName(body.tools);
    const toolInput = { query: snippet(prompt), serial: ctx.serial };
    const toolJson = JSON.stringify(toolInput);
    const toolId = `toolu_mock_${ctx.serial}`;
    const inputTokens = tokenCount(all);
    const outputTokens = isTool ? fragments(toolJson).length : pieces.length;
    const content: J[] = isTool ? [{ type: "tool_use", id: toolId, name: toolName, input: toolInput }] : [{ type: "text", text: pieces.join("") }];
    const usageBase = { cache_creation_input_tokens: 0, cache_read_input_tokens: 0, service_tier: "standard" };
    const message = {
      id,
      type: "message",
      role: "assistant",
      model,
      content,
      stop_reason: stopReason,
      stop_sequence: null,
      usage: { input_tokens: inputTokens, ...usageBase, output_tokens: outputTokens },
    };
    if (!body.stream) {
      if (scenario === "stream-drop") return truncatedJson(ctx, message, anthropicHeaders(ctx));
      return anthropicJson(ctx, message);
    }
    const ev = (type: string, data: J = {}): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    const events: string[] = [];
    events.push(
      ev("message_start", {
        message: { id, type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: inputTokens, ...usageBase, output_tokens: 1 } },
      }),
    );
    if (isTool) {
      events.push(ev("content_block_start", { index: 0, content_block: { type: "tool_use", id: toolId, name: toolName, input: {} } }));
      events.push(ev("ping"));
      events.push(ev("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: "" } }));
      for (const frag of fragments(toolJson)) events.push(ev("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: frag } }));
    } else {
      events.push(ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } }));
      events.push(ev("ping"));
      for (const piece of pieces) events.push(ev("content_block_delta", { index: 0, delta: { type: "text_delta", text: piece } }));
    }
    events.push(ev("content_block_stop", { index: 0 }));
    events.push(ev("message_delta", { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } }));
    events.push(ev("message_stop"));

    const cut = 5; // message_start, content_block_start, ping, two deltas
    if (scenario === "stream-error") {
      const partial = events.slice(0, cut);
      partial.push(ev("error", { error: { type: "overloaded_error", message: "Overloaded" }, request_id: `req_mock_${ctx.serial}` }));
      return sse(ctx, partial, "close", anthropicHeaders(ctx));
    }
    if (scenario === "stream-drop") return sse(ctx, events.slice(0, cut), "drop", anthropicHeaders(ctx));
    return sse(ctx, events, "close", anthropicHeaders(ctx));
  }

  function anthropicCountTokens(ctx: Ctx): Response {
    const body = parseBody(ctx, "anthropic");
    if (body instanceof Response) return body;
    if (typeof body.model !== "string" || !body.model) return anthropicError(ctx, 400, "model: Field required", "invalid_request_error");
    if (!Array.isArray(body.messages)) return anthropicError(ctx, 400, "messages: Field required", "invalid_request_error");
    const all = [textOf(body.system), ...(body.messages as J[]).map((msg) => textOf(msg?.content))].join("\n");
    return anthropicJson(ctx, { input_tokens: tokenCount(all) });
  }

  // ---------------------------------------------------------------------------------------------
  // Helper endpoints: echo and a slow text stream
  // ---------------------------------------------------------------------------------------------

  function echo(ctx: Ctx): Response {
    return jsonResponse(
      200,
      { method: ctx.req.method, path: ctx.url.pathname, query: ctx.url.search.replace(/^\?/, ""), headers: ctx.headers, body: ctx.text },
      { "x-mock-serial": String(ctx.serial), "x-request-id": `req_mock_${ctx.serial}` },
    );
  }

  function textStream(ctx: Ctx): Response {
    const requested = Number(ctx.url.searchParams.get("lines") ?? "5");
    const total = Number.isInteger(requested) && requested > 0 ? Math.min(requested, 10_000) : 5;
    const lines: string[] = [];
    for (let i = 1; i <= total; i++) lines.push(`line ${i}/${total} serial ${ctx.serial}\n`);
    const delay = ctx.chunkDelayExplicit ? ctx.chunkDelayMs : 25;
    const drop = ctx.scenario === "stream-drop";
    return piecewise(drop ? lines.slice(0, Math.ceil(total / 2)) : lines, drop ? "drop" : "close", delay, 200, {
      "content-type": "text/plain; charset=utf-8",
      "cache-control": "no-cache",
      "x-mock-serial": String(ctx.serial),
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Server
  // ---------------------------------------------------------------------------------------------

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    fetch: handle,
    error(error) {
      return new Response(JSON.stringify({ error: { message: `mock-llm internal error: ${String(error)}`, type: "server_error", param: null, code: null } }), {
        status: 500,
        headers: { "content-type": "application/json" },
      });
    },
  });
  const url = `http://127.0.0.1:${server.port}`;

  return {
    url,
    openaiBaseUrl: `${url}/v1`,
    anthropicBaseUrl: url,
    calls,
    count(pathSuffix?: string): number {
      if (pathSuffix === undefined) return calls.length;
      return calls.filter((c) => c.path.endsWith(pathSuffix)).length;
    },
    reset(): void {
      calls.length = 0;
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      stopController.abort();
      for (const controller of openStreams) {
        try {
          controller.error(undefined);
        } catch {
          // already closed
        }
      }
      openStreams.clear();
      await server.stop(true);
    },
  };
}

// -----------------------------------------------------------------------------------------------
// Pure helpers
// -----------------------------------------------------------------------------------------------

const OPENAI_ERRORS: Record<number, [string, string, string | null]> = {
  400: ["Invalid request (mock scenario error-400).", "invalid_request_error", null],
  401: ["Incorrect API key provided (mock scenario error-401).", "invalid_request_error", "invalid_api_key"],
  403: ["You are not allowed to sample from this model (mock scenario error-403).", "invalid_request_error", "permission_denied"],
  404: ["The model does not exist or you do not have access to it (mock scenario error-404).", "invalid_request_error", "model_not_found"],
  429: ["Rate limit reached for requests (mock scenario error-429). Please try again in 7s.", "requests", "rate_limit_exceeded"],
  500: ["The server had an error while processing your request. Sorry about that!", "server_error", null],
  502: ["Bad gateway.", "server_error", null],
  503: ["The engine is currently overloaded, please try again later.", "server_error", null],
};

const ANTHROPIC_ERRORS: Record<number, [string, string]> = {
  400: ["Invalid request (mock scenario error-400).", "invalid_request_error"],
  401: ["invalid x-api-key", "authentication_error"],
  403: ["Your API key does not have permission to use the specified resource.", "permission_error"],
  404: ["The requested resource could not be found.", "not_found_error"],
  413: ["Request exceeds the maximum allowed number of bytes.", "request_too_large"],
  429: ["Number of requests has exceeded your rate limit (mock scenario error-429).", "rate_limit_error"],
  500: ["Internal server error", "api_error"],
  503: ["Service unavailable", "api_error"],
  504: ["Request timed out", "timeout_error"],
  529: ["Overloaded", "overloaded_error"],
};

function numberHeader(req: Request, name: string): number | undefined {
  const raw = req.headers.get(name);
  if (raw === null || raw.trim() === "") return undefined;
  const value = Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function redact(key: string): string {
  return key.length <= 8 ? "****" : `${key.slice(0, 3)}*****${key.slice(-4)}`;
}

/** The text of a message content: a string, or the text parts of a content-part array. */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) => {
        if (typeof part === "string") return part;
        if (part && typeof part === "object" && typeof (part as J).text === "string") return (part as J).text as string;
        return "";
      })
      .filter((s) => s !== "")
      .join(" ");
  }
  return "";
}

/** Responses API input: the last user text and all input text. */
function responsesInput(body: J): { prompt: string; all: string } {
  const input = body.input;
  const instructions = typeof body.instructions === "string" ? body.instructions : "";
  if (typeof input === "string") return { prompt: input, all: [instructions, input].join("\n") };
  if (Array.isArray(input)) {
    const items = input as J[];
    const texts = items.map((item) => textOf(item?.content ?? item?.output ?? ""));
    const lastUser = [...items].reverse().find((item) => item?.role === "user");
    return { prompt: textOf(lastUser?.content) || texts.at(-1) || "", all: [instructions, ...texts].join("\n") };
  }
  return { prompt: "", all: instructions };
}

function firstToolName(tools: unknown): string {
  if (Array.isArray(tools)) {
    for (const tool of tools as J[]) {
      const name = tool?.function?.name ?? tool?.name;
      if (typeof name === "string" && name) return name;
    }
  }
  return "get_weather";
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 8);
}

function snippet(text: string): string {
  return text.replace(/\s+/g, " ").trim().slice(0, 40);
}

/** The deterministic answer text: depends on the prompt and the request's serial only. */
function replyText(serial: number, prompt: string, choice?: number): string {
  const suffix = choice === undefined ? "" : ` (choice ${choice})`;
  return `Mock reply ${serial} for ${digest(prompt)}: you said "${snippet(prompt)}".${suffix}`;
}

/** Splits text into word pieces (each keeps its trailing whitespace); joined they give the text. */
function words(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? [text];
}

/** Splits a JSON string into 4 (or fewer) fragments, as tool-call argument deltas arrive. */
function fragments(text: string): string[] {
  const size = Math.max(1, Math.ceil(text.length / 4));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length ? out : [""];
}

function tokenCount(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** A deterministic unit vector of float32 values derived from the text. */
function embeddingVector(text: string, dims: number): number[] {
  const raw: number[] = [];
  for (let block = 0; raw.length < dims; block++) {
    const bytes = createHash("sha256").update(`${block}:${text}`).digest();
    for (let i = 0; i + 1 < bytes.length && raw.length < dims; i += 2) {
      raw.push(((bytes.readUInt16LE(i) / 65535) * 2 - 1) || 0.5);
    }
  }
  const norm = Math.sqrt(raw.reduce((s, v) => s + v * v, 0)) || 1;
  return raw.map((v) => Math.fround(v / norm));
}

function float32ToBase64(values: number[]): string {
  const buffer = new ArrayBuffer(values.length * 4);
  const view = new DataView(buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return Buffer.from(buffer).toString("base64");
}
