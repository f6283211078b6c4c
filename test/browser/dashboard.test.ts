import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { startMockLlm, type MockLlm } from "../support/mock-llm.ts";
import { waitFor } from "../support/poll.ts";
import { freePort, startRedis, type RedisServer } from "../support/redis.ts";
import { generateTraffic } from "../support/traffic.ts";

/**
 * The dashboard as an operator sees it: the compiled binary (built here from the current
 * source, or the one named by DASHBOARD_BINARY) with a real Redis and the proxy in front of the
 * mock upstream, real traffic, then a real headless Chromium (Debian's) loading /dashboard.
 * Every panel must show data, the console must stay clean, and nothing may leave loopback.
 * Screenshots go to reports/, which CI keeps.
 */
const ROOT = join(import.meta.dir, "../..");
const REPORTS = join(ROOT, "reports");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const API_KEY = "dashboard-test-key";
const UPSTREAM_KEY = "sk-valid-dashboard";
const WAVES = Number(process.env.DASHBOARD_TRAFFIC_WAVES ?? 6);
const PANEL_DEADLINE_MS = 60_000;

let work: string;
let redis: RedisServer;
let mock: MockLlm;
let sidecar: { url: string; process: ReturnType<typeof Bun.spawn> };
let context: BrowserContext;

async function binary(): Promise<string> {
  if (process.env.DASHBOARD_BINARY) return process.env.DASHBOARD_BINARY;
  const out = join(work, "ai-response-cache");
  const build = Bun.spawn(["bash", "scripts/build.sh"], { cwd: ROOT, env: { ...process.env, OUT: out }, stdout: "ignore", stderr: "inherit" });
  expect(await build.exited).toBe(0);
  return out;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "dashboard-test-"));
  mkdirSync(REPORTS, { recursive: true });
  const executable = await binary();
  redis = await startRedis();
  mock = await startMockLlm();
  const port = await freePort();
  const child = Bun.spawn([executable], {
    env: {
      PATH: process.env.PATH ?? "",
      PORT: String(port),
      LOG_LEVEL: "warn",
      INSTANCE_ID: "checkout-api-7f9c",
      API_KEY,
      REDIS_URL: redis.url,
      PROXY_OPENAI_URL: mock.openaiBaseUrl,
      PROXY_ANTHROPIC_URL: mock.anthropicBaseUrl,
      PROXY_TENANT_SECRET: "dashboard-test",
      // Small enough that older entries are evicted and come back from Redis.
      CACHE_MEMORY_MAX_ENTRIES: "60",
      // A 2.4-minute window of 2.4 s slices, so a few seconds of traffic spread over several.
      MONITOR_RETENTION_HOURS: "0.04",
      MODEL_PRICES: "gpt-4o-mini=0.15/0.6,gpt-4o=2.5/10,claude-sonnet-4-5=3/15",
    },
    stdout: "ignore",
    stderr: "inherit",
  });
  sidecar = { url: `http://127.0.0.1:${port}`, process: child };
  await waitFor(async () => (await fetch(`${sidecar.url}/health`)).ok, { what: "the binary answering /health" });
  await generateTraffic({ url: sidecar.url, apiKey: API_KEY, upstreamKey: UPSTREAM_KEY, waves: WAVES, pauseMs: 1500 });
  context = await chromium.launchPersistentContext(join(work, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1360, height: 900 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}, 180_000);

afterAll(async () => {
  await context?.close();
  sidecar?.process.kill("SIGTERM");
  await sidecar?.process.exited;
  await mock?.stop();
  await redis?.stop(true);
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Every request the page makes, and everything it logs as an error. */
function watch(page: Page) {
  const requests: string[] = [];
  const errors: string[] = [];
  page.on("request", (request) => requests.push(request.url()));
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
  return { requests, errors };
}

/** Refuses (and so reveals) any request that is not to the sidecar. */
async function keepOnLoopback(page: Page): Promise<string[]> {
  const refused: string[] = [];
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(`${sidecar.url}/`)) return route.continue();
    refused.push(url);
    return route.abort("blockedbyclient");
  });
  return refused;
}

const panelsNotFilled = (page: Page) =>
  page.$$eval("[data-panel]", (panels) => panels.filter((panel) => panel.getAttribute("data-filled") !== "true").map((panel) => panel.getAttribute("data-panel")));

