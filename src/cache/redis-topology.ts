import { createClient, createCluster, createSentinel, RESP_TYPES } from "redis";
import { describeTarget, redactUrl, type TopologyTarget } from "../config/redis-target.ts";
import { errorMessage } from "./errors.ts";

/** The commands the cache sends, with blob replies read as Buffers (binary-safe values). */
export interface CacheCommands {
  get(key: string): Promise<Buffer | null>;
  set(key: string, value: Buffer, options: { expiration: { type: "PX"; value: number } }): Promise<unknown>;
  unlink(keys: string | string[]): Promise<number>;
  pTTL(key: string): Promise<number>;
  publish(channel: string, message: string): Promise<number>;
}

/** What one node (or the single server) reports for /internal/cache/status. */
export interface NodeReport {
  readonly address: string;
  readonly role: "master" | "replica";
  readonly status: "connected" | "unavailable";
  readonly keys?: number;
  readonly usedMemoryBytes?: number;
  readonly usedMemoryHuman?: string;
  readonly connectedClients?: number;
  readonly error?: string;
}

/** Lifecycle events, the same for every topology. */
export interface TopologyEvents {
  /** Commands can flow (first connection or reconnection). */
  ready(): void;
  /** A connection failed; messages sent meanwhile may have been missed. */
  error(error: unknown): void;
  /** The whole topology is unreachable. */
  down(): void;
}

/** Wraps each command: fails fast when down and bounds it by the command timeout. */
export type Runner = <T>(command: () => Promise<T>, name: string) => Promise<T>;

export interface RedisTopology {
  readonly kind: "standalone" | "cluster" | "sentinel";
  /** Where, with passwords masked. */
  readonly description: string;
  readonly commands: CacheCommands;
  connect(): Promise<void>;
  isReady(): boolean;
  close(): Promise<void>;
  destroy(): void;
  /** SCAN every master for the glob and UNLINK what matches; returns how many keys went. */
  deleteMatching(glob: string, run: Runner, batch: number): Promise<number>;
  nodes(run: Runner): Promise<NodeReport[]>;
  /**
   * Subscribes on a connection of its own, which resubscribes after reconnecting; `onLost`
   * hears every failure of it (messages published meanwhile are lost).
   */
  subscribe(subscriptions: readonly Subscription[], onLost: (error: unknown) => void): Promise<void>;
}

export interface Subscription {
  readonly channel: string;
  readonly listener: (message: string) => void;
}

export interface ConnectionOptions {
  /** CLIENT SETNAME, so operators can tell the sidecars apart in CLIENT LIST. */
  readonly clientName?: string;
  readonly connectTimeoutMs: number;
  readonly tlsCa?: string | null;
  readonly reconnectDelay: (retries: number, cause: Error) => number | false;
}

export type { TopologyTarget };

const binaryReplies = { [RESP_TYPES.BLOB_STRING]: Buffer } as const;

function socketOptions(options: ConnectionOptions) {
  return {
    ...(options.tlsCa ? { tls: true as const, ca: options.tlsCa } : {}),
    connectTimeout: options.connectTimeoutMs,
    reconnectStrategy: options.reconnectDelay,
  };
}

function field(info: string, name: string): string {
  return new RegExp(`^${name}:(.*)$`, "m").exec(info)?.[1]?.trim() ?? "";
}

async function report(address: string, role: NodeReport["role"], run: Runner, probe: { info(): Promise<string>; dbSize(): Promise<number> }): Promise<NodeReport> {
  try {
    const [info, keys] = await run(() => Promise.all([probe.info(), probe.dbSize()]), "INFO");
    return {
      address,
      role,
      status: "connected",
      keys: Number(keys) || 0,
      usedMemoryBytes: Number(field(info, "used_memory")) || 0,
      usedMemoryHuman: field(info, "used_memory_human"),
      connectedClients: Number(field(info, "connected_clients")) || 0,
    };
  } catch (error) {
    return { address, role, status: "unavailable", error: errorMessage(error) };
  }
}

/** SCAN one node and unlink its matches; `unlink` decides how keys are grouped. */
async function scanNode(
  node: { scan(cursor: string, options: { MATCH: string; COUNT: number }): Promise<{ cursor: string | number; keys: string[] }> },
  glob: string,
  run: Runner,
  batch: number,
  unlink: (keys: string[]) => Promise<number>,
): Promise<number> {
  let cursor = "0";
  const unlinks: Promise<number>[] = [];
  do {
    const reply = await run(() => node.scan(cursor, { MATCH: glob, COUNT: batch }), "SCAN");
    cursor = String(reply.cursor);
    // Sent without waiting, so each UNLINK travels with the next SCAN.
    if (reply.keys.length > 0) unlinks.push(unlink(reply.keys));
  } while (cursor !== "0");
  let removed = 0;
  for (const count of await Promise.all(unlinks)) removed += count;
  return removed;
}

function standalone(target: Extract<TopologyTarget, { kind: "standalone" }>, options: ConnectionOptions, events: TopologyEvents): RedisTopology {
  const url = target.url;
  const client = createClient({ url, name: options.clientName, disableOfflineQueue: true, socket: socketOptions(options) });
  client.on("ready", () => events.ready());
  client.on("error", (error: unknown) => events.error(error));
  client.on("end", () => events.down());
  const commands = client.withTypeMapping(binaryReplies) as unknown as CacheCommands;
  let subscriber: ReturnType<typeof client.duplicate> | null = null;
  return {
    kind: "standalone",
    description: describeTarget(target),
    commands,
    connect: async () => {
      await client.connect();
    },
    isReady: () => client.isReady,
    async close() {
      await subscriber?.close().catch(() => subscriber?.destroy());
      if (client.isOpen) await client.close();
    },
    destroy() {
      subscriber?.destroy();
      if (client.isOpen) client.destroy();
    },
    deleteMatching: (glob, run, batch) => scanNode(client, glob, run, batch, (keys) => run(() => client.unlink(keys), "UNLINK")),
    async nodes(run) {
      return [await report(redactUrl(url), "master", run, client)];
    },
    async subscribe(subscriptions, onLost) {
      const connection = client.duplicate();
      subscriber = connection;
      // Its failures are coherence's concern, not the command connection's state.
      connection.on("error", (error: unknown) => onLost(error));
      connection.on("end", () => onLost(new Error("subscriber connection closed")));
      await connection.connect();
      for (const { channel, listener } of subscriptions) await connection.subscribe(channel, listener);
    },
  };
}

