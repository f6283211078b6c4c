/**
 * Raw-HTTP helpers for the proxy tests (controls.test.ts, failures.test.ts): request bodies,
 * raw `fetch` calls where headers and exact bytes matter, Prometheus parsing, and a TCP relay
 * that lets a test watch (and hold back) what the mock upstream sends the proxy.
 */
import net from "node:net";
import { expect } from "bun:test";
import type { TestApp } from "../support/app.ts";
import { ALICE } from "../support/proxy.ts";

export const CHAT = "/v1/chat/completions";
export const EMBEDDINGS = "/v1/embeddings";
export const MESSAGES = "/anthropic/v1/messages";

/** A deterministic (temperature 0) chat request; `prompt` makes it distinct. */
/** What the readers below need of a body reader (fetch's and Bun's reader types differ in extras). */
export interface ChunkReader {
  read(): Promise<{ done: true; value?: undefined } | { done: false; value: Uint8Array }>;
}

export function chatBody(prompt: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: "gpt-4o-mini", temperature: 0, messages: [{ role: "user", content: prompt }], ...extra };
}

export function messagesBody(prompt: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: "claude-proxy-test", max_tokens: 64, temperature: 0, messages: [{ role: "user", content: prompt }], ...extra };
}

/** The upstream credential headers the mock accepts, per protocol. */
export function credentials(path: string, apiKey = ALICE): Record<string, string> {
  if (path.startsWith("/anthropic")) return { "x-api-key": apiKey, "anthropic-version": "2023-06-01" };
  return { authorization: `Bearer ${apiKey}` };
}

/**
 * POSTs JSON (or raw text when `body` is a string) to the sidecar with raw fetch, with the
 * protocol's credential unless `headers` gives one.
 */
export function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}, init: RequestInit = {}): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...credentials(path), ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...init,
  });
}

/** The response's Cache-Status, "" when absent. */
export function cacheStatus(response: Response): string {
  return response.headers.get("cache-status") ?? "";
}

/** Asserts an OpenAI-format error body `{"error": {message, type, param, code}}` and returns its `error`. */
export function expectOpenAiError(body: unknown): { message: string; type: string; param: unknown; code: unknown } {
  expect(body).toEqual({ error: { message: expect.any(String), type: expect.any(String), param: null, code: expect.any(String) } });
  return (body as { error: { message: string; type: string; param: unknown; code: unknown } }).error;
}

/** Asserts an Anthropic-format error body `{"type": "error", "error": {type, message}}` and returns its `error`. */
export function expectAnthropicError(body: unknown): { type: string; message: string } {
  expect(body).toEqual({ type: "error", error: { type: expect.any(String), message: expect.any(String) } });
  return (body as { error: { type: string; message: string } }).error;
}

/** `GET /cache/entries/{key}` on the app, with the sidecar key when one is configured. */
export async function entryOf(t: TestApp, key: string, sidecarKey?: string): Promise<Response> {
  return t.request(`/cache/entries/${encodeURIComponent(key)}`, { headers: sidecarKey === undefined ? {} : { "x-api-key": sidecarKey } });
}

/** The Prometheus text of `GET /metrics`. */
export async function metricsText(t: TestApp, sidecarKey?: string): Promise<string> {
  const response = await t.request("/metrics", { headers: sidecarKey === undefined ? {} : { "x-api-key": sidecarKey } });
  expect(response.status).toBe(200);
  return response.text();
}

/** Parses `name{a="b",...} value` lines: the labels and value of every sample of `name`. */
export function samples(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const open = line.indexOf("{");
    const close = line.lastIndexOf("}");
    const labels: Record<string, string> = {};
    if (open === name.length) {
      for (const match of line.slice(open + 1, close).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[match[1]!] = match[2]!;
    }
    out.push({ labels, value: Number(line.slice((open === name.length ? close : name.length) + 1).trim()) });
  }
  return out;
}

/** The sum of the samples of `name` whose labels include `labels` (0 when none). */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  return samples(text, name)
    .filter((sample) => Object.entries(labels).every(([label, value]) => sample.labels[label] === value))
    .reduce((sum, sample) => sum + sample.value, 0);
}

/** Reads a body incrementally until `predicate` holds for the text read so far; returns that text. */
export async function readUntil(reader: ChunkReader, predicate: (text: string) => boolean, sofar = ""): Promise<string> {
  const decoder = new TextDecoder();
  let text = sofar;
  while (!predicate(text)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`the body ended before the expected text; read: ${JSON.stringify(text.slice(-300))}`);
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

/** Reads a body to its end; resolves with what was read and whether it ended cleanly. */
export async function readAll(reader: ChunkReader, sofar = ""): Promise<{ text: string; clean: boolean }> {
  const decoder = new TextDecoder();
  let text = sofar;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text, clean: true };
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    return { text, clean: false };
  }
}

