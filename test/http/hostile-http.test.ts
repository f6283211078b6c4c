import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { ConfigError, loadConfig } from "../../src/config/load.ts";
import { discardUnreadBody } from "../../src/http/body.ts";
import { serve, type RunningServer } from "../../src/http/serve.ts";
import { buildTestApp, PRIMARY_KEY, type TestApp } from "../support/app.ts";
import { waitFor } from "../support/poll.ts";
import { startSidecar, type SidecarProcess } from "../support/sidecar.ts";

const MB = 1024 * 1024;
const LOOKUP = { operation: "summarize", text: "hostile http" };
/** Per-test bound for tests that poll under GENEROUS_MS or move 64 MiB: far above their usual time. */
const SLOW_TEST_MS = 60_000;

interface Served {
  readonly t: TestApp;
  readonly running: RunningServer;
  close(): Promise<void>;
}

/** The real app on a real loopback port; bodies limited to 1 MB. */
async function serveApp(overrides: Parameters<typeof buildTestApp>[0] = {}): Promise<Served> {
  const t = await buildTestApp({ maxBodyBytes: MB, maxTextBytes: MB, maxResponseBytes: MB, ...overrides });
  const running = serve(t.fetch, { host: "127.0.0.1", port: 0, maxBodyBytes: t.config.maxBodyBytes, shutdownTimeoutMs: 2000, logger: t.logger, routes: t.hot });
  return {
    t,
    running,
    async close() {
      await running.shutdown();
      await t.close();
    },
  };
}

interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A raw TCP client, to send exactly the bytes a test needs (no Host, a stalled body…). */
class RawClient {
  private received = Buffer.alloc(0);
  private closed = false;
  private onDrain: (() => void) | null = null;
  sent = 0;

  private constructor(private socket: Socket<undefined> | null) {}

  static async connect(port: number): Promise<RawClient> {
    const client = new RawClient(null);
    client.socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data(_socket, data) {
          client.received = Buffer.concat([client.received, data]);
        },
        drain() {
          client.onDrain?.();
        },
        close() {
          client.closed = true;
          client.onDrain?.();
        },
      },
    });
    return client;
  }

  /** Writes all of `data`, waiting for the socket to drain when the kernel buffer is full. */
  async write(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    let offset = 0;
    while (offset < bytes.length) {
      if (this.closed) throw new Error("the server closed the connection while the test was writing");
      const written = this.socket!.write(bytes.subarray(offset));
      offset += Math.max(0, written);
      if (offset < bytes.length) await new Promise<void>((resolve) => (this.onDrain = resolve));
    }
    this.sent += bytes.length;
  }

  /** The first complete response (by Content-Length, or up to the close). */
  async answer(timeoutMs?: number): Promise<RawAnswer> {
    let parsed: RawAnswer | null = null;
    await waitFor(
      () => {
        const text = this.received.toString("latin1");
        const end = text.indexOf("\r\n\r\n");
        if (end < 0) return false;
        const [statusLine = "", ...lines] = text.slice(0, end).split("\r\n");
        const headers: Record<string, string> = {};
        for (const line of lines) {
          const colon = line.indexOf(":");
          headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        const length = headers["content-length"] === undefined ? null : Number(headers["content-length"]);
        const body = this.received.subarray(Buffer.byteLength(text.slice(0, end + 4), "latin1"));
        if (length === null ? !this.closed : body.length < length) return false;
        parsed = { status: Number(statusLine.split(" ")[1]), headers, body: body.subarray(0, length ?? body.length).toString("utf8") };
        return true;
      },
      { timeoutMs, what: "a complete HTTP response" },
    );
    return parsed!;
  }

  isClosed(): boolean {
    return this.closed;
  }

  /** Drops the connection abruptly, as a client that goes away mid-body. */
  destroy(): void {
    this.socket?.terminate();
  }
}

async function exchange(port: number, request: string): Promise<RawAnswer> {
  const client = await RawClient.connect(port);
  try {
    await client.write(request);
    return await client.answer();
  } finally {
    client.destroy();
  }
}

