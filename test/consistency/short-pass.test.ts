import { expect, test } from "bun:test";

/**
 * A short pass of `npm run check:consistency`: two sidecar processes on a real Redis, four
 * clients, faults on, then key injectivity. Run as its own process, as a developer runs it; it
 * starts and stops its own redis-server and sidecars.
 */
const REPO = new URL("../../", import.meta.url).pathname;
const SECONDS = 8;
/** The pass takes about SECONDS + 3 s; SIGTERM makes it stop its processes if it hangs. */
const STOP_AFTER_MS = 45_000;

test(
  "a short randomized pass with faults finds no violation",
  async () => {
    const child = Bun.spawn(
      [process.execPath, "scripts/check-consistency.ts", "--seconds", String(SECONDS), "--sidecars", "2", "--clients", "4", "--injectivity-families", "60", "--max-report", "10"],
      { cwd: REPO, stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "" } },
    );
    const timer = setTimeout(() => child.kill("SIGTERM"), STOP_AFTER_MS);
    const [output, errors, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    clearTimeout(timer);
    // On failure the whole report (seed, violations with their history) is in the message.
    const report = `${output}\n${errors}`;
    expect({ code, report }).toMatchObject({ code: 0 });
    const summary = /consistency: PASS: (\d+) operations checked, 0 violations/.exec(output);
    expect(summary, report).not.toBeNull();
    const history = Number(/history: (\d+) operations checked/.exec(output)?.[1]);
    const hits = Number(/\((\d+) hits checked against the rules\)/.exec(output)?.[1]);
    expect(history, report).toBeGreaterThan(1000);
    expect(hits, report).toBeGreaterThan(200);
    expect(output, report).toMatch(/faults {5}(pause|stop|pubsub-kill|restart) \d/);
    expect(output, report).toMatch(/key injectivity: \d+ inputs, \d+ stored/);
  },
  60_000,
);
