import type { Fault, FaultKind } from "./history.ts";
import type { RedisProcess } from "./processes.ts";
import type { Random } from "./random.ts";

/**
 * Injects faults into the shared Redis while the workload runs, one at a time, each followed
 * by a quiet period, and records each window. A fault always ends: SIGCONT is sent in a
 * `finally`, CLIENT PAUSE carries its own timeout, and a killed server is started again.
 */

const KINDS: readonly FaultKind[] = ["pause", "stop", "pubsub-kill", "restart"];
/** Longest wait for every sidecar to be subscribed again after a fault. */
const RESUBSCRIBE_TIMEOUT_MS = 10_000;

export interface FaultOptions {
  readonly redis: RedisProcess;
  readonly sidecars: number;
  readonly random: Random;
  readonly clock: () => number;
  /** No fault starts unless it can end this long before `until`. */
  readonly quietTailMs: number;
  readonly until: number;
  readonly warn: (message: string) => void;
  /** Told when a fault begins (true) and when it has ended (false). */
  readonly onActive: (active: boolean) => void;
}

export async function runFaults(options: FaultOptions, record: (fault: Fault) => void): Promise<void> {
  const { clock, random } = options;
  await Bun.sleep(random.int(600, 1200));
  for (;;) {
    const kind = random.pick(KINDS);
    const durationMs = random.int(300, 1200);
    if (clock() + durationMs + options.quietTailMs > options.until) return;
    options.onActive(true);
    try {
      record(await inject(options, kind, durationMs));
    } finally {
      options.onActive(false);
    }
    await Bun.sleep(random.int(800, 2000));
  }
}

async function inject(options: FaultOptions, kind: FaultKind, durationMs: number): Promise<Fault> {
  const { redis, clock } = options;
  let start = clock();
  let restored: number;
  switch (kind) {
    case "pause": {
      const admin = await redis.admin();
      try {
        start = clock();
        // The pause ends by its own timeout (an UNPAUSE would wait behind it on Redis 7.0),
        // so it ends even if this process dies meanwhile.
        await admin.sendCommand(["CLIENT", "PAUSE", String(durationMs), "ALL"]);
        await Bun.sleep(durationMs);
        // Answered once the pause is over.
        await admin.sendCommand(["PING"]);
        restored = clock();
      } finally {
        admin.destroy();
      }
      break;
    }
    case "stop": {
      const pid = redis.pid;
      if (pid === null) throw new Error("redis-server is not running");
      start = clock();
      process.kill(pid, "SIGSTOP");
      try {
        await Bun.sleep(durationMs);
      } finally {
        process.kill(pid, "SIGCONT");
        restored = clock();
      }
      break;
    }
    case "pubsub-kill": {
      // Killed again and again for the duration: subscribers stay down for most of it.
      const admin = await redis.admin();
      try {
        start = clock();
        const until = start + durationMs;
        do {
          await admin.sendCommand(["CLIENT", "KILL", "TYPE", "pubsub"]);
          await Bun.sleep(options.random.int(10, 40));
        } while (clock() < until);
        restored = clock();
      } finally {
        admin.destroy();
      }
      break;
    }
    case "restart": {
      start = clock();
      await redis.kill();
      await Bun.sleep(durationMs);
      await redis.start();
      restored = clock();
      break;
    }
  }
  const resubscribed = await waitForSubscribers(options);
  if (!resubscribed.ok) options.warn(`after ${kind} at ${start.toFixed(0)} ms the sidecars were not all subscribed again within ${RESUBSCRIBE_TIMEOUT_MS} ms`);
  return { kind: "fault", fault: kind, start, restored, end: resubscribed.time };
}

/**
 * When every sidecar has a subscribed connection again: as many pubsub connections as sidecars
 * in CLIENT LIST (nothing else subscribes). `ok: false` when that did not happen in time.
 */
export async function waitForSubscribers(options: Pick<FaultOptions, "redis" | "sidecars" | "clock">): Promise<{ time: number; ok: boolean }> {
  const deadline = options.clock() + RESUBSCRIBE_TIMEOUT_MS;
  for (;;) {
    try {
      const admin = await options.redis.admin();
      try {
        const list = String(await admin.sendCommand(["CLIENT", "LIST", "TYPE", "pubsub"]));
        if (list.split("\n").filter((line) => line.trim() !== "").length >= options.sidecars) return { time: options.clock(), ok: true };
      } finally {
        admin.destroy();
      }
    } catch {
      // Redis not answering yet.
    }
    if (options.clock() > deadline) return { time: options.clock(), ok: false };
    await Bun.sleep(20);
  }
}
