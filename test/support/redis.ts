import { createClient } from "redis";
import { waitFor } from "./poll.ts";

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Stops the server (SIGKILL when `hard`), keeping its port for a restart. */
  stop(hard?: boolean): Promise<void>;
  /** Starts it again on the same port, after stop(); refused while it runs. */
  start(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open and nothing is answered until resume(). */
  pause(): void;
  resume(): void;
  /** A plain client for arranging and checking data directly. */
  client(): Promise<ReturnType<typeof createClient>>;
}

const handedOut = new Set<number>();

/** A free loopback port, found by binding port 0; never the same one twice in a test run. */
export async function freePort(): Promise<number> {
  for (;;) {
    const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = listener.port;
    listener.stop(true);
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

function waitForPort(port: number): Promise<number> {
  return waitFor(
    async () => {
      const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      socket.end();
      return true;
    },
    { what: `redis-server listening on ${port}` },
  );
}

/** Starts a real redis-server on a free loopback port, without persistence. */
export async function startRedis(extraArgs: string[] = []): Promise<RedisServer> {
  const port = await freePort();
  let process: ReturnType<typeof Bun.spawn> | null = null;
  const clients: ReturnType<typeof createClient>[] = [];
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      // A second server on the same port would fail to bind, and the first would outlive stop().
      if (process !== null) throw new Error(`redis-server on ${port} is already running`);
      process = Bun.spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...extraArgs], {
        stdout: "ignore",
        stderr: "ignore",
      });
      await waitForPort(port);
    },
    pause() {
      process?.kill("SIGSTOP");
    },
    resume() {
      process?.kill("SIGCONT");
    },
    async stop(hard = false) {
      for (const client of clients.splice(0)) client.destroy();
      if (process === null) return;
      process.kill("SIGCONT"); // a frozen server would not act on SIGTERM
      process.kill(hard ? "SIGKILL" : "SIGTERM");
      await process.exited;
      process = null;
    },
    async client() {
      const client = createClient({ url: `redis://127.0.0.1:${port}`, password: passwordOf(extraArgs) });
      client.on("error", () => {});
      await client.connect();
      clients.push(client);
      return client;
    },
  };
  await server.start();
  return server;
}

function passwordOf(args: string[]): string | undefined {
  const index = args.indexOf("--requirepass");
  return index >= 0 ? args[index + 1] : undefined;
}
