import { freePort } from "./redis.ts";

export interface SidecarProcess {
  readonly url: string;
  readonly pid: number;
  post(path: string, body?: unknown): Promise<any>;
  get(path: string): Promise<any>;
  stop(): Promise<number>;
}

/** Starts the service as its own process (as deployed), on a free loopback port. */
export async function startSidecar(env: Record<string, string>): Promise<SidecarProcess> {
  const port = await freePort();
  const child = Bun.spawn([process.execPath, "src/main.ts"], {
    env: { PATH: process.env.PATH ?? "", PORT: String(port), LOG_LEVEL: "warn", ...env },
    stdout: "ignore",
    stderr: "inherit",
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/health`)).status === 200) break;
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error("sidecar did not start");
      }
      await Bun.sleep(25);
    }
  }
  return {
    url,
    pid: child.pid,
    async post(path, body) {
      const response = await fetch(`${url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return response.json();
    },
    async get(path) {
      return (await fetch(`${url}${path}`)).json();
    },
    async stop() {
      child.kill("SIGTERM");
      return child.exited;
    },
  };
}

/** Polls until `condition` holds; returns the milliseconds it took, or throws after `timeoutMs`. */
export async function within(timeoutMs: number, condition: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await condition()) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await Bun.sleep(2);
  }
}