describe("the dashboard in the built binary", () => {
  test("with keys configured, the page asks for one, refuses a wrong one and keeps the right one for the tab", async () => {
    const page = await context.newPage();
    const seen = watch(page);
    const refused = await keepOnLoopback(page);
    await page.goto(`${sidecar.url}/dashboard`);
    await page.locator("#key-form").waitFor({ state: "visible" });
    expect(await page.locator("#dashboard").isHidden()).toBe(true);
    await page.fill("#key", "not-the-key");
    await page.click("#key-form button");
    await waitFor(async () => (await page.textContent("#key-error")) === "That key was refused.", { what: "the refusal shown" });
    expect(await page.evaluate(() => sessionStorage.getItem("ai-response-cache.api-key"))).toBeNull();
    await page.fill("#key", API_KEY);
    await page.click("#key-form button");
    await page.locator("#dashboard").waitFor({ state: "visible" });
    expect(await page.evaluate(() => sessionStorage.getItem("ai-response-cache.api-key"))).toBe(API_KEY);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    // The two unauthenticated reads are the only errors the browser logged.
    expect(seen.errors.length).toBe(2);
    for (const error of seen.errors) expect(error).toContain("401");
    expect(refused).toEqual([]);
    await page.close();
  }, 60_000);

  test("after real traffic every panel shows data, the console is clean and nothing leaves loopback", async () => {
    const page = await context.newPage();
    const refused = await keepOnLoopback(page);
    // The key as an operator would have entered it in this tab.
    await page.addInitScript((key) => sessionStorage.setItem("ai-response-cache.api-key", key), API_KEY);
    const seen = watch(page);
    await page.goto(`${sidecar.url}/dashboard`);
    await waitFor(async () => (await panelsNotFilled(page)).length === 0, { timeoutMs: PANEL_DEADLINE_MS, what: "every panel filled" }).catch(async (error) => {
      throw new Error(`${(error as Error).message}; empty: ${(await panelsNotFilled(page)).join(", ")}`);
    });
    // It refreshes by itself: a second read arrives without any action.
    await waitFor(async () => Number(await page.getAttribute("body", "data-loaded")) >= 2, { timeoutMs: PANEL_DEADLINE_MS, what: "a second refresh" });

    expect((await page.$$("[data-panel]")).length).toBe(17);
    // Each chart drew on a canvas, with uPlot from the binary.
    for (const id of ["chart-hit-rate", "chart-rps", "chart-lookup", "chart-store", "chart-invalidations"]) {
      expect(await page.locator(`#${id} canvas`).count()).toBe(1);
    }
    const text = (selector: string) => page.textContent(selector).then((value) => value ?? "");
    expect(await text("#operations")).toContain("summarize");
    expect(await text("#endpoints")).toContain("openai.chat.completions");
    expect(await text("#endpoints")).toContain("anthropic.messages");
    expect(await text("#models")).toContain("gpt-4o-mini");
    expect(await text("#models")).toMatch(/\$\d/);
    expect(await text("#redis")).toContain("connected");
    expect(await text("#memory")).toContain("of 60");
    expect(await text("#recommendations")).toContain("Low invalidation efficiency");
    expect(await text("#kpi-money")).toMatch(/^\$\d/);
    expect(await text("#meta")).toContain("checkout-api-7f9c");
    expect(Number((await text("#kpi-calls")).replace(/,/g, ""))).toBeGreaterThan(0);

    expect(seen.errors).toEqual([]);
    expect(refused).toEqual([]);
    expect(seen.requests.length).toBeGreaterThan(3);
    for (const url of seen.requests) expect(url.startsWith(`${sidecar.url}/dashboard`)).toBe(true);

    await page.screenshot({ path: join(REPORTS, "dashboard.png"), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    // On a phone the cards stack in one column and nothing is wider than the screen.
    await waitFor(async () => (await page.evaluate<number>("document.documentElement.scrollWidth")) <= 390, { what: "the page fitting a phone's width" });
    await page.screenshot({ path: join(REPORTS, "dashboard-phone.png"), fullPage: true });
    expect(existsSync(join(REPORTS, "dashboard.png"))).toBe(true);
    expect(seen.errors).toEqual([]);
    await page.close();
  }, 120_000);
});
