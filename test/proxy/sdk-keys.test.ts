/**
 * What goes into a proxy cache key, and who may be served an entry (README "Zero-code
 * caching", "The key" and "Tenants are isolated"): key order and ignored fields never split
 * entries; content, the API version header and the caller's credential always do; a stored
 * entry keeps no credential and no per-exchange header.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { ALICE, BOB, startProxy, type ProxyHarness } from "../support/proxy.ts";
import { cacheOf, thrown, waitStored } from "./sdk-support.ts";

let h: ProxyHarness;

beforeAll(async () => {
  h = await startProxy();
});

afterAll(async () => {
  await h.close();
});

/** A chat completion POSTed as raw bytes, so the body's exact text (key order...) is the test's. */
async function rawChat(text: string, apiKey = ALICE): Promise<{ response: Response; json: { id: string; choices: { message: { content: string } }[] } }> {
  const response = await fetch(`${h.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: text,
  });
  expect(response.status).toBe(200);
  return { response, json: (await response.json()) as { id: string; choices: { message: { content: string } }[] } };
}

describe("the key", () => {
  test("JSON key order, at every depth, does not split entries", async () => {
    const before = h.mock.count("/chat/completions");
    const first = await rawChat(`{"model":"gpt-4o-mini","temperature":0,"messages":[{"role":"user","content":"sdk-keys order: hello"}],"response_format":{"type":"text"}}`);
    expect(first.response.headers.get("x-cache")).toBe("MISS");
    const key = cacheOf(first.response).key;
    await waitStored(h, key);

    const reordered = await rawChat(`{"response_format":{"type":"text"},"messages":[{"content":"sdk-keys order: hello","role":"user"}],"temperature":0,"model":"gpt-4o-mini"}`);
    expect(reordered.response.headers.get("x-cache")).toBe("HIT");
    expect(cacheOf(reordered.response).key).toBe(key);
    expect(reordered.json.id).toBe(first.json.id);
    // Whitespace is no part of the key either.
    const spaced = await rawChat(`{ "temperature" : 0 ,\n "model": "gpt-4o-mini", "response_format": { "type": "text" },\n "messages": [ { "role": "user", "content": "sdk-keys order: hello" } ] }`);
    expect(spaced.response.headers.get("x-cache")).toBe("HIT");
    expect(spaced.json.id).toBe(first.json.id);
    expect(h.mock.count("/chat/completions")).toBe(before + 1);
  });

  test("ignored fields (user, metadata) do not split entries; a sampling field does", async () => {
    const client = h.openai();
    const body: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming = { model: "gpt-4o-mini", temperature: 0, messages: [{ role: "user", content: "sdk-keys ignored: hello" }] };
    const before = h.mock.count("/chat/completions");
    const { data: first, response: miss } = await client.chat.completions.create(body).withResponse();
    expect(miss.headers.get("x-cache")).toBe("MISS");
    await waitStored(h, cacheOf(miss).key);

    const { data: tagged, response: hit } = await client.chat.completions.create({ ...body, user: "end-user-42", metadata: { run: "eval-7" }, store: false }).withResponse();
    expect(hit.headers.get("x-cache")).toBe("HIT");
    expect(cacheOf(hit).key).toBe(cacheOf(miss).key);
    expect(tagged.id).toBe(first.id);
    expect(h.mock.count("/chat/completions")).toBe(before + 1);

    const { data: warmer, response: other } = await client.chat.completions.create({ ...body, temperature: 0.5 }).withResponse();
    expect(other.headers.get("x-cache")).toBe("MISS");
    expect(warmer.id).not.toBe(first.id);
    expect(h.mock.count("/chat/completions")).toBe(before + 2);
  });

  test("a text-only message and the same text plus an image never meet", async () => {
    const client = h.openai();
    const text = "sdk-keys image: describe this";
    const before = h.mock.count("/chat/completions");
    const { data: plain, response: plainMiss } = await client.chat.completions.create({ model: "gpt-4o-mini", temperature: 0, messages: [{ role: "user", content: text }] }).withResponse();
    expect(plainMiss.headers.get("x-cache")).toBe("MISS");
    await waitStored(h, cacheOf(plainMiss).key);

    const image = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
    const { data: withImage, response: imageMiss } = await client.chat.completions
      .create({
        model: "gpt-4o-mini",
        temperature: 0,
        messages: [{ role: "user", content: [{ type: "text", text }, { type: "image_url", image_url: { url: image } }] }],
      })
      .withResponse();
    expect(imageMiss.headers.get("x-cache")).toBe("MISS");
    expect(cacheOf(imageMiss).key).not.toBe(cacheOf(plainMiss).key);
    expect(withImage.id).not.toBe(plain.id);
    expect(withImage.id).toBe(`chatcmpl-mock-${imageMiss.headers.get("x-mock-serial")}`);

    // The text alone as a one-part array is a different body too: messages are never flattened.
    const { response: partsMiss } = await client.chat.completions.create({ model: "gpt-4o-mini", temperature: 0, messages: [{ role: "user", content: [{ type: "text", text }] }] }).withResponse();
    expect(partsMiss.headers.get("x-cache")).toBe("MISS");
    expect(h.mock.count("/chat/completions")).toBe(before + 3);
  });

  test("a different anthropic-version header splits entries", async () => {
    const client = h.anthropic();
    const body: Anthropic.MessageCreateParamsNonStreaming = { model: "claude-haiku-4-5", max_tokens: 64, messages: [{ role: "user", content: "sdk-keys version: hello" }] };
    const before = h.mock.count("/v1/messages");
    const { data: first, response: miss } = await client.messages.create(body).withResponse();
    expect(miss.headers.get("x-cache")).toBe("MISS");
    await waitStored(h, cacheOf(miss).key);
    const { response: hit } = await client.messages.create(body).withResponse();
    expect(hit.headers.get("x-cache")).toBe("HIT");

    const { data: other, response: otherMiss } = await client.messages.create(body, { headers: { "anthropic-version": "2024-10-22" } }).withResponse();
    expect(h.mock.calls.at(-1)?.headers["anthropic-version"]).toBe("2024-10-22");
    expect(otherMiss.headers.get("x-cache")).toBe("MISS");
    expect(cacheOf(otherMiss).key).not.toBe(cacheOf(miss).key);
    expect(other.id).not.toBe(first.id);
    expect(h.mock.count("/v1/messages")).toBe(before + 2);
  });
});

describe("tenants", () => {
  test("ALICE's answer is not served to BOB; each then hits their own", async () => {
    const body: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming = { model: "gpt-4o-mini", temperature: 0, messages: [{ role: "user", content: "sdk-keys tenants: secret plan" }] };
    const alice = h.openai(ALICE);
    const bob = h.openai(BOB);
    const before = h.mock.count("/chat/completions");

    const { data: aliceFirst, response: aliceMiss } = await alice.chat.completions.create(body).withResponse();
    expect(aliceMiss.headers.get("x-cache")).toBe("MISS");
    await waitStored(h, cacheOf(aliceMiss).key);

    const { data: bobFirst, response: bobMiss } = await bob.chat.completions.create(body).withResponse();
    expect(bobMiss.headers.get("x-cache")).toBe("MISS");
    expect(cacheOf(bobMiss).key).not.toBe(cacheOf(aliceMiss).key);
    expect(bobFirst.id).toBe(`chatcmpl-mock-${bobMiss.headers.get("x-mock-serial")}`);
    expect(bobFirst.id).not.toBe(aliceFirst.id);
    expect(h.mock.calls.at(-1)?.headers.authorization).toBe(`Bearer ${BOB}`);
    expect(h.mock.count("/chat/completions")).toBe(before + 2);
    await waitStored(h, cacheOf(bobMiss).key);

    const { data: aliceAgain, response: aliceHit } = await alice.chat.completions.create(body).withResponse();
    expect(aliceHit.headers.get("x-cache")).toBe("HIT");
    expect(aliceAgain.id).toBe(aliceFirst.id);
    const { data: bobAgain, response: bobHit } = await bob.chat.completions.create(body).withResponse();
    expect(bobHit.headers.get("x-cache")).toBe("HIT");
    expect(bobAgain.id).toBe(bobFirst.id);
    expect(h.mock.count("/chat/completions")).toBe(before + 2);
  });

  test("keys stay per credential when more credentials than a body's remembered keys send it", async () => {
    // The proxy remembers the keys built for a body, 16 at most: 20 credentials pass that bound.
    const body = `{"model":"gpt-4o-mini","temperature":0,"messages":[{"role":"user","content":"sdk-keys many tenants"}]}`;
    const credentials = Array.from({ length: 20 }, (_, i) => `sk-valid-tenant-${i}`);
    const firstKeys: string[] = [];
    for (const credential of credentials) {
      const { response } = await rawChat(body, credential);
      expect(response.headers.get("x-cache")).toBe("MISS");
      firstKeys.push(cacheOf(response).key);
      await waitStored(h, cacheOf(response).key);
    }
    expect(new Set(firstKeys).size).toBe(credentials.length);
    // In the reverse order, so remembered and forgotten keys are both asked for.
    for (let i = credentials.length - 1; i >= 0; i--) {
      const { response } = await rawChat(body, credentials[i]);
      expect(response.headers.get("x-cache")).toBe("HIT");
      expect(cacheOf(response).key).toBe(firstKeys[i]!);
    }
  });

  test("a bogus key gets the upstream's 401 even though the same body is cached for ALICE", async () => {
    const body: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming = { model: "gpt-4o-mini", temperature: 0, messages: [{ role: "user", content: "sdk-keys bogus: hello" }] };
    const { response: aliceMiss } = await h.openai(ALICE).chat.completions.create(body).withResponse();
    await waitStored(h, cacheOf(aliceMiss).key);
    const before = h.mock.count("/chat/completions");

    const error = await thrown(() => h.openai("sk-bogus").chat.completions.create(body));
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    const apiError = error as InstanceType<typeof OpenAI.AuthenticationError>;
    expect(apiError.status).toBe(401);
    expect(apiError.code).toBe("invalid_api_key");
    expect(apiError.headers?.get("x-cache")).toBe("MISS");
    expect(h.mock.count("/chat/completions")).toBe(before + 1);
    expect(h.mock.calls.at(-1)?.headers.authorization).toBe("Bearer sk-bogus");

    // Anthropic: the same for a bogus key.
    const message: Anthropic.MessageCreateParamsNonStreaming = { model: "claude-haiku-4-5", max_tokens: 64, messages: [{ role: "user", content: "sdk-keys bogus: hello" }] };
    const { response: anthropicMiss } = await h.anthropic(ALICE).messages.create(message).withResponse();
    await waitStored(h, cacheOf(anthropicMiss).key);
    const anthropicBefore = h.mock.count("/v1/messages");
    const anthropicError = await thrown(() => h.anthropic("sk-bogus").messages.create(message));
    expect(anthropicError).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((anthropicError as InstanceType<typeof Anthropic.AuthenticationError>).status).toBe(401);
    expect(h.mock.count("/v1/messages")).toBe(anthropicBefore + 1);
  });

  test("the stored entry keeps no credential, cookie, rate-limit or request-id header", async () => {
    const { response: miss } = await h
      .openai(ALICE)
      .chat.completions.create({ model: "gpt-4o-mini", temperature: 0, messages: [{ role: "user", content: "sdk-keys entry: hello" }] })
      .withResponse();
    // The client itself was given the upstream's per-exchange headers.
    expect(miss.headers.get("x-request-id")).toMatch(/^req_mock_\d+$/);
    expect(miss.headers.get("x-ratelimit-remaining-requests")).toBe("9999");
    const entry = await waitStored(h, cacheOf(miss).key);
    const names = entry.response.headers.map(([name]) => name.toLowerCase());
    expect(names).toContain("content-type");
    expect(names).toContain("x-mock-serial");
    for (const name of names) {
      expect(name).not.toMatch(/^(authorization|x-api-key|set-cookie|cookie|x-request-id|request-id|date|content-length)$/);
      expect(name).not.toStartWith("x-ratelimit-");
    }
    const text = JSON.stringify(entry);
    expect(text).not.toContain(ALICE);
    expect(text).not.toContain("sk-valid");
    expect(entry.key).not.toContain(ALICE);

    const { response: hit } = await h
      .openai(ALICE)
      .chat.completions.create({ model: "gpt-4o-mini", temperature: 0, messages: [{ role: "user", content: "sdk-keys entry: hello" }] })
      .withResponse();
    expect(hit.headers.get("x-cache")).toBe("HIT");
    // Not the stored exchange's id: the sidecar's own id for this request.
    expect(hit.headers.get("x-request-id")).not.toMatch(/^req_mock_/);
    expect(hit.headers.get("x-ratelimit-remaining-requests")).toBeNull();

    // Anthropic's entry: no request-id, no credential.
    const { response: anthropicMiss } = await h
      .anthropic(ALICE)
      .messages.create({ model: "claude-haiku-4-5", max_tokens: 64, messages: [{ role: "user", content: "sdk-keys entry: hello" }] })
      .withResponse();
    expect(anthropicMiss.headers.get("request-id")).toMatch(/^req_mock_\d+$/);
    const anthropicEntry = await waitStored(h, cacheOf(anthropicMiss).key);
    expect(anthropicEntry.response.headers.map(([name]) => name.toLowerCase())).not.toContain("request-id");
    expect(JSON.stringify(anthropicEntry)).not.toContain("sk-valid");
  });
});