const lookupBody = (textBytes: number): string => JSON.stringify({ operation: "summarize", text: "a".repeat(textBytes) });

describe("any Host header, or none, reaches every route", () => {
  let s: Served;
  beforeAll(async () => {
    s = await serveApp({ apiKeys: [PRIMARY_KEY] });
  });
  afterAll(() => s.close());

  const body = JSON.stringify(LOOKUP);
  const cases: [string, string, string][] = [
    ["Host: x", "HTTP/1.1", "Host: x\r\nConnection: close\r\n"],
    ["Host: ab", "HTTP/1.1", "Host: ab\r\nConnection: close\r\n"],
    ["Host: abc", "HTTP/1.1", "Host: abc\r\nConnection: close\r\n"],
    ["no Host (HTTP/1.0)", "HTTP/1.0", ""],
  ];
  for (const [name, version, hostLines] of cases) {
    test(`${name}: GET /health, POST /cache/lookup and GET /internal/cache/status are served`, async () => {
      const health = await exchange(s.running.port, `GET /health ${version}\r\n${hostLines}\r\n`);
      expect(health.status).toBe(200);
      expect(JSON.parse(health.body)).toMatchObject({ status: "ok" });

      // A path with a "/" past its 11th character: a URL of only the path (no Host) is misread there.
      const status = await exchange(s.running.port, `GET /internal/cache/status ${version}\r\n${hostLines}X-API-Key: ${PRIMARY_KEY}\r\n\r\n`);
      expect(status.status).toBe(200);
      expect(JSON.parse(status.body)).toHaveProperty("memory");

      const lookup = await exchange(
        s.running.port,
        `POST /cache/lookup ${version}\r\n${hostLines}Content-Type: application/json\r\nContent-Length: ${body.length}\r\nX-API-Key: ${PRIMARY_KEY}\r\n\r\n${body}`,
      );
      expect(lookup.status).toBe(200);
      expect(JSON.parse(lookup.body)).toMatchObject({ hit: false });
    });
  }

  test("no Host: an unknown route is still a JSON 404 naming the path", async () => {
    const answer = await exchange(s.running.port, "GET /nowhere HTTP/1.0\r\n\r\n");
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body)).toEqual({ error: "not_found", detail: "no route for GET /nowhere" });
  });

  test("Host: x with a chunked body: the body reaches the route unread", async () => {
    const chunk = body.length.toString(16);
    const answer = await exchange(
      s.running.port,
      `POST /cache/lookup HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nX-API-Key: ${PRIMARY_KEY}\r\n\r\n${chunk}\r\n${body}\r\n0\r\n\r\n`,
    );
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ hit: false });
  });
});

describe("the API key is checked before the body is read", () => {
  let s: Served;
  beforeAll(async () => {
    s = await serveApp({ apiKeys: [PRIMARY_KEY] });
  });
  afterAll(() => s.close());

  const post = (headers: Record<string, string>, body: string | Uint8Array) => fetch(`${s.running.url}/cache/lookup`, { method: "POST", headers, body });
  const bad: [string, Record<string, string>, string | Uint8Array, number][] = [
    ["malformed JSON", { "content-type": "application/json" }, "{not json", 400],
    ["a wrong content type", { "content-type": "text/plain" }, JSON.stringify(LOOKUP), 415],
    ["a body over MAX_BODY_BYTES", { "content-type": "application/json" }, lookupBody(MB), 413],
    ["JSON nested too deep", { "content-type": "application/json" }, "[".repeat(1000) + "]".repeat(1000), 400],
    ["a schema violation", { "content-type": "application/json" }, JSON.stringify({ operation: "a|b", text: "x" }), 422],
  ];
  for (const [what, headers, body, withKey] of bad) {
    test(`${what}: 401 without a key, 401 with a wrong one, ${withKey} with the right one`, async () => {
      const missing = await post(headers, body);
      expect(missing.status).toBe(401);
      expect(missing.headers.get("www-authenticate")).toContain("Bearer");
      expect(await missing.json()).toEqual({ error: "unauthorized", detail: expect.stringContaining("API key is required") });

      const wrong = await post({ ...headers, authorization: "Bearer not-the-key-000" }, body);
      expect(wrong.status).toBe(401);
      expect(await wrong.json()).toEqual({ error: "unauthorized", detail: "the API key is not valid" });

      const right = await post({ ...headers, "x-api-key": PRIMARY_KEY }, body);
      expect(right.status).toBe(withKey);
    });
  }

  test("a route without a body is still checked (GET, and POST with no body)", async () => {
    expect((await fetch(`${s.running.url}/cache/entries/ai_cache:op:x`)).status).toBe(401);
    expect((await fetch(`${s.running.url}/internal/cache/invalidate?pattern=x`, { method: "POST" })).status).toBe(401);
    expect((await fetch(`${s.running.url}/internal/cache/status`, { headers: { "x-api-key": "wrong-key-123" } })).status).toBe(401);
    expect((await fetch(`${s.running.url}/internal/cache/status`)).status).toBe(200);
    expect((await fetch(`${s.running.url}/internal/cache/invalidate?pattern=x`, { method: "POST", headers: { "x-api-key": PRIMARY_KEY } })).status).toBe(200);
  });
});

