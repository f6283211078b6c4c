import { checkOpenApiDocument } from "./openapi/check.ts";

/**
 * Smoke-tests a built binary: starts it on a free loopback port, checks /health, /docs,
 * /docs/json, a store and lookup (bodies read by the compiled auth step), a request without a
 * key refused before its body is read, /dashboard with its data, /internal/cache/status, and the caching proxy (a chat
 * completion, plain and streamed, missed then hit, against a small upstream started here, and a
 * call without the sidecar key refused); sends SIGTERM and expects
 * exit code 0, nothing on stderr and only JSON log lines on stdout.
 * Usage: bun scripts/smoke.ts dist/ai-response-cache
 */
const binary = process.argv[2] ?? "dist/ai-response-cache";

function fail(message: string): never {
  console.error(`smoke: FAILED: ${message}`);
  process.exit(1);
}

const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
const port = probe.port;
probe.stop(true);
const base = `http://127.0.0.1:${port}`;

// A small OpenAI-compatible upstream: one JSON answer and one streamed answer, counted.
let upstreamCalls = 0;
const upstream = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    upstreamCalls++;
    const body = (await request.json()) as { stream?: boolean };
    const completion = { id: `chatcmpl-${upstreamCalls}`, object: "chat.completion", created: 0, model: "m", choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } };
    if (!body.stream) return Response.json(completion);
    const chunk = { id: `chatcmpl-${upstreamCalls}`, object: "chat.completion.chunk", created: 0, model: "m", choices: [{ index: 0, delta: { role: "assistant", content: "hi" }, finish_reason: "stop" }] };
    return new Response(`data: ${JSON.stringify(chunk)}\n\ndata: [DONE]\n\n`, { headers: { "content-type": "text/event-stream" } });
  },
});

const started = Bun.nanoseconds();
const child = Bun.spawn([binary], {
  env: { PATH: process.env.PATH ?? "", PORT: String(port), API_KEY: "smoke-test-key", LOG_LEVEL: "warn", PROXY_OPENAI_URL: `http://127.0.0.1:${upstream.port}/v1` },
  stdout: "pipe",
  stderr: "pipe",
});

