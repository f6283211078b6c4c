import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { createClient, createCluster } from "redis";
import { RedisUnavailableError } from "../../src/engine/errors.ts";
import { RedisTier, type RedisTierOptions } from "../../src/engine/redis/tier.ts";
import type { TopologyTarget } from "../../src/engine/redis/target.ts";
import { createMemoryLogger } from "./logger.ts";
import { waitFor } from "./poll.ts";

/** A running deployment of one topology, as the contract needs it. */
export interface TierContractTarget {
  /** Two ways in to the same deployment (for a cluster, two different seed nodes). */
  readonly targets: readonly [TopologyTarget, TopologyTarget];
  /** Ports of the nodes that hold data (every master); nodes() must report each of them. */
  readonly dataPorts: readonly number[];
  /** Password of the data nodes, if they have one. */
  readonly password?: string;
  /** Kills every data node: Redis is down. */
  stopData(): Promise<void>;
  /** Starts them again and resolves once the deployment serves. */
  startData(): Promise<void>;
  /** Freezes every data node (SIGSTOP): connections stay open, no command is answered. */
  pauseData(): void;
  resumeData(): void;
  /** Tears the deployment down. */
  close(): Promise<void>;
}

/**
 * Commands of the contract's ordinary tests may take this long: far more than loopback needs,
 * so that a loaded machine never turns a slow answer into a failure.
 */
const PATIENT_TIMEOUT_MS = 5000;
/** The command timeout of the failure tests, which measure what it bounds. */
const COMMAND_TIMEOUT_MS = 200;
/**
 * The failure rule says no call waits longer than the command timeout. A call is asserted to
 * end within this many timeouts: the margin is for the event loop of a loaded machine. A call
 * that ignored its timeout would wait for Redis, which stays frozen until the test resumes it.
 */
const TIMEOUT_FACTOR = 10;

type Kind = RedisTier["kind"];

