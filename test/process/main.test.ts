import { describe, expect, test } from "bun:test";
import { waitFor } from "../support/poll.ts";
import { freePort } from "../support/redis.ts";
import { describeListenFailure, EXIT_LISTEN_FAILED, usage } from "../../src/cli.ts";

/** Runs the entry point the way the README does; SERVICE_COMMAND can point it at the built binary. */
const command = process.env.SERVICE_COMMAND ? [process.env.SERVICE_COMMAND] : [process.execPath, "src/main.ts"];

function run(env: Record<string, string>, args: string[] = []) {
  return Bun.spawn([...command, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, stdout: "pipe", stderr: "pipe" });
}

function waitForHealth(url: string): Promise<number> {
  return waitFor(async () => (await fetch(`${url}/health`)).status === 200, { what: "service answering /health" });
}

describe("the service process", () => {
  test("--help lists every variable; --version prints the version", async () => {
    const help = run({}, ["--help"]);
    const text = await new Response(help.stdout).text();
    expect(await help.exited).toBe(0);
    for (const name of ["PORT", "HOST", "REDIS_URL", "API_KEY", "ADDITIONAL_API_KEYS", "ENVIRONMENT", "LOG_LEVEL"]) expect(text).toContain(name);
    const version = run({}, ["--version"]);
    expect((await new Response(version.stdout).text()).trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(await version.exited).toBe(0);
  });

  test("a bad variable exits 2 with one line naming it", async () => {
    const child = run({ PORT: "eighty" });
    expect(await child.exited).toBe(2);
    const lines = (await new Response(child.stderr).text()).trim().split("\n");
    expect(lines.length).toBe(1);
    expect(lines[0]).toContain("PORT");
    expect(lines[0]).toContain("accepted");
  });

  test("production without an API key is refused the same way", async () => {
    const child = run({ ENVIRONMENT: "production" });
    expect(await child.exited).toBe(2);
    expect(await new Response(child.stderr).text()).toContain("API_KEY");
  });

  test("a bad value read after listening ends the process the same way before the app answers anything", async () => {
    const port = await freePort();
    const child = run({ PORT: String(port), ENVIRONMENT: "production" });
    let exited = false;
    void child.exited.then(() => (exited = true));
    // Only what listening needs is read before listening: /health may answer meanwhile, the app never does.
    const answered: number[] = [];
    while (!exited) {
      try {
        answered.push((await fetch(`http://127.0.0.1:${port}/internal/cache/status`)).status);
      } catch {
        await Bun.sleep(1);
      }
    }
    expect(await child.exited).toBe(2);
    expect(answered).toEqual([]);
    const lines = (await new Response(child.stderr).text()).trim().split("\n");
    expect(lines).toEqual(["ai-response-cache: configuration error: API_KEY: no API key is configured in production; accepted: a key in API_KEY, ADDITIONAL_API_KEYS or SCOPED_API_KEYS"]);
  });

  test("starts on the memory-only default, logs JSON, and exits 0 on SIGTERM", async () => {
    const port = await freePort();
    const child = run({ PORT: String(port), API_KEY: "process-secret-key" });
    try {
      await waitForHealth(`http://127.0.0.1:${port}`);
      expect((await fetch(`http://127.0.0.1:${port}/internal/cache/status`)).status).toBe(200);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await child.exited).toBe(0);
    const lines = (await new Response(child.stdout).text()).trim().split("\n").map((line) => JSON.parse(line));
    const started = lines.find((line) => line.msg === "ai-response-cache started");
    expect(started.config.redis).toBe("disabled");
    expect(started.config.apiKeysConfigured).toBe(1);
    expect(lines.at(-1).msg).toBe("stopped");
  });

  test("a port already in use exits 3 with one line naming PORT, no stack trace", async () => {
    const taken = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("taken") });
    try {
      const child = run({ PORT: String(taken.port), HOST: "127.0.0.1" });
      expect(await child.exited).toBe(EXIT_LISTEN_FAILED);
      const lines = (await new Response(child.stderr).text()).trim().split("\n");
      expect(lines).toEqual([`ai-response-cache: cannot listen on 127.0.0.1:${taken.port}: the port is already in use; set PORT to a free port (0 picks one)`]);
    } finally {
      taken.stop(true);
    }
  });

  test("an address this machine does not have exits 3 with one line naming HOST", async () => {
    // TEST-NET-1 (RFC 5737): never assigned to a host.
    const child = run({ PORT: "0", HOST: "192.0.2.1" });
    expect(await child.exited).toBe(EXIT_LISTEN_FAILED);
    const lines = (await new Response(child.stderr).text()).trim().split("\n");
    expect(lines.length).toBe(1);
    expect(lines[0]).toStartWith("ai-response-cache: cannot listen on 192.0.2.1:0: the address is not available on this machine; set HOST");
  });
});

describe("listen failures", () => {
  test("each is named with the variable to change; anything else is not one", () => {
    expect(describeListenFailure({ code: "EADDRINUSE" }, "127.0.0.1", 8080)).toContain("set PORT to a free port");
    expect(describeListenFailure({ code: "EADDRNOTAVAIL" }, "10.9.9.9", 8080)).toContain("set HOST to one of its addresses");
    expect(describeListenFailure({ code: "EACCES" }, "0.0.0.0", 80)).toContain("set PORT to 1024 or above");
    expect(describeListenFailure({ code: "EINVAL" }, "::1", 8080)).toStartWith("cannot listen on [::1]:8080: the address is not valid here; set HOST");
    expect(describeListenFailure(new Error("boom"), "127.0.0.1", 1)).toBeNull();
    expect(describeListenFailure(null, "127.0.0.1", 1)).toBeNull();
    // --help documents both exit codes.
    expect(usage("1.2.3")).toContain("exits with code 3");
  });

});

describe("npm start", () => {
  test("SIGTERM to npm reaches the service, which exits and frees its port", async () => {
    const port = await freePort();
    const npm = Bun.spawn(["npm", "start", "--silent"], { env: { PATH: process.env.PATH ?? "", PORT: String(port), LOG_LEVEL: "info" }, stdout: "pipe", stderr: "pipe" });
    const url = `http://127.0.0.1:${port}`;
    let servicePid: number | undefined;
    const stdout = new Response(npm.stdout).text();
    try {
      await waitForHealth(url);
      npm.kill("SIGTERM");
      await npm.exited;
      const started = (await stdout).split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line)).find((line) => line.msg === "ai-response-cache started");
      servicePid = started.pid;
      expect(servicePid).not.toBe(npm.pid);
      await waitFor(async () => !(await fetch(`${url}/health`).then(() => true, () => false)), { what: "the service to stop answering after npm got SIGTERM", timeoutMs: 10_000 });
      expect(() => process.kill(servicePid!, 0)).toThrow();
    } finally {
      npm.kill("SIGKILL");
      // Never leave a service behind when the signal did not reach it.
      if (servicePid !== undefined) {
        try {
          process.kill(servicePid, "SIGKILL");
        } catch {}
      }
    }
  });
});