try {
  let healthy = false;
  while (!healthy && Bun.nanoseconds() - started < 10e9) {
    try {
      healthy = (await fetch(`${base}/health`)).status === 200;
    } catch {
      await Bun.sleep(10);
    }
  }
  if (!healthy) fail("/health never answered 200");
  console.log(`smoke: /health 200 after ${((Bun.nanoseconds() - started) / 1e6).toFixed(1)} ms`);

  const spec = await fetch(`${base}/docs/json`);
  const document = (await spec.json()) as { paths?: Record<string, unknown> };
  if (spec.status !== 200 || !document.paths?.["/internal/cache/status"]) fail("/docs/json does not document /internal/cache/status");
  const problems = await checkOpenApiDocument(document);
  if (problems.length > 0) fail(`the binary's OpenAPI document has problems:\n${problems.join("\n")}`);
  console.log(`smoke: /docs/json 200 with ${Object.keys(document.paths ?? {}).length} paths, valid (swagger-parser) and lint-clean (redocly)`);

  const html = await (await fetch(`${base}/docs`)).text();
  if (!html.includes('src="/docs/scalar.js"')) fail("/docs does not load the embedded UI script");
  const script = await fetch(`${base}/docs/scalar.js`, { headers: { "accept-encoding": "gzip" } });
  if (script.status !== 200 || (await script.arrayBuffer()).byteLength < 100_000) fail("/docs/scalar.js is not served from the binary");
  console.log("smoke: /docs and its embedded script 200");

  const json = { "content-type": "application/json", "x-api-key": "smoke-test-key" };
  const request = { operation: "smoke", text: "a prompt" };
  const stored = await fetch(`${base}/cache/store`, { method: "POST", headers: json, body: JSON.stringify({ ...request, response: { ok: true } }) });
  const found = (await (await fetch(`${base}/cache/lookup`, { method: "POST", headers: json, body: JSON.stringify(request) })).json()) as { hit?: boolean };
  if (stored.status !== 201 || found.hit !== true) fail(`store answered ${stored.status}, lookup hit ${String(found.hit)}`);
  const refused = await fetch(`${base}/cache/lookup`, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
  if (refused.status !== 401) fail(`a request without a key and with a bad body answered ${refused.status}, not 401`);
  console.log("smoke: store 201, lookup hit, no key 401 before the body");

  const page = await (await fetch(`${base}/dashboard`)).text();
  if (!page.includes('src="dashboard/uplot.js"')) fail("/dashboard does not load the embedded chart library");
  const uplot = await fetch(`${base}/dashboard/uplot.js`);
  if (uplot.status !== 200 || !(await uplot.text()).includes("uPlot")) fail("/dashboard/uplot.js is not served from the binary");
  const dashboard = (await (await fetch(`${base}/dashboard/data`, { headers: { "x-api-key": "smoke-test-key" } })).json()) as { operations?: { operation: string; lookups: number }[] };
  if (dashboard.operations?.[0]?.operation !== "smoke") fail("/dashboard/data does not count the smoke lookup");
  console.log("smoke: /dashboard, its chart library and its data 200");

  const status = await fetch(`${base}/internal/cache/status`, { headers: { "x-api-key": "smoke-test-key" } });
  const body = (await status.json()) as { memory?: { status?: string } };
  if (status.status !== 200 || body.memory?.status !== "normal") fail(`/internal/cache/status answered ${status.status}`);
  console.log("smoke: /internal/cache/status 200");

  const chat = (stream: boolean, headers: Record<string, string> = { "x-cache-api-key": "smoke-test-key" }) =>
    fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer sk-smoke", ...headers },
      body: JSON.stringify({ model: "m", temperature: 0, stream, messages: [{ role: "user", content: "hello" }] }),
    });
  for (const stream of [false, true]) {
    const before = upstreamCalls;
    const miss = await chat(stream);
    const missBody = await miss.text();
    const hit = await chat(stream);
    const hitBody = await hit.text();
    const kind = stream ? "streamed" : "plain";
    if (miss.status !== 200 || miss.headers.get("x-cache") !== "MISS") fail(`proxy ${kind} miss answered ${miss.status} ${miss.headers.get("x-cache")}`);
    if (hit.status !== 200 || hit.headers.get("x-cache") !== "HIT" || hitBody !== missBody) fail(`proxy ${kind} repeat answered ${hit.status} ${hit.headers.get("x-cache")}`);
    if (upstreamCalls !== before + 1) fail(`proxy ${kind}: ${upstreamCalls - before} upstream calls for a miss and a hit`);
  }
  const keyless = await chat(false, {});
  const keylessBody = (await keyless.json()) as { error?: { code?: string } };
  if (keyless.status !== 401 || keylessBody.error?.code !== "sidecar_key_missing") fail(`proxy call without x-cache-api-key answered ${keyless.status}`);
  console.log("smoke: proxy miss then hit, plain and streamed, one upstream call each; no sidecar key 401");
} finally {
  child.kill("SIGTERM");
  upstream.stop(true);
}
const code = await child.exited;
const stderr = await new Response(child.stderr).text();
if (code !== 0) fail(`exit code ${code} after SIGTERM`);
if (stderr.trim() !== "") fail(`the binary wrote to stderr: ${stderr.slice(0, 500)}`);
// Its stdout is the JSON log: a line that is not JSON (a framework warning, say) would break log pipelines.
for (const line of (await new Response(child.stdout).text()).split("\n")) {
  if (line.trim() === "") continue;
  try {
    JSON.parse(line);
  } catch {
    fail(`the binary wrote a line that is not JSON to stdout: ${line.slice(0, 200)}`);
  }
}
console.log("smoke: SIGTERM -> exit 0");
