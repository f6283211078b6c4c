/**
 * PROXY_SHARE_ACROSS_CREDENTIALS=true (README "Tenants are isolated"): every credential shares
 * entries, so BOB is served the answer ALICE paid for.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type OpenAI from "openai";
import { ALICE, BOB, startProxy, type ProxyHarness } from "../support/proxy.ts";
import { cacheOf, waitStored } from "./sdk-support.ts";

let h: ProxyHarness;

beforeAll(async () => {
  h = await startProxy({ proxyShareAcrossCredentials: true });
});

afterAll(async () => {
  await h.close();
});

test("with proxyShareAcrossCredentials, BOB hits ALICE's entry (OpenAI and Anthropic)", async () => {
  const body: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming = { model: "gpt-4o-mini", temperature: 0, messages: [{ role: "user", content: "sdk-shared: hello" }] };
  const before = h.mock.count("/chat/completions");
  const { data: aliceFirst, response: aliceMiss } = await h.openai(ALICE).chat.completions.create(body).withResponse();
  expect(aliceMiss.headers.get("x-cache")).toBe("MISS");
  await waitStored(h, cacheOf(aliceMiss).key);

  const { data: bobAnswer, response: bobHit } = await h.openai(BOB).chat.completions.create(body).withResponse();
  expect(bobHit.headers.get("x-cache")).toBe("HIT");
  expect(cacheOf(bobHit).key).toBe(cacheOf(aliceMiss).key);
  expect(bobAnswer.id).toBe(aliceFirst.id);
  expect(bobAnswer).toEqual(aliceFirst);
  expect(h.mock.count("/chat/completions")).toBe(before + 1);

  // Anthropic too (the SDK's key travels as Authorization: Bearer).
  const message = { model: "claude-haiku-4-5", max_tokens: 64, temperature: 0, messages: [{ role: "user" as const, content: "sdk-shared: hello" }] };
  const { data: aliceMessage, response: anthropicMiss } = await h.anthropic(ALICE).messages.create(message).withResponse();
  expect(anthropicMiss.headers.get("x-cache")).toBe("MISS");
  await waitStored(h, cacheOf(anthropicMiss).key);
  const { data: bobMessage, response: anthropicHit } = await h.anthropic(BOB).messages.create(message).withResponse();
  expect(anthropicHit.headers.get("x-cache")).toBe("HIT");
  expect(bobMessage.id).toBe(aliceMessage.id);
  expect(h.mock.count("/v1/messages")).toBe(1);
});
