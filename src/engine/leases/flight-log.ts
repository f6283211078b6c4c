import type { CacheKeyBuilder } from "../key.ts";
import type { SharedTier } from "../redis/shared-tier.ts";

// KEYS[1] the log; ARGV[1] approximate cap on entries, ARGV[2] lifetime ms, then field/value pairs.
const APPEND = `
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;
// KEYS[1] the log; ARGV[1] the last id read ("0-0": from the start), ARGV[2] most entries.
const READ = `return redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', ARGV[2])`;

/** Most entries one log keeps (about): an answer longer than this cannot be followed from another sidecar. */
const MAX_ENTRIES = 100_000;
const READ_BATCH = 256;

/** One entry of a flight log, in order: the head, pieces of the body, then the end. */
export type FlightEntry =
  | { readonly type: "head"; readonly status: number; readonly headers: [string, string][] }
  | { readonly type: "chunk"; readonly seq: number; readonly bytes: Buffer }
  | { readonly type: "end"; readonly complete: boolean };

const text = (value: unknown): string => (Buffer.isBuffer(value) ? value.toString() : String(value));

function parseEntry(fields: unknown[]): FlightEntry | null {
  const map = new Map<string, unknown>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(text(fields[i]), fields[i + 1]);
  switch (text(map.get("t"))) {
    case "h":
      try {
        return { type: "head", status: Number(text(map.get("s"))), headers: JSON.parse(text(map.get("h"))) as [string, string][] };
      } catch {
        return null;
      }
    case "c": {
      const bytes = map.get("d");
      return { type: "chunk", seq: Number(text(map.get("n"))), bytes: Buffer.isBuffer(bytes) ? bytes : Buffer.from(text(bytes)) };
    }
    case "e":
      return { type: "end", complete: text(map.get("r")) === "ok" };
  }
  return null;
}

/**
 * Streamed answers shared live across sidecars: the sidecar that holds a key's lease appends
 * the upstream's answer, piece by piece, to a Redis stream; identical requests on other
 * sidecars read it as it grows. One XADD per upstream piece (pipelined, not awaited by the
 * reader of the upstream) and one XRANGE per follower poll.
 *
 * Failure rule: every call rejects with RedisUnavailableError when Redis cannot answer, within
 * the command timeout. Pieces carry sequence numbers, so a follower detects one that was lost.
 */
export class FlightLog {
  constructor(
    private readonly redis: SharedTier,
    private readonly keys: CacheKeyBuilder,
  ) {}

  /** A writer for one answer: appends in call order; the first failure stops it for good. */
  writer(key: string, ttlMs: number): FlightWriter {
    return new FlightWriter(this.redis, this.keys.flightKey(key), ttlMs);
  }

  /** Entries after `afterId`, each with its id; empty when there are none (or no log). */
  async read(key: string, afterId: string): Promise<{ id: string; entry: FlightEntry | null }[]> {
    const reply = (await this.redis.script(READ, [this.keys.flightKey(key)], [afterId, String(READ_BATCH)])) as unknown[];
    return reply.map((item) => {
      const [id, fields] = item as [unknown, unknown[]];
      return { id: text(id), entry: parseEntry(fields) };
    });
  }
}

export class FlightWriter {
  private seq = 0;
  private failed = false;

  constructor(
    private readonly redis: SharedTier,
    private readonly logKey: string,
    private readonly ttlMs: number,
  ) {}

  head(status: number, headers: [string, string][]): void {
    this.append(["t", "h", "s", String(status), "h", JSON.stringify(headers)]);
  }

  chunk(bytes: Uint8Array): void {
    this.append(["t", "c", "n", String(this.seq++), "d", Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]);
  }

  end(complete: boolean): void {
    this.append(["t", "e", "r", complete ? "ok" : "broken"]);
  }

  private append(fields: (string | Buffer)[]): void {
    if (this.failed) return;
    this.redis.script(APPEND, [this.logKey], [String(MAX_ENTRIES), String(this.ttlMs), ...fields]).catch(() => {
      // Followers see the gap in the sequence, or no end, and cut their answer off.
      this.failed = true;
    });
  }
}
