import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { serve, type RunningServer } from "../../src/http/serve.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { createMemoryLogger } from "../support/logger.ts";

/**
 * The docs UI in a real headless Chromium (Debian's): the page, the embedded script and the
 * document load from /docs/ (trailing slash), every operation is opened, lookup's "Test
 * Request" sends its example, and not one request leaves loopback. Requests to any other
 * host are recorded and aborted, so the check holds on a machine with or without a network.
 */
let t: TestApp;
let running: RunningServer;
let context: BrowserContext;
let page: Page;
let profile: string;
const requests: { method: string; url: string; body: string | null }[] = [];
const outside: string[] = [];

const loopback = (url: string): boolean => {
  const { protocol, hostname } = new URL(url);
  if (protocol === "data:" || protocol === "blob:" || protocol === "about:") return true;
  return hostname === "127.0.0.1" || hostname === "localhost" || hostname === "[::1]";
};

beforeAll(async () => {
  t = await buildTestApp({});
  running = serve(t.fetch, { host: "127.0.0.1", port: 0, maxBodyBytes: 1 << 20, shutdownTimeoutMs: 2000, logger: createMemoryLogger("warn") });
  profile = mkdtempSync(join(tmpdir(), "docs-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (loopback(url)) return route.continue();
    outside.push(url);
    return route.abort();
  });
  context.on("request", (request) => requests.push({ method: request.method(), url: request.url(), body: request.postData() }));
  page = await context.newPage();
}, 60_000);

afterAll(async () => {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
  await running.shutdown();
  await t.close();
});

describe("the docs UI in a headless browser", () => {
  test("/docs/ loads the document from /docs/json, not /docs/docs/json", async () => {
    await page.goto(`${running.url}/docs/`);
    await page.getByText("Look up a cached response").first().waitFor({ timeout: 20_000 });
    const paths = requests.map((request) => new URL(request.url).pathname);
    expect(paths).toContain("/docs/json");
    expect(paths).not.toContain("/docs/docs/json");
    await expect(page.getByText("Document could not be loaded").count()).resolves.toBe(0);
    // The copied curl command names this sidecar, not a bare path.
    const text = await page.locator("body").innerText();
    expect(text).toContain(`curl ${running.url}/cache/lookup`);
  }, 30_000);

  test("every operation opens; no AI, MCP, share or deploy feature, no visible link out", async () => {
    const spec = (await (await fetch(`${running.url}/docs/json`)).json()) as { paths: Record<string, Record<string, { summary: string }>> };
    const summaries = Object.values(spec.paths).flatMap((item) => Object.values(item).map((operation) => operation.summary));
    // Each opened group's button becomes "Close Group", so open the first closed one until none is left.
    const closed = page.getByRole("button", { name: /^Open Group/ });
    for (let opened = 0; (await closed.count()) > 0 && opened < 10; opened++) await closed.first().click();
    for (const summary of summaries) {
      const entry = page.getByText(summary, { exact: true }).first();
      await entry.click();
      await expect(entry.isVisible()).resolves.toBe(true);
    }
    for (const feature of ["Ask AI", "Generate MCP", "Deploy", "Share", "Open API Client"]) {
      await expect(page.getByText(feature, { exact: true }).count()).resolves.toBe(0);
    }
    // Runs in the page; typed by hand because the project's TypeScript has no DOM library.
    const links = await page.locator("a[href]").evaluateAll((anchors) =>
      (anchors as unknown as { offsetParent: unknown; href: string }[]).filter((anchor) => anchor.offsetParent !== null).map((anchor) => anchor.href),
    );
    expect(links.filter((href) => !loopback(href))).toEqual([]);
  }, 60_000);

  test("Test Request on lookup sends the documented example to this sidecar and gets 200", async () => {
    await page.goto(`${running.url}/docs/#tag/data-plane/POST/cache/lookup`);
    await page.getByRole("button", { name: /Test Request/ }).first().click();
    const answered = page.waitForResponse((response) => response.url().endsWith("/cache/lookup"), { timeout: 15_000 });
    await page.getByRole("button", { name: /^Send/ }).first().click();
    expect((await answered).status()).toBe(200);
    const sent = requests.find((request) => request.method === "POST")!;
    expect(new URL(sent.url).pathname).toBe("/cache/lookup");
    expect(JSON.parse(sent.body!)).toEqual({ operation: "summarize", text: "RFC 9211 defines the Cache-Status HTTP response header field...", options: { max_length: 100 } });
  }, 30_000);

  test("no request left loopback", () => {
    expect(outside).toEqual([]);
    expect(requests.length).toBeGreaterThan(3);
  });
});
