import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis";
import { freePort } from "./redis.ts";

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await condition()) return;
    } catch {
      // not yet
    }
    await Bun.sleep(50);
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms`);
}

async function info(port: number, section: string): Promise<string> {
  const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } });
  client.on("error", () => {});
  await client.connect();
  try {
    return section === "cluster" ? String(await client.sendCommand(["CLUSTER", "INFO"])) : await client.info(section);
  } finally {
    client.destroy();
  }
}

export interface LocalDeployment {
  readonly ports: number[];
  stop(): Promise<void>;
}

/** Three masters on loopback ports, joined with `redis-cli --cluster create`, no replicas. */
export async function startCluster(masters = 3): Promise<LocalDeployment & { urls: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), "redis-cluster-"));
  const ports: number[] = [];
  const processes: ReturnType<typeof Bun.spawn>[] = [];
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort();
      ports.push(port);
      processes.push(
        Bun.spawn(
          ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--cluster-enabled", "yes", "--cluster-config-file", join(dir, `nodes-${port}.conf`), "--cluster-node-timeout", "2000"],
          { stdout: "ignore", stderr: "ignore", cwd: dir },
        ),
      );
    }
    for (const port of ports) await waitFor(async () => (await info(port, "server")).includes("redis_version"), 5000, `node ${port}`);
    const create = Bun.spawn(["redis-cli", "--cluster", "create", ...ports.map((port) => `127.0.0.1:${port}`), "--cluster-replicas", "0", "--cluster-yes"], { stdout: "ignore", stderr: "pipe" });
    if ((await create.exited) !== 0) throw new Error(`redis-cli --cluster create failed: ${await new Response(create.stderr).text()}`);
    for (const port of ports) await waitFor(async () => (await info(port, "cluster")).includes("cluster_state:ok"), 10_000, `cluster state on ${port}`);
  } catch (error) {
    for (const child of processes) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    ports,
    urls: ports.map((port) => `redis://127.0.0.1:${port}`),
    async stop() {
      for (const child of processes) child.kill("SIGTERM");
      await Promise.all(processes.map((child) => child.exited));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One master and one sentinel watching it as "mymaster". */
export async function startSentinel(password?: string): Promise<LocalDeployment & { masterPort: number; sentinelPort: number }> {
  const dir = mkdtempSync(join(tmpdir(), "redis-sentinel-"));
  const masterPort = await freePort();
  const sentinelPort = await freePort();
  const auth = password ? ["--requirepass", password] : [];
  const master = Bun.spawn(["redis-server", "--port", String(masterPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...auth], { stdout: "ignore", stderr: "ignore" });
  const config = join(dir, "sentinel.conf");
  writeFileSync(
    config,
    [
      `port ${sentinelPort}`,
      "bind 127.0.0.1",
      `sentinel monitor mymaster 127.0.0.1 ${masterPort} 1`,
      "sentinel down-after-milliseconds mymaster 2000",
      ...(password ? [`sentinel auth-pass mymaster ${password}`] : []),
      "",
    ].join("\n"),
  );
  const sentinel = Bun.spawn(["redis-server", config, "--sentinel"], { stdout: "ignore", stderr: "ignore", cwd: dir });
  try {
    await waitFor(async () => (await info(sentinelPort, "sentinel")).includes("master0:name=mymaster,status=ok"), 10_000, "sentinel");
  } catch (error) {
    master.kill("SIGKILL");
    sentinel.kill("SIGKILL");
    throw error;
  }
  return {
    ports: [masterPort, sentinelPort],
    masterPort,
    sentinelPort,
    async stop() {
      sentinel.kill("SIGTERM");
      master.kill("SIGTERM");
      await Promise.all([sentinel.exited, master.exited]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