function cluster(target: Extract<TopologyTarget, { kind: "cluster" }>, options: ConnectionOptions, events: TopologyEvents): RedisTopology {
  const urls = target.urls;
  const client = createCluster({
    rootNodes: urls.map((url) => ({ url })),
    defaults: {
      name: options.clientName,
      disableOfflineQueue: true,
      socket: socketOptions(options),
      ...passwordOf(urls[0]!),
    },
  });
  let connected = false;
  client.on("connect", () => {
    connected = true;
    events.ready();
  });
  client.on("disconnect", () => {
    connected = false;
    events.down();
  });
  client.on("error", (error: unknown) => events.error(error));
  // A node's connection failing may be the one that carries pub/sub messages.
  const lostListeners: ((error: unknown) => void)[] = [];
  client.on("node-error", (error: unknown) => {
    events.error(error);
    for (const onLost of lostListeners) onLost(error);
  });
  const commands = client.withTypeMapping(binaryReplies) as unknown as CacheCommands;
  const shards = () => [
    ...client.masters.map((node) => ({ node, role: "master" as const })),
    ...client.replicas.map((node) => ({ node, role: "replica" as const })),
  ];
  return {
    kind: "cluster",
    description: describeTarget(target),
    commands,
    connect: async () => {
      await client.connect();
    },
    isReady: () => connected && client.isOpen,
    async close() {
      if (client.isOpen) await client.close();
    },
    destroy() {
      if (client.isOpen) client.destroy();
    },
    async deleteMatching(glob, run, batch) {
      let removed = 0;
      for (const master of client.masters) {
        const node = await run(() => client.nodeClient(master), "CONNECT");
        // Keys of one node may sit in different slots: a multi-key UNLINK would be refused (CROSSSLOT).
        removed += await scanNode(node, glob, run, batch, async (keys) => {
          const counts = await Promise.all(keys.map((key) => run(() => client.unlink(key), "UNLINK")));
          return counts.reduce((sum, count) => sum + count, 0);
        });
      }
      return removed;
    },
    async nodes(run) {
      return Promise.all(
        shards().map(async ({ node, role }) => {
          const address = `${node.host}:${node.port}`;
          try {
            return await report(address, role, run, await run(() => client.nodeClient(node), "CONNECT"));
          } catch (error) {
            return { address, role, status: "unavailable" as const, error: errorMessage(error) };
          }
        }),
      );
    },
    async subscribe(subscriptions, onLost) {
      lostListeners.push(onLost);
      for (const { channel, listener } of subscriptions) await client.subscribe(channel, listener);
    },
  };
}

function sentinel(target: Extract<TopologyTarget, { kind: "sentinel" }>, options: ConnectionOptions, events: TopologyEvents): RedisTopology {
  const client = createSentinel({
    name: target.master,
    sentinelRootNodes: target.sentinels.map(({ host, port }) => ({ host, port })),
    nodeClientOptions: { name: options.clientName, socket: socketOptions(options), ...(target.password ? { password: target.password } : {}) },
    sentinelClientOptions: { socket: { connectTimeout: options.connectTimeoutMs } },
  });
  let ready = false;
  const lostListeners: ((error: unknown) => void)[] = [];
  client.on("error", (error: unknown) => {
    ready = false;
    events.error(error);
    for (const onLost of lostListeners) onLost(error);
  });
  client.on("topology-change", () => events.error(new Error("sentinel topology changed")));
  const commands = client.withTypeMapping(binaryReplies) as unknown as CacheCommands;
  return {
    kind: "sentinel",
    description: describeTarget(target),
    commands,
    async connect() {
      await client.connect();
      ready = true;
      events.ready();
    },
    isReady: () => ready && client.isReady,
    async close() {
      if (client.isOpen) await client.close();
    },
    destroy() {
      if (client.isOpen) void client.destroy();
    },
    deleteMatching: (glob, run, batch) =>
      scanNode(client as unknown as Parameters<typeof scanNode>[0], glob, run, batch, (keys) => run(() => client.unlink(keys), "UNLINK")),
    async nodes(run) {
      const master = client.getMasterNode();
      const address = master ? `${master.host}:${master.port}` : "unknown";
      return [await report(address, "master", run, client)];
    },
    async subscribe(subscriptions, onLost) {
      lostListeners.push(onLost);
      for (const { channel, listener } of subscriptions) await client.subscribe(channel, listener);
    },
  };
}

function passwordOf(url: string): { username?: string; password?: string } {
  try {
    const parsed = new URL(url);
    return {
      ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
      ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    };
  } catch {
    return {};
  }
}

export function createTopology(target: TopologyTarget, options: ConnectionOptions, events: TopologyEvents): RedisTopology {
  switch (target.kind) {
    case "standalone":
      return standalone(target, options, events);
    case "cluster":
      return cluster(target, options, events);
    case "sentinel":
      return sentinel(target, options, events);
  }
}