describe("request bodies in flight share MAX_INFLIGHT_BODY_BYTES", () => {
  let s: Served;
  beforeAll(async () => {
    s = await serveApp({ apiKeys: [PRIMARY_KEY], maxInflightBodyBytes: 1.5 * MB });
  });
  afterAll(() => s.close());

  const DECLARED = 1_000_000;
  const fullLookup = lookupBody(DECLARED - lookupBody(0).length);
  const lookup = (body: string | ReadableStream<Uint8Array>) =>
    fetch(`${s.running.url}/cache/lookup`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": PRIMARY_KEY }, body });

  /** An authenticated upload that declares DECLARED bytes and sends only its first few. */
  async function holder(): Promise<{ client: RawClient; finish(): Promise<RawAnswer>; stop(): void }> {
    const client = await RawClient.connect(s.running.port);
    await client.write(
      `POST /cache/lookup HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${DECLARED}\r\nX-API-Key: ${PRIMARY_KEY}\r\n\r\n`,
    );
    const headerBytes = client.sent;
    await client.write(fullLookup.slice(0, 100));
    // A byte now and then keeps the connection from idling out on a slow machine.
    const keepAlive = setInterval(() => {
      const at = client.sent - headerBytes;
      if (at < DECLARED - 1000) client.write(fullLookup.slice(at, at + 1)).catch(() => {});
    }, 1000);
    return {
      client,
      async finish() {
        clearInterval(keepAlive);
        await client.write(fullLookup.slice(client.sent - headerBytes));
        return client.answer();
      },
      stop() {
        clearInterval(keepAlive);
        client.destroy();
      },
    };
  }

  /** An authenticated upload without a Content-Length that has sent DECLARED bytes, in two chunks, and not its end. */
  async function streamedHolder(): Promise<{ finish(): Promise<RawAnswer>; stop(): void }> {
    const client = await RawClient.connect(s.running.port);
    await client.write(
      `POST /cache/lookup HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nX-API-Key: ${PRIMARY_KEY}\r\n\r\n`,
    );
    for (const piece of [fullLookup.slice(0, DECLARED / 2), fullLookup.slice(DECLARED / 2)]) await client.write(`${piece.length.toString(16)}\r\n${piece}\r\n`);
    // Trailing spaces keep the JSON valid and the connection from idling out.
    const keepAlive = setInterval(() => client.write("1\r\n \r\n").catch(() => {}), 1000);
    return {
      async finish() {
        clearInterval(keepAlive);
        await client.write("0\r\n\r\n");
        return client.answer();
      },
      stop() {
        clearInterval(keepAlive);
        client.destroy();
      },
    };
  }

  /** Sends full lookups until one is refused for the budget; returns that answer. */
  async function refusedFor(send: () => Promise<Response>): Promise<Response> {
    let refused: Response | null = null;
    await waitFor(async () => {
      const answer = await send();
      if (answer.status === 503) refused = answer;
      else expect(answer.status).toBe(200);
      return refused !== null;
    }, { what: "a body refused for the shared budget" });
    return refused!;
  }

  test("a declared length past the budget gets 503 with Retry-After; a smaller body still fits; completion releases", async () => {
    const held = await holder();
    try {
      const refused = await refusedFor(() => lookup(fullLookup));
      expect(refused.headers.get("retry-after")).toBe("1");
      const body = (await refused.json()) as { error: string; detail: string };
      expect(body).toEqual({ error: "busy", detail: expect.stringContaining("MAX_INFLIGHT_BODY_BYTES") });

      expect((await lookup(lookupBody(100_000))).status).toBe(200);

      const finished = await held.finish();
      expect(finished.status).toBe(200);
      // The holder's bytes were released before its answer was written.
      expect((await lookup(fullLookup)).status).toBe(200);
    } finally {
      held.stop();
    }
  }, SLOW_TEST_MS);

  test("a streamed body is counted as it arrives and refused once it would pass the budget", async () => {
    const held = await holder();
    try {
      await refusedFor(() => lookup(fullLookup));
      const streamed = () =>
        lookup(
          new ReadableStream<Uint8Array>({
            start(controller) {
              const text = lookupBody(700_000);
              for (let at = 0; at < text.length; at += 64 * 1024) controller.enqueue(Buffer.from(text.slice(at, at + 64 * 1024)));
              controller.close();
            },
          }),
        );
      const refused = await streamed();
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("1");
      expect(await refused.json()).toMatchObject({ error: "busy" });
    } finally {
      held.stop();
    }
  }, SLOW_TEST_MS);

  test("a client that goes away mid-body releases what it held", async () => {
    const held = await holder();
    await refusedFor(() => lookup(fullLookup));
    held.stop();
    await waitFor(async () => (await lookup(fullLookup)).status === 200, { what: "the budget released after a client went away" });
  }, SLOW_TEST_MS);

  test("a streamed body holds the bytes it has sent until it ends, or until its client goes away", async () => {
    const finishing = await streamedHolder();
    try {
      await refusedFor(() => lookup(fullLookup));
      const finished = await finishing.finish();
      expect(finished.status).toBe(200);
      expect(JSON.parse(finished.body)).toMatchObject({ hit: false });
      expect((await lookup(fullLookup)).status).toBe(200);
    } finally {
      finishing.stop();
    }

    const leaving = await streamedHolder();
    await refusedFor(() => lookup(fullLookup));
    leaving.stop();
    await waitFor(async () => (await lookup(fullLookup)).status === 200, { what: "the budget released after a streaming client went away" });
  }, SLOW_TEST_MS);

  test("a streamed body is decoded as Request.text() decodes: BOM dropped, invalid UTF-8 replaced", async () => {
    const pieces = [Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"operation":"summarize","text":"caf'), Buffer.from([0xff]), Buffer.from('"}')];
    const answer = await lookup(
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (const piece of pieces) controller.enqueue(piece);
          controller.close();
        },
      }),
    );
    expect(answer.status).toBe(200);
    // The same key as for the text the decoding should give.
    const expected = await lookup(JSON.stringify({ operation: "summarize", text: "caf\ufffd" }));
    expect(((await answer.json()) as { key: string }).key).toBe(((await expected.json()) as { key: string }).key);
  });

  test("the setting may not be below MAX_BODY_BYTES", () => {
    expect(() => loadConfig({ MAX_BODY_BYTES: "8MB", MAX_INFLIGHT_BODY_BYTES: "4MB" })).toThrow(ConfigError);
    expect(() => loadConfig({ MAX_BODY_BYTES: "8MB", MAX_INFLIGHT_BODY_BYTES: "4MB" })).toThrow(/MAX_INFLIGHT_BODY_BYTES/);
    expect(loadConfig({ MAX_BODY_BYTES: "8MB", MAX_INFLIGHT_BODY_BYTES: "8MB" }).maxInflightBodyBytes).toBe(8 * MB);
    expect(loadConfig({}).maxInflightBodyBytes).toBe(64 * MB);
  });
});

