import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import type { Config } from "../../src/config/model.ts";
import { serve, type RunningServer } from "../../src/http/serve.ts";
import { buildTestApp, type TestApp } from "./app.ts";
import { startMockLlm, type MockLlm } from "./mock-llm.ts";

/** A sidecar served on a real loopback port, its proxy pointed at a mock LLM upstream. */
export interface ProxyHarness {
  readonly t: TestApp;
  readonly mock: MockLlm;
  readonly running: RunningServer;
  /** http://127.0.0.1:PORT of the sidecar. */
  readonly url: string;
  /** An official OpenAI client pointed at the sidecar (`baseURL: url + "/v1"`), retries off. */
  openai(apiKey?: string, options?: ConstructorParameters<typeof OpenAI>[0]): OpenAI;
  /** An official Anthropic client pointed at the sidecar (`baseURL: url + "/anthropic"`), retries off. */
  anthropic(apiKey?: string, options?: ConstructorParameters<typeof Anthropic>[0]): Anthropic;
  close(): Promise<void>;
}

/** Keys the mock accepts (any key starting with `sk-valid`). */
export const ALICE = "sk-valid-alice";
export const BOB = "sk-valid-bob";

/**
 * Starts a mock upstream and a sidecar (built by the same composition root as main.ts) whose
 * /v1 and /anthropic forward to it. `overrides` change the sidecar's configuration.
 */
export async function startProxy(overrides: Partial<Config> = {}, mockOptions: Parameters<typeof startMockLlm>[0] = {}): Promise<ProxyHarness> {
  const mock = await startMockLlm(mockOptions);
  const t = await buildTestApp({ proxyOpenaiUrl: mock.openaiBaseUrl, proxyAnthropicUrl: mock.anthropicBaseUrl, ...overrides });
  const running = serve(t.fetch, { host: "127.0.0.1", port: 0, maxBodyBytes: t.config.maxBodyBytes, shutdownTimeoutMs: 2000, logger: t.logger, routes: t.hot });
  const url = running.url;
  return {
    t,
    mock,
    running,
    url,
    openai: (apiKey = ALICE, options = {}) => new OpenAI({ apiKey, baseURL: `${url}/v1`, maxRetries: 0, ...options }),
    anthropic: (apiKey = ALICE, options = {}) => new Anthropic({ apiKey, baseURL: `${url}/anthropic`, maxRetries: 0, ...options }),
    async close() {
      await running.shutdown();
      await t.close();
      await mock.stop();
    },
  };
}