/** One TCP connection through the relay: what each side sent, and whether it is closed. */
export interface RelayConnection {
  /** Bytes the proxy sent toward the upstream (its HTTP requests), as latin1 text. */
  fromProxy: string;
  /** Bytes the upstream sent, as latin1 text (whether or not they were passed on yet). */
  fromUpstream: string;
  /** Bytes passed on to the proxy. */
  forwarded: string;
  /** Where in `forwarded` the current hold's marker is looked for. */
  holdFrom: number;
  /** The proxy closed (or reset) its side. */
  closedByProxy: boolean;
  closed: boolean;
}

/**
 * A transparent TCP relay in front of the mock upstream: the proxy is pointed at it, so a
 * test can see the upstream connection close when the proxy aborts a call, and can hold back
 * what the upstream sends after a marker, to prove the proxy passes bytes on before the rest
 * exists on its side.
 */
export interface Relay {
  readonly url: string;
  readonly connections: RelayConnection[];
  /**
   * From now on, once a connection has passed on text containing `marker` (counted from now;
   * "" holds at once), queue the upstream's further bytes until release().
   */
  holdAfter(marker: string): void;
  /** Bytes the relay holds back right now. */
  held(): number;
  /** Points the relay at its upstream (connections made from now on). */
  retarget(target: string): void;
  /** Passes every queued byte on and stops holding. */
  release(): void;
  /** The connection whose request text contains `needle`. */
  find(needle: string): RelayConnection | undefined;
  /**
   * What the connection carrying `needle` passed on since the last holdAfter(): a kept-alive
   * connection also carried earlier requests' answers, which say nothing of this one.
   */
  forwardedSinceHold(needle: string): string;
  close(): Promise<void>;
}

export async function startRelay(initialTarget = "http://127.0.0.1:9"): Promise<Relay> {
  let target = new URL(initialTarget);
  const connections: RelayConnection[] = [];
  const sockets = new Set<net.Socket>();
  let marker: string | null = null;
  const queues: { connection: RelayConnection; client: net.Socket; chunks: Buffer[] }[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    const connection: RelayConnection = { fromProxy: "", fromUpstream: "", forwarded: "", holdFrom: 0, closedByProxy: false, closed: false };
    connections.push(connection);
    const queue = { connection, client, chunks: [] as Buffer[] };
    queues.push(queue);
    client.on("data", (data: Buffer) => {
      connection.fromProxy += data.toString("latin1");
      upstream.write(data);
    });
    upstream.on("data", (data: Buffer) => {
      connection.fromUpstream += data.toString("latin1");
      if (queue.chunks.length > 0 || (marker !== null && connection.forwarded.includes(marker, connection.holdFrom))) {
        queue.chunks.push(data);
        return;
      }
      connection.forwarded += data.toString("latin1");
      client.write(data);
    });
    const closeBoth = (): void => {
      connection.closed = true;
      client.destroy();
      upstream.destroy();
    };
    client.on("close", () => {
      connection.closedByProxy = true;
      closeBoth();
    });
    upstream.on("close", () => {
      // Let held bytes reach the proxy before its side closes.
      if (queue.chunks.length === 0) closeBoth();
      else upstream.once("release", closeBoth);
    });
    client.on("error", () => {});
    upstream.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    connections,
    holdAfter(text) {
      marker = text;
      for (const connection of connections) connection.holdFrom = connection.forwarded.length;
    },
    held() {
      return queues.reduce((sum, queue) => sum + queue.chunks.reduce((bytes, chunk) => bytes + chunk.byteLength, 0), 0);
    },
    retarget(url) {
      target = new URL(url);
    },
    release() {
      marker = null;
      for (const queue of queues) {
        for (const chunk of queue.chunks.splice(0)) {
          queue.connection.forwarded += chunk.toString("latin1");
          if (!queue.client.destroyed) queue.client.write(chunk);
        }
      }
      for (const socket of sockets) socket.emit("release");
    },
    find(needle) {
      return connections.find((connection) => connection.fromProxy.includes(needle));
    },
    forwardedSinceHold(needle) {
      const connection = connections.find((candidate) => candidate.fromProxy.includes(needle));
      if (connection === undefined) throw new Error(`no relayed request contains ${JSON.stringify(needle)}`);
      return connection.forwarded.slice(connection.holdFrom);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