/** Runs test/support/node-post.mjs: Node's http client writes the whole body before it reads. */
async function nodePost(args: { url: string; bytes: number; chunked: boolean; headers?: Record<string, string> }) {
  const child = Bun.spawn(["node", "test/support/node-post.mjs", JSON.stringify(args)], { stdout: "pipe", stderr: "inherit" });
  const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    const output = await new Response(child.stdout).text();
    await child.exited;
    return JSON.parse(output) as { status: number | null; headers: Record<string, string> | null; body: string | null; uploadError: string | null; uploaded: boolean };
  } finally {
    clearTimeout(killer);
  }
}

describe("a client that sends a large body before reading gets a readable answer", () => {
  let sidecar: SidecarProcess;
  beforeAll(async () => {
    sidecar = await startSidecar({ MAX_BODY_BYTES: "1MB", CACHE_MAX_TEXT_BYTES: "512KB", CACHE_MAX_RESPONSE_BYTES: "512KB", API_KEY: PRIMARY_KEY });
  });
  afterAll(() => sidecar.stop());

  const BYTES = 64 * MB + 1;
  for (const chunked of [false, true]) {
    const framing = chunked ? "chunked" : "Content-Length";
    test(`64 MiB + 1 with ${framing}: 413 naming MAX_BODY_BYTES, and the upload completes`, async () => {
      const outcome = await nodePost({ url: `${sidecar.url}/cache/lookup`, bytes: BYTES, chunked, headers: { "x-api-key": PRIMARY_KEY } });
      expect(outcome.uploadError).toBeNull();
      expect(outcome.status).toBe(413);
      expect(JSON.parse(outcome.body!)).toEqual({ error: "payload_too_large", detail: expect.stringContaining("MAX_BODY_BYTES") });
      expect(outcome.uploaded).toBe(true);
    }, SLOW_TEST_MS);

    test(`64 MiB + 1 with ${framing} and no key: a readable 401`, async () => {
      const outcome = await nodePost({ url: `${sidecar.url}/cache/lookup`, bytes: BYTES, chunked });
      expect(outcome.uploadError).toBeNull();
      expect(outcome.status).toBe(401);
      expect(JSON.parse(outcome.body!)).toMatchObject({ error: "unauthorized" });
    }, SLOW_TEST_MS);
  }
});

