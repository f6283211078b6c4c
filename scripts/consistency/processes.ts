import type { Subprocess } from "bun";
import { createClient } from "redis";
// Never the same port twice: a sidecar that cannot bind exits while the one already there answers its health check.
import { freePort } from "../../test/support/redis.ts";

/**
 * The real processes of a run: one redis-server and the sidecars, on free loopback ports.
 * Every process started here is remembered, so `killStarted` can end exactly those (and no
 * other) when the run ends early.
 */

const REPO = new URL("../../", import.meta.url).pathname;
const started = new Set<Subprocess>();


async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      socket.end();
      return;
    } catch {
      if (performance.now() > deadline) throw new Error(`nothing listened on port ${port} within ${timeoutMs} ms`);
      await Bun.sleep(10);
    }
  }
}

function spawn(command: string[], env?: Record<string, string>): Subprocess {
  const child = Bun.spawn(command, { cwd: REPO, env, stdin: "ignore", stdout: "ignore", stderr: "inherit" });
  started.add(child);
  void child.exited.then(() => started.delete(child));
  return child;
}

async function kill(child: Subprocess, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  child.kill(signal);
  return child.exited;
}

export interface RedisProcess {
  readonly port: number;
  readonly url: string;
  /** The running server's PID, or null while it is down. */
  readonly pid: number | null;
  /** Starts it (again) on the same port, without persistence, and waits until it listens. */
  start(): Promise<void>;
  /** SIGKILL, as a crash: no persistence, so every key is gone. */
  kill(): Promise<void>;
  /** A short-lived admin connection; the caller closes it. */
  admin(): Promise<ReturnType<typeof createClient>>;
}

export async function startRedis(): Promise<RedisProcess> {
  const port = await freePort();
  let child: Subprocess | null = null;
  const redis: RedisProcess = {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid ?? null;
    },
    async start() {
      const server = spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"]);
      child = server;
      await waitForPort(port, 5000);
      // The port must be answered by this server, not by one that held it first.
      const admin = await redis.admin();
      try {
        const info = String(await admin.sendCommand(["INFO", "server"]));
        if (!new RegExp(`^process_id:${server.pid}\\s*$`, "m").test(info)) throw new Error(`port ${port} is answered by another redis-server`);
      } finally {
        admin.destroy();
      }
    },
    async kill() {
      if (child === null) return;
      const dying = child;
      child = null;
      await kill(dying, "SIGKILL");
    },
    async admin() {
      const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { connectTimeout: 2000, reconnectStrategy: false } });
      client.on("error", () => {});
      await client.connect();
      return client;
    },
  };
  await redis.start();
  return redis;
}

export interface SidecarProcess {
  readonly index: number;
  readonly url: string;
  readonly pid: number;
  /** Whether the process is still running and its port is answered by it (its INSTANCE_ID). */
  isItself(): Promise<boolean>;
  /** SIGTERM, then SIGKILL if it has not exited within 5 s; resolves to its exit code. */
  stop(): Promise<number | null>;
}

/** Starts `src/main.ts` as its own process, as deployed, and waits until it answers on its port. */
export async function startSidecar(index: number, redisUrl: string): Promise<SidecarProcess> {
  const port = await freePort();
  // Unique to this run and sidecar: /metrics shows it, which tells whose port answers.
  const instanceId = `consistency-${process.pid}-${index}`;
  const child = spawn([process.execPath, "src/main.ts"], {
    PATH: process.env.PATH ?? "",
    PORT: String(port),
    LOG_LEVEL: "warn",
    REDIS_URL: redisUrl,
    INSTANCE_ID: instanceId,
  });
  const url = `http://127.0.0.1:${port}`;
  const isItself = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    try {
      return (await (await fetch(`${url}/metrics`)).text()).includes(`instance_id="${instanceId}"`);
    } catch {
      return false;
    }
  };
  const deadline = performance.now() + 15_000;
  for (;;) {
    if (await isItself()) break;
    if (child.exitCode !== null || performance.now() > deadline) {
      await kill(child, "SIGKILL");
      throw new Error(`sidecar ${index} did not start`);
    }
    await Bun.sleep(25);
  }
  return {
    index,
    url,
    pid: child.pid,
    isItself,
    async stop() {
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      try {
        return await kill(child, "SIGTERM");
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Ends every process this module started that is still running (a stopped one is continued first). */
export async function killStarted(): Promise<void> {
  const living = [...started];
  for (const child of living) {
    try {
      process.kill(child.pid, "SIGCONT");
    } catch {
      // Already gone.
    }
  }
  await Promise.all(living.map((child) => kill(child, "SIGKILL")));
}

/** Synchronous last resort for an exiting process: SIGKILL to every PID still remembered. */
export function killStartedNow(): void {
  for (const child of started) {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }
}
