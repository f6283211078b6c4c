import { createClient, createCluster, createSentinel, RESP_TYPES } from "redis";
import { describeTarget, redactUrl, type TopologyTarget } from "./target.ts";
import type { Subscription } from "./shared-tier.ts";

/** The commands the cache sends, with blob replies read as Buffers (binary-safe values). */
export interface CacheCommands {
  get(key: string): Promise<Buffer | null>;
  set(key: string, value: Buffer, options: { expiration: { type: "PX"; value: number } }): Promise<unknown>;
  unlink(keys: string | string[]): Promise<number>;
  pTTL(key: string): Promise<number>;
  sMembers(key: string): Promise<string[] | Buffer[]>;
  exists(key: string): Promise<number>;
  publish(channel: string, message: string): Promise<number>;
  /** A Lua script, routed (on a cluster) by its first key; every key must share that key's slot. */
  eval(script: string, options: { keys: string[]; arguments: (string | Buffer)[] }): Promise<unknown>;
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

/** One master's key space, for invalidation. */
export interface KeySpace {
  scan(cursor: string, glob: string, count: number): Promise<{ cursor: string; keys: string[] }>;
  /** UNLINKs keys found by `scan`, grouped as the topology allows. */
  unlink(keys: string[]): Promise<number>;
}

/** One node to report on in /internal/cache/status. */
export interface NodeProbe {
  readonly address: string;
  readonly role: "master" | "replica";
  /** INFO and DBSIZE of the node (connecting to it first where needed). */
  read(): Promise<{ info: string; keys: number }>;
}

export interface RedisTopology {
  readonly kind: "standalone" | "cluster" | "sentinel";
  /** Where, with passwords masked. */
  readonly description: string;
  readonly commands: CacheCommands;
  connect(): Promise<void>;
  isReady(): boolean;
  close(): Promise<void>;
  destroy(): void;
  /** Every master's key space (connecting to each where needed). */
  keySpaces(): Promise<KeySpace[]>;
  /** Every node: the server, or each master and replica of a cluster. */
  probes(): NodeProbe[];
  /**
   * Subscribes on a connection of its own, which resubscribes after reconnecting; `onLost`
   * hears every failure of it (messages published meanwhile are lost).
   */
  subscribe(subscriptions: readonly Subscription[], onLost: (error: unknown) => void): Promise<void>;
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

type ScanReply = { cursor: string | number; keys: string[] };
type Scannable = { scan(cursor: string, options: { MATCH: string; COUNT: number }): Promise<ScanReply> };
type Probeable = { info(): Promise<string>; dbSize(): Promise<number> };

function scanOf(node: Scannable): KeySpace["scan"] {
  return async (cursor, glob, count) => {
    const reply = await node.scan(cursor, { MATCH: glob, COUNT: count });
    return { cursor: String(reply.cursor), keys: reply.keys };
  };
}

async function read(node: Probeable): Promise<{ info: string; keys: number }> {
  const [info, keys] = await Promise.all([node.info(), node.dbSize()]);
  return { info, keys: Number(keys) || 0 };
}

/**
 * Cluster and Sentinel clients subscribe on connections they manage themselves, so any of their
 * connection errors may be the subscriber's: `lost` tells every subscriber's `onLost`.
 */
function managedSubscriptions(subscribe: (channel: string, listener: (message: string) => void) => Promise<unknown>): {
  lost(error: unknown): void;
  subscribe: RedisTopology["subscribe"];
} {
  const onLostListeners: ((error: unknown) => void)[] = [];
  return {
    lost(error) {
      for (const onLost of onLostListeners) onLost(error);
    },
    async subscribe(subscriptions, onLost) {
      onLostListeners.push(onLost);
      for (const { channel, listener } of subscriptions) await subscribe(channel, listener);
    },
  };
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
    keySpaces: async () => [{ scan: scanOf(client), unlink: (keys) => client.unlink(keys) }],
    probes: () => [{ address: redactUrl(url), role: "master", read: () => read(client) }],
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
  const subscriptions = managedSubscriptions((channel, listener) => client.subscribe(channel, listener));
  client.on("node-error", (error: unknown) => {
    events.error(error);
    subscriptions.lost(error);
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
    async keySpaces() {
      const masters = await Promise.all(client.masters.map((master) => client.nodeClient(master)));
      return masters.map((node) => ({
        scan: scanOf(node),
        // Keys of one node may sit in different slots: a multi-key UNLINK would be refused (CROSSSLOT).
        unlink: async (keys: string[]) => (await Promise.all(keys.map((key) => client.unlink(key)))).reduce((sum, count) => sum + count, 0),
      }));
    },
    probes: () => shards().map(({ node, role }) => ({ address: `${node.host}:${node.port}`, role, read: async () => read(await client.nodeClient(node)) })),
    subscribe: subscriptions.subscribe,
  };
}

/** How often a sentinel client that reported an error is asked whether commands flow again. */
const SENTINEL_RECHECK_MS = 500;

function sentinel(target: Extract<TopologyTarget, { kind: "sentinel" }>, options: ConnectionOptions, events: TopologyEvents): RedisTopology {
  const client = createSentinel({
    name: target.master,
    sentinelRootNodes: target.sentinels.map(({ host, port }) => ({ host, port })),
    nodeClientOptions: { name: options.clientName, socket: socketOptions(options), ...(target.password ? { password: target.password } : {}) },
    sentinelClientOptions: { socket: { connectTimeout: options.connectTimeoutMs } },
  });
  let ready = false;
  let closed = false;
  // The sentinel client emits no event when it has recovered from an error: after one, a PING
  // every RECHECK_MS tells when commands flow again (otherwise one error would leave Redis
  // unused until a restart).
  let recheck: Timer | null = null;
  const scheduleRecheck = (): void => {
    if (recheck !== null || closed) return;
    recheck = setTimeout(() => {
      recheck = null;
      client.ping().then(
        () => {
          if (closed || ready) return;
          ready = true;
          events.ready();
        },
        () => scheduleRecheck(),
      );
    }, SENTINEL_RECHECK_MS);
  };
  const subscriptions = managedSubscriptions((channel, listener) => client.subscribe(channel, listener));
  client.on("error", (error: unknown) => {
    ready = false;
    events.error(error);
    subscriptions.lost(error);
    scheduleRecheck();
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
      closed = true;
      if (recheck !== null) clearTimeout(recheck);
      if (client.isOpen) await client.close();
    },
    destroy() {
      closed = true;
      if (recheck !== null) clearTimeout(recheck);
      if (client.isOpen) void client.destroy();
    },
    keySpaces: async () => [{ scan: scanOf(client as unknown as Scannable), unlink: (keys) => client.unlink(keys) }],
    probes() {
      const master = client.getMasterNode();
      return [{ address: master ? `${master.host}:${master.port}` : "unknown", role: "master", read: () => read(client) }];
    },
    subscribe: subscriptions.subscribe,
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
