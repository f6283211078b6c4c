import { describe, expect, test } from "bun:test";
import { Coherence, type CoherenceChannel } from "../../src/engine/coherence.ts";
import { CacheKeyBuilder } from "../../src/engine/key.ts";
import { MemoryTier } from "../../src/engine/memory-tier.ts";
import { PromotionGuard } from "../../src/engine/promotion-guard.ts";
import { createMemoryLogger } from "../support/logger.ts";
import { waitFor } from "../support/poll.ts";

/**
 * The promotion rule and the heartbeat logic depend on the order in which reads, messages and
 * failures interleave, which a real Redis cannot be made to produce on demand: they are driven
 * directly here. test/scale and test/engine cover the real channel.
 */
function setup() {
  let clock = 1_000_000;
  const now = () => clock;
  const keys = new CacheKeyBuilder("ai_cache");
  const memory = new MemoryTier({ maxEntries: 100, maxBytes: 1 << 20, now });
  const guard = new PromotionGuard();
  const published: { channel: string; message: string }[] = [];
  let refuse = false;
  let health: CoherenceChannel["health"] = "connected";
  const channel: CoherenceChannel = {
    get health() {
      return health;
    },
    publish: async (name, message) => {
      if (refuse) throw new Error("unreachable");
      published.push({ channel: name, message });
      return 1;
    },
    subscribe: async () => {},
  };
  const logger = createMemoryLogger();
  const coherence = new Coherence({ memory, keys, redis: channel, guard, logger, boundMs: 800, now });
  const key = keys.build({ operation: "qa", text: "t" });
  const other = keys.build({ operation: "qa", text: "u" });
  /** Delivers our own heartbeats as Redis would. */
  const deliverHeartbeats = () => {
    for (const { channel: name, message } of published.splice(0)) if (name.includes(":heartbeat:")) coherence.heard(message);
  };
  /** One heartbeat period: send, let the publish settle, deliver. */
  const beat = async () => {
    coherence.tick();
    await Bun.sleep(0);
    deliverHeartbeats();
  };
  return {
    keys, memory, guard, coherence, key, other, published, logger, deliverHeartbeats, beat,
    advance: (ms: number) => (clock += ms),
    refuse: (value: boolean) => (refuse = value),
    setHealth: (value: CoherenceChannel["health"]) => (health = value),
    now,
  };
}

describe("coherence messages", () => {
  test("a key message drops that key only; a glob message drops what matches", () => {
    const { memory, coherence, key, other, now } = setup();
    memory.set(key, "1", now() + 60_000);
    memory.set(other, "2", now() + 60_000);
    coherence.apply(JSON.stringify({ from: "peer", key }));
    expect([memory.get(key), memory.get(other)?.json]).toEqual([undefined, "2"]);
    coherence.apply(JSON.stringify({ from: "peer", glob: "ai_cache:*op:qa|*" }));
    expect(memory.size).toBe(0);
  });

  test("its own, malformed and foreign-prefix messages are ignored", () => {
    const { memory, coherence, key, now } = setup();
    memory.set(key, "1", now() + 60_000);
    for (const raw of [JSON.stringify({ from: coherence.instance, key }), "not json", "null", JSON.stringify({ from: "peer", glob: "*" }), JSON.stringify({ from: "peer", key: "session:1" })]) {
      coherence.apply(raw);
    }
    expect(memory.get(key)?.json).toBe("1");
    expect(coherence.stats.received).toBe(0);
  });

  test("announcements carry the instance and the key; one Redis did not take is sent again in order", async () => {
    const { coherence, key, published, refuse } = setup();
    const announcements = () => published.filter((p) => p.channel === coherence.channel).map((p) => JSON.parse(p.message));
    coherence.announceKey(key, 1234.5);
    refuse(true);
    coherence.announceKey(key);
    coherence.announceGlob("ai_cache:*");
    await Bun.sleep(0);
    expect(announcements()).toEqual([{ from: coherence.instance, key, at: 1234.5 }]);
    expect(coherence.stats.unsent).toBe(2);
    refuse(false);
    coherence.tick();
    await Bun.sleep(0);
    expect(announcements()).toEqual([
      { from: coherence.instance, key, at: 1234.5 },
      { from: coherence.instance, key },
      { from: coherence.instance, glob: "ai_cache:*" },
    ]);
    expect(coherence.stats.unsent).toBe(0);
  });
});

