import { waitFor } from "./poll.ts";
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
  try {
    // A sidecar that dies at start fails here at once, with its exit code, not at the deadline.
    const died = child.exited.then((code) => Promise.reject(new Error(`sidecar on port ${port} exited with code ${code} before answering /health`)));
    died.catch(() => {});
    await Promise.race([waitFor(async () => (await fetch(`${url}/health`)).status === 200, { what: `sidecar on port ${port} answering /health` }), died]);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
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

/**
 * Polls until `condition` holds; returns the milliseconds it took, or throws after `timeoutMs`.
 * The shared helper (support/poll.ts) under its older name, checking every 2 ms so that the
 * time it returns is close to when the condition became true.
 */
export function within(timeoutMs: number, condition: () => Promise<boolean>): Promise<number> {
  return waitFor(condition, { timeoutMs, intervalMs: 2 });
}