/** Runs `call` and reports how it ended and how long it took. */
async function timed<T>(call: () => Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const started = performance.now();
  try {
    const value = await call();
    return { ms: performance.now() - started, value };
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
}

/** A plain client that writes as another program would (no TTL, no header). */
async function foreignWriter(kind: Kind, deployment: TierContractTarget) {
  const url = `redis://127.0.0.1:${deployment.dataPorts[0]}`;
  const client = kind === "cluster" ? createCluster({ rootNodes: [{ url }] }) : createClient({ url, password: deployment.password });
  client.on("error", () => {});
  await client.connect();
  return client;
}

/**
 * The behaviour of src/engine/redis/tier.ts's RedisTier that every topology must share,
 * asserted the same way against standalone, Cluster and Sentinel. Each topology's test file
 * calls it with a deployment of its own (the failure tests take it down). Every test opens
 * its own tiers and writes keys under its own random prefix, so the tests hold in any order.
 */
export function redisTierContract(kind: Kind, makeTarget: () => Promise<TierContractTarget>): void {
  describe(`RedisTier contract: ${kind}`, () => {
    let deployment: TierContractTarget;
    const opened: RedisTier[] = [];

    beforeAll(async () => {
      deployment = await makeTarget();
    }, 60_000);
    afterAll(async () => {
      await deployment?.close();
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((tier) => tier.close()));
    });

    /** A started tier on deployment.targets[via], once it can take commands. */
    async function open(options: Partial<RedisTierOptions> = {}, via: 0 | 1 = 0): Promise<RedisTier> {
      const tier = new RedisTier({
        target: deployment.targets[via],
        commandTimeoutMs: PATIENT_TIMEOUT_MS,
        connectTimeoutMs: 2000,
        logger: createMemoryLogger("error"),
        clientName: `contract-${kind}`,
        ...options,
      });
      opened.push(tier);
      await tier.start();
      await waitFor(() => tier.available, { what: `${kind} tier connected` });
      return tier;
    }

    const prefix = () => `contract:${kind}:${crypto.randomUUID()}`;

    test("connects, names its topology, and reports every master with its keys", async () => {
      const tier = await open();
      expect([tier.kind, tier.state]).toEqual([kind, "connected"]);
      const before = await tier.nodes();
      expect(before).toHaveLength(deployment.dataPorts.length);
      for (const port of deployment.dataPorts) expect(before.filter((node) => node.address.endsWith(`127.0.0.1:${port}`))).toHaveLength(1);
      for (const node of before) {
        expect(node).toMatchObject({ role: "master", status: "connected" });
        expect(node.usedMemoryBytes).toBeGreaterThan(0);
        expect(node.connectedClients).toBeGreaterThanOrEqual(1);
      }
      const p = prefix();
      for (let i = 0; i < 30; i++) await tier.set(`${p}:${i}`, Buffer.from("v"), 600_000);
      const total = (reports: Awaited<ReturnType<RedisTier["nodes"]>>) => reports.reduce((sum, node) => sum + (node.keys ?? 0), 0);
      expect(total(await tier.nodes()) - total(before)).toBe(30);
    });

    test("get answers exactly the bytes set, whatever they are, and null for a missing key", async () => {
      const tier = await open();
      const p = prefix();
      const values: [string, Buffer][] = [
        ["every byte value", Buffer.from(Array.from({ length: 256 }, (_, i) => i))],
        ["invalid UTF-8 and NULs", Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x00, 0xed, 0xa0, 0x80])],
        ["256 KB of random bytes", Buffer.from(crypto.getRandomValues(new Uint8Array(256 * 1024)))],
        ["empty", Buffer.alloc(0)],
        ["UTF-8 text", Buffer.from("naïve café 日本語 🚀", "utf8")],
      ];
      for (const [name, value] of values) {
        await tier.set(`${p}:${name}`, value, 600_000);
        const read = await tier.get(`${p}:${name}`);
        expect(Buffer.isBuffer(read)).toBe(true);
        expect(read!.equals(value)).toBe(true);
      }
      await tier.set(`${p}:every byte value`, Buffer.from("overwritten"), 600_000);
      expect((await tier.get(`${p}:every byte value`))?.toString()).toBe("overwritten");
      expect(await tier.get(`${p}:never written`)).toBeNull();
      expect(await tier.getWithTtl(`${p}:never written`)).toBeNull();
    });

    test("set applies its TTL in milliseconds; getWithTtl answers the value with its remaining lifetime", async () => {
      const tier = await open();
      const p = prefix();
      await tier.set(`${p}:ten minutes`, Buffer.from([1, 2, 3]), 600_000);
      const read = await tier.getWithTtl(`${p}:ten minutes`);
      expect(read!.value.equals(Buffer.from([1, 2, 3]))).toBe(true);
      // At most what was set; the minute of slack is only the time between SET and PTTL.
      expect(read!.ttlMs).toBeLessThanOrEqual(600_000);
      expect(read!.ttlMs).toBeGreaterThan(540_000);

      // A key another program wrote without a TTL reads back with -1.
      const writer = await foreignWriter(kind, deployment);
      try {
        await writer.set(`${p}:forever`, "plain");
      } finally {
        writer.destroy();
      }
      const forever = await tier.getWithTtl(`${p}:forever`);
      expect([forever?.value.toString(), forever?.ttlMs]).toEqual(["plain", -1]);

      // A short TTL expires in Redis; a fractional one is rounded, never sent as 0 (which Redis refuses).
      await tier.set(`${p}:short`, Buffer.from("x"), 50);
      await tier.set(`${p}:fraction`, Buffer.from("x"), 0.4);
      await waitFor(async () => (await tier.get(`${p}:short`)) === null && (await tier.get(`${p}:fraction`)) === null, { what: "short TTLs expired" });
    });

    test("delete removes one key and says whether there was one", async () => {
      const tier = await open();
      const p = prefix();
      await tier.set(`${p}:a`, Buffer.from("a"), 600_000);
      await tier.set(`${p}:b`, Buffer.from("b"), 600_000);
      expect(await tier.delete(`${p}:a`)).toBe(true);
      expect(await tier.get(`${p}:a`)).toBeNull();
      expect(await tier.delete(`${p}:a`)).toBe(false);
      expect((await tier.get(`${p}:b`))?.toString()).toBe("b");
    });

    test("deleteMatching removes every key the glob matches, on every master and over many SCAN batches, and no other", async () => {
      const tier = await open();
      const p = prefix();
      // 2,500 keys: more than one SCAN batch (1,000), spread over every slot of a cluster, so a
      // multi-key UNLINK of one node's batch would be refused there (CROSSSLOT).
      const doomed = Array.from({ length: 2500 }, (_, i) => `${p}:doomed:${i}`);
      const kept = [...Array.from({ length: 50 }, (_, i) => `${p}:kept:${i}`), `${p}:doomed`, `${p}:doomedX:1`, `${p}:x:c3`];
      for (let i = 0; i < doomed.length + kept.length; i += 250) {
        await Promise.all([...doomed, ...kept].slice(i, i + 250).map((key) => tier.set(key, Buffer.from(key), 600_000)));
      }
      await tier.set(`${p}:x:a1`, Buffer.from("a"), 600_000);
      await tier.set(`${p}:x:b2`, Buffer.from("b"), 600_000);

      expect(await tier.deleteMatching(`${p}:doomed:*`)).toBe(2500);
      expect(await tier.deleteMatching(`${p}:doomed:*`)).toBe(0);
      // Redis's glob semantics, character classes included.
      expect(await tier.deleteMatching(`${p}:x:[ab]?`)).toBe(2);
      for (const key of doomed.filter((_, i) => i % 97 === 0)) expect(await tier.get(key)).toBeNull();
      for (const key of kept) expect((await tier.get(key))?.toString()).toBe(key);
      expect(await tier.get(`${p}:x:a1`)).toBeNull();
    });

    test("publish reaches a subscriber on another connection, intact, on its channel only", async () => {
      const publisher = await open();
      const subscriber = await open({}, 1);
      const p = prefix();
      const heard: string[] = [];
      const other: string[] = [];
      const lost: unknown[] = [];
      await subscriber.subscribe(
        [
          { channel: `${p}:channel`, listener: (message) => heard.push(message) },
          { channel: `${p}:other`, listener: (message) => other.push(message) },
        ],
        (error) => lost.push(error),
      );
      const message = JSON.stringify({ from: "contract", text: "naïve 日本語 🚀\n\u0000" });
      // A subscription may take effect on its node a moment after SUBSCRIBE is answered (on a
      // cluster the message travels over the bus): publish until it is heard.
      await waitFor(
        async () => {
          if (heard.length === 0) expect(typeof (await publisher.publish(`${p}:channel`, message))).toBe("number");
          return heard.length > 0;
        },
        { intervalMs: 50, what: "the subscriber hearing the message" },
      );
      expect(new Set(heard)).toEqual(new Set([message]));
      expect(other).toEqual([]);
      expect(lost).toEqual([]);
    });

    test("once closed, it is 'closed' and every command rejects with RedisUnavailableError", async () => {
      const tier = await open();
      await tier.close();
      expect(tier.state).toBe("closed");
      const calls: (() => Promise<unknown>)[] = [() => tier.get("k"), () => tier.getWithTtl("k"), () => tier.set("k", Buffer.from("v"), 1000), () => tier.delete("k"), () => tier.deleteMatching("k*"), () => tier.publish("c", "m")];
      for (const call of calls) {
        expect((await timed(call)).error).toBeInstanceOf(RedisUnavailableError);
      }
      await tier.close(); // closing twice is harmless
    });

    test("failure rule, Redis frozen: every command rejects with RedisUnavailableError within the command timeout", async () => {
      const tier = await open({ commandTimeoutMs: COMMAND_TIMEOUT_MS });
      const p = prefix();
      await tier.set(`${p}:k`, Buffer.from("before"), 600_000);
      deployment.pauseData();
      try {
        const calls: [string, () => Promise<unknown>][] = [
          ["get", () => tier.get(`${p}:k`)],
          ["getWithTtl", () => tier.getWithTtl(`${p}:k`)],
          ["set", () => tier.set(`${p}:k`, Buffer.from("during"), 600_000)],
          ["delete", () => tier.delete(`${p}:k`)],
          ["deleteMatching", () => tier.deleteMatching(`${p}:*`)],
          ["publish", () => tier.publish(`${p}:channel`, "m")],
        ];
        const first = await timed(calls[0]![1]);
        // The configured timeout is what ended the first call: it says so and took at least that long.
        expect(first.error).toBeInstanceOf(RedisUnavailableError);
        expect(String(first.error)).toContain(`timed out after ${COMMAND_TIMEOUT_MS} ms`);
        expect(first.ms).toBeGreaterThanOrEqual(COMMAND_TIMEOUT_MS - 1);
        for (const [name, call] of calls) {
          const outcome = await timed(call);
          expect([name, outcome.error instanceof RedisUnavailableError]).toEqual([name, true]);
          expect([name, outcome.ms < COMMAND_TIMEOUT_MS * TIMEOUT_FACTOR]).toEqual([name, true]);
        }
        // nodes() never rejects: it reports each node as unavailable, within the same bound.
        const nodes = await timed(() => tier.nodes());
        expect(nodes.ms).toBeLessThan(COMMAND_TIMEOUT_MS * TIMEOUT_FACTOR);
        expect(nodes.value).toHaveLength(deployment.dataPorts.length);
        for (const node of nodes.value!) expect(node.status).toBe("unavailable");
      } finally {
        deployment.resumeData();
      }
      // Answering again, Redis takes commands again by itself (the skip after repeated timeouts ends).
      await waitFor(async () => (await tier.get(`${p}:k`))?.toString() === "before", { what: "commands answered after the pause" });
    });

    test("failure rule, Redis down: every command rejects with RedisUnavailableError, and the tier reconnects and resubscribes by itself", async () => {
      const tier = await open({ commandTimeoutMs: COMMAND_TIMEOUT_MS, maxBackoffMs: 200 });
      const subscriber = await open({ commandTimeoutMs: COMMAND_TIMEOUT_MS, maxBackoffMs: 200 }, 1);
      const p = prefix();
      const heard: string[] = [];
      await subscriber.subscribe([{ channel: `${p}:channel`, listener: (message) => heard.push(message) }], () => {});
      await waitFor(async () => (await tier.publish(`${p}:channel`, "before")) >= 0 && heard.includes("before"), { intervalMs: 50, what: "subscription working" });

      await deployment.stopData();
      try {
        // Whether the tier has noticed yet (and rejects at once) or not (and the command fails or
        // times out), the caller gets the same answer within the same bound.
        for (const [name, call] of <[string, () => Promise<unknown>][]>[
          ["get", () => tier.get(`${p}:k`)],
          ["getWithTtl", () => tier.getWithTtl(`${p}:k`)],
          ["set", () => tier.set(`${p}:k`, Buffer.from("v"), 600_000)],
          ["delete", () => tier.delete(`${p}:k`)],
          ["deleteMatching", () => tier.deleteMatching(`${p}:*`)],
          ["publish", () => tier.publish(`${p}:channel`, "during")],
        ]) {
          const outcome = await timed(call);
          expect([name, outcome.error instanceof RedisUnavailableError]).toEqual([name, true]);
          expect([name, outcome.ms < COMMAND_TIMEOUT_MS * TIMEOUT_FACTOR]).toEqual([name, true]);
        }
        const nodes = await timed(() => tier.nodes());
        expect(nodes.ms).toBeLessThan(COMMAND_TIMEOUT_MS * TIMEOUT_FACTOR);
        for (const node of nodes.value!) expect(node.status).toBe("unavailable");
      } finally {
        await deployment.startData();
      }
      await waitFor(
        async () => {
          await tier.set(`${p}:k`, Buffer.from("after"), 600_000);
          return (await tier.get(`${p}:k`))?.toString() === "after";
        },
        { what: "commands flowing again after the restart" },
      );
      expect(tier.state).toBe("connected");
      await waitFor(async () => (await tier.publish(`${p}:channel`, "after")) >= 0 && heard.includes("after"), { intervalMs: 50, what: "the subscriber hearing messages again" });
      expect(heard).not.toContain("during");
    }, 60_000);
  });
}
