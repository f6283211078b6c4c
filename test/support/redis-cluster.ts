import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis";
import { waitFor } from "./poll.ts";
import { freePort } from "./redis.ts";

async function info(port: number, section: string, password?: string): Promise<string> {
  const client = createClient({ url: `redis://127.0.0.1:${port}`, password, socket: { reconnectStrategy: false } });
  client.on("error", () => {});
  await client.connect();
  try {
    return section === "cluster" ? String(await client.sendCommand(["CLUSTER", "INFO"])) : await client.info(section);
  } finally {
    client.destroy();
  }
}

/** One redis-server process that can be stopped and started again on the same port. */
function node(args: string[], cwd: string) {
  let child: ReturnType<typeof Bun.spawn> | null = null;
  return {
    start() {
      child = Bun.spawn(["redis-server", ...args], { stdout: "ignore", stderr: "ignore", cwd });
    },
    /** Freezes the process (SIGSTOP): connections stay open, nothing is answered. */
    pause() {
      child?.kill("SIGSTOP");
    },
    resume() {
      child?.kill("SIGCONT");
    },
    async stop(signal: "SIGTERM" | "SIGKILL" = "SIGTERM") {
      const running = child;
      child = null;
      if (running === null) return;
      running.kill("SIGCONT"); // a frozen process would not act on SIGTERM
      running.kill(signal);
      await running.exited;
    },
  };
}

export interface LocalDeployment {
  readonly ports: number[];
  /** Stops every process and removes the files; the deployment cannot be started again. */
  stop(): Promise<void>;
  /** Ports of the nodes that hold data (not the sentinel). */
  readonly dataPorts: number[];
  /** Kills the data nodes (SIGKILL), keeping their ports and cluster configuration: Redis is down. */
  stopData(): Promise<void>;
  /** Starts the data nodes again and waits until the deployment serves. */
  startData(): Promise<void>;
  /** Freezes the data nodes (SIGSTOP): connected clients get no answer until resumeData(). */
  pauseData(): void;
  resumeData(): void;
}

/** Masters on loopback ports, joined with `redis-cli --cluster create`, no replicas. */
export async function startCluster(masters = 3): Promise<LocalDeployment & { urls: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), "redis-cluster-"));
  const ports: number[] = [];
  for (let i = 0; i < masters; i++) ports.push(await freePort());
  const nodes = ports.map((port) =>
    node(
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--cluster-enabled", "yes", "--cluster-config-file", join(dir, `nodes-${port}.conf`), "--cluster-node-timeout", "2000"],
      dir,
    ),
  );
  const serving = async () => {
    for (const port of ports) await waitFor(async () => (await info(port, "cluster")).includes("cluster_state:ok"), { what: `cluster state ok on ${port}` });
  };
  try {
    for (const each of nodes) each.start();
    for (const port of ports) await waitFor(async () => (await info(port, "server")).includes("redis_version"), { what: `cluster node ${port}` });
    const create = Bun.spawn(["redis-cli", "--cluster", "create", ...ports.map((port) => `127.0.0.1:${port}`), "--cluster-replicas", "0", "--cluster-yes"], { stdout: "ignore", stderr: "pipe" });
    if ((await create.exited) !== 0) throw new Error(`redis-cli --cluster create failed: ${await new Response(create.stderr).text()}`);
    await serving();
  } catch (error) {
    await Promise.all(nodes.map((each) => each.stop("SIGKILL")));
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    ports,
    dataPorts: ports,
    urls: ports.map((port) => `redis://127.0.0.1:${port}`),
    async stopData() {
      await Promise.all(nodes.map((each) => each.stop("SIGKILL")));
    },
    pauseData: () => nodes.forEach((each) => each.pause()),
    resumeData: () => nodes.forEach((each) => each.resume()),
    async startData() {
      for (const each of nodes) each.start();
      await serving();
    },
    async stop() {
      await Promise.all(nodes.map((each) => each.stop()));
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
  const master = node(["--port", String(masterPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...auth], dir);
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
  const sentinel = node([config, "--sentinel"], dir);
  const masterServes = () => waitFor(async () => (await info(masterPort, "server", password)).includes("redis_version"), { what: `master on ${masterPort}` });
  try {
    master.start();
    sentinel.start();
    await waitFor(async () => (await info(sentinelPort, "sentinel")).includes("master0:name=mymaster,status=ok"), { what: "sentinel watching mymaster" });
  } catch (error) {
    await Promise.all([master.stop("SIGKILL"), sentinel.stop("SIGKILL")]);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    ports: [masterPort, sentinelPort],
    dataPorts: [masterPort],
    masterPort,
    sentinelPort,
    async stopData() {
      await master.stop("SIGKILL");
    },
    pauseData: () => master.pause(),
    resumeData: () => master.resume(),
    async startData() {
      master.start();
      await masterServes();
    },
    async stop() {
      await Promise.all([sentinel.stop(), master.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
