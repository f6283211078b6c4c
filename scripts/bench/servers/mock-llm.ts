/**
 * The proxy scenarios' upstream: the test suite's faithful mock LLM (test/support/mock-llm.ts) in
 * a process of its own, so it can be pinned to a core and stopped by PID. No added latency, no
 * delay between stream events. A second loopback port answers GET /count with the number of
 * requests the mock has received (to check that a measured run never reached it). Prints one JSON
 * line: {"url", "openaiBaseUrl", "control"}.
 */
import { startMockLlm } from "../../../test/support/mock-llm.ts";

const mock = await startMockLlm({ latencyMs: 0, chunkDelayMs: 0 });
const control = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  routes: { "/count": () => Response.json({ count: mock.count() }) },
});
let stopping = false;
process.on("SIGTERM", () => {
  if (stopping) return;
  stopping = true;
  void control.stop(true).then(() => mock.stop()).then(() => process.exit(0));
});
console.log(JSON.stringify({ url: mock.url, openaiBaseUrl: mock.openaiBaseUrl, control: `http://127.0.0.1:${control.port}` }));