describe("promotion of a value read from Redis", () => {
  test("allowed when nothing changed during the read, or only other keys", () => {
    const { guard, key, other } = setup();
    const since = guard.begin();
    expect(guard.mayPromote(key, since)).toBe(true);
    guard.keyChanged(other);
    expect(guard.mayPromote(key, since)).toBe(true);
  });

  test("refused when the key changed during the read, or any glob, or more changes than are remembered", () => {
    const { guard, key, keys } = setup();
    let since = guard.begin();
    guard.keyChanged(key);
    expect(guard.mayPromote(key, since)).toBe(false);
    since = guard.begin();
    guard.globChanged();
    expect(guard.mayPromote(key, since)).toBe(false);
    since = guard.begin();
    for (let i = 0; i < 1100; i++) guard.keyChanged(keys.build({ operation: "x", text: String(i) }));
    expect(guard.mayPromote(key, since)).toBe(false);
    since = guard.begin();
    guard.forgetAll();
    expect(guard.mayPromote(key, since)).toBe(false);
  });

  test("refused for a read that starts and ends inside a local change, allowed after it", async () => {
    const { guard, key, other } = setup();
    let inside: boolean[] = [];
    await guard.changingKey(key, async () => {
      const since = guard.begin();
      inside = [guard.mayPromote(key, since), guard.mayPromote(other, since)];
    });
    expect(inside).toEqual([false, true]);
    expect(guard.mayPromote(key, guard.begin())).toBe(true);
    await guard.changingGlob("ai_cache:*op:qa|txt:*", async () => {
      const since = guard.begin();
      inside = [guard.mayPromote(key, since), guard.mayPromote("ai_cache:op:zz|txt:0", since)];
    });
    expect(inside).toEqual([false, true]);
  });

  test("a failed local change still ends", async () => {
    const { guard, key } = setup();
    await expect(guard.changingKey(key, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(guard.mayPromote(key, guard.begin())).toBe(true);
  });
});

describe("hearing our own heartbeats", () => {
  test("starts lost, listens once a heartbeat comes back, without emptying the memory tier the first time", async () => {
    const { coherence, memory, key, now, deliverHeartbeats } = setup();
    expect(coherence.stats.state).toBe("lost");
    const started = coherence.start(10_000);
    memory.set(key, "1", now() + 60_000);
    await Bun.sleep(0);
    deliverHeartbeats();
    await started;
    expect(coherence.stats.state).toBe("listening");
    expect(memory.get(key)?.json).toBe("1");
    coherence.stop();
  });

  test("silence past 3/8 of the bound: lost, and every memory copy lives at most half the bound", async () => {
    const { coherence, memory, key, now, advance, beat } = setup();
    await beat();
    memory.set(key, "1", now() + 60_000);
    expect(coherence.memoryExpiry(now() + 60_000, now())).toBe(now() + 60_000);
    advance(301);
    coherence.tick();
    expect(coherence.stats.state).toBe("lost");
    expect(memory.get(key)?.expiresAt).toBe(now() + 400);
    expect(coherence.memoryExpiry(now() + 60_000, now())).toBe(now() + 400);
    advance(401);
    expect(memory.get(key)).toBeUndefined();
  });

  test("a heartbeat after a loss resyncs: memory emptied, reads in flight not promoted", async () => {
    const { coherence, memory, guard, key, now, beat } = setup();
    await beat();
    memory.set(key, "1", now() + 60_000);
    const since = guard.begin();
    coherence.lose("the subscriber's connection failed");
    await beat();
    expect(coherence.stats).toMatchObject({ state: "listening", resyncs: 1 });
    expect(memory.size).toBe(0);
    expect(guard.mayPromote(key, since)).toBe(false);
  });

  test("a gap in the heartbeat numbers resyncs even when the connection never reported a failure", async () => {
    const { coherence, memory, key, now, published, beat } = setup();
    await beat();
    memory.set(key, "1", now() + 60_000);
    coherence.tick();
    await Bun.sleep(0);
    published.splice(0); // this heartbeat is lost on the way
    await beat();
    expect(coherence.stats.resyncs).toBe(1);
    expect(memory.size).toBe(0);
  });

  test("heartbeats that arrive in order change nothing; garbage is ignored", async () => {
    const { coherence, memory, key, now, beat } = setup();
    for (let i = 0; i < 5; i++) {
      await beat();
      if (i === 0) memory.set(key, "1", now() + 60_000);
    }
    coherence.heard("not a number");
    expect(coherence.stats).toMatchObject({ state: "listening", resyncs: 0 });
    expect(memory.get(key)?.json).toBe("1");
  });
});

describe("logging a loss once", () => {
  const lostLines = (logger: ReturnType<typeof setup>["logger"]) => logger.records().filter((record) => String(record.msg).startsWith("coherence lost"));

  test("the subscriber's connection failing alone is a warning", async () => {
    const { coherence, logger, beat } = setup();
    await beat();
    coherence.lose("the subscriber's connection failed", new Error("Socket closed unexpectedly"));
    expect(coherence.stats.state).toBe("lost");
    await waitFor(() => lostLines(logger).length === 1, { what: "the delayed coherence-lost line" });
    expect(lostLines(logger)[0]!.level).toBe("warn");
  });

  test("when Redis itself is lost, the tier's line is the warning and this one is debug", async () => {
    const { coherence, logger, beat, setHealth } = setup();
    await beat();
    coherence.lose("the subscriber's connection failed", new Error("Socket closed unexpectedly"));
    setHealth("unavailable");
    await waitFor(() => lostLines(logger).length === 1, { what: "the delayed coherence-lost line" });
    expect(lostLines(logger)[0]!.level).toBe("debug");
    // Silence (no connection error) is always a warning, at once.
    await beat();
    coherence.lose("no heartbeat heard for 300 ms");
    expect(lostLines(logger).at(-1)!.level).toBe("warn");
  });
});