describe("throwing away an unread body is bounded", () => {
  test("a sender that stalls mid-body gets its 413 and the connection is closed", async () => {
    const s = await serveApp();
    const client = await RawClient.connect(s.running.port);
    try {
      await client.write(`POST /cache/lookup HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${10 * MB}\r\n\r\n${"a".repeat(1000)}`);
      const answer = await client.answer();
      expect(answer.status).toBe(413);
      expect(answer.headers.connection).toBe("close");
      expect(JSON.parse(answer.body)).toMatchObject({ error: "payload_too_large" });
      await waitFor(() => client.isClosed(), { what: "the server closing the connection" });
    } finally {
      client.destroy();
      await s.close();
    }
  }, SLOW_TEST_MS);

  test("at most the given bytes and time are spent on it", async () => {
    const endless = () =>
      new Request("http://localhost/x", {
        method: "POST",
        body: new ReadableStream<Uint8Array>({
          pull(controller) {
            controller.enqueue(new Uint8Array(1024));
          },
        }),
      });
    expect(await discardUnreadBody(endless(), 60_000, 10 * 1024)).toBe(false);

    const stalled = new Request("http://localhost/x", { method: "POST", body: new ReadableStream<Uint8Array>({ pull: () => new Promise<void>(() => {}) }) });
    expect(await discardUnreadBody(stalled, 50)).toBe(false);

    const failing = new Request("http://localhost/x", {
      method: "POST",
      body: new ReadableStream<Uint8Array>({
        pull(controller) {
          controller.error(new Error("connection reset"));
        },
      }),
    });
    expect(await discardUnreadBody(failing)).toBe(false);

    expect(await discardUnreadBody(new Request("http://localhost/x", { method: "POST", body: "short" }))).toBe(true);
    expect(await discardUnreadBody(new Request("http://localhost/x"))).toBe(true);
  });
});
