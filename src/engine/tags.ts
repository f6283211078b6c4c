import { InvalidInputError } from "./errors.ts";
import { MAX_TAGS, TAG_PATTERN, type CacheKeyBuilder } from "./key.ts";
import type { MemoryTier } from "./memory-tier.ts";
import type { SharedTier } from "./redis/shared-tier.ts";

const TAG = new RegExp(TAG_PATTERN);

/**
 * Adds one key to a tag's set and keeps the set alive at least as long as that key: the set
 * expires by itself once its longest-lived member has, so abandoned tags clean themselves up.
 * KEYS[1] the tag set; ARGV[1] the member; ARGV[2] its lifetime in ms.
 */
const TAG_ADD = `
redis.call('SADD', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`;

/** Removes members from a tag's set. KEYS[1] the set; ARGV the members. */
const TAG_REMOVE = "return redis.call('SREM', KEYS[1], unpack(ARGV))";
/** Members per SREM: well below Lua's limit on unpacked arguments. */
const REMOVE_BATCH = 1000;

/** Why a tag list cannot be used, or null. */
export function tagsProblem(tags: readonly string[]): string | null {
  if (tags.length > MAX_TAGS) return `at most ${MAX_TAGS} tags per entry`;
  for (const tag of tags) if (!TAG.test(tag)) return `tag ${JSON.stringify(tag.slice(0, 40))} is not 1 to 128 characters of A-Z a-z 0-9 _ . : / = @ + -`;
  return null;
}

export function checkTag(tag: string): void {
  const problem = tagsProblem([tag]);
  if (problem !== null) throw new InvalidInputError("tag", problem);
}

/**
 * Which keys carry which tag. The index every sidecar shares is a Redis set per tag,
 * `{prefix}:tag:{tag}` (its own hash slot on a Cluster); a local index covers the memory tier,
 * so a sidecar without Redis (or cut off from it) can still invalidate by tag what it holds.
 *
 * Costs: a store with t tags sends t small scripts alongside its SET, in the same round trip
 * (pipelined; on a Cluster they go to the tag sets' slots in parallel). An invalidation reads
 * the tag's set once (SMEMBERS, linear in its members) and touches only those keys. Members
 * that expired stay in the set until the set itself expires (with its longest-lived member)
 * or the tag is invalidated. The local index is pruned of keys the memory tier no longer
 * holds whenever it grows past twice what the tier could hold: amortised O(1) per store.
 */
export class TagIndex {
  private readonly local = new Map<string, Set<string>>();
  private localMembers = 0;

  constructor(
    private readonly keys: CacheKeyBuilder,
    private readonly redis: SharedTier,
    private readonly memory: MemoryTier,
  ) {}

  /** Records that `key`, just written to the memory tier, carries `tags`. */
  noteLocal(key: string, tags: readonly string[]): void {
    for (const tag of tags) {
      let members = this.local.get(tag);
      if (members === undefined) this.local.set(tag, (members = new Set()));
      if (!members.has(key)) {
        members.add(key);
        this.localMembers++;
      }
    }
    if (this.localMembers > 2 * MAX_TAGS * Math.max(this.memory.maxEntries, 1) + 1024) this.prune();
  }

  /** Keys carrying `tag` that the memory tier still holds. */
  localKeys(tag: string): string[] {
    const members = this.local.get(tag);
    if (members === undefined) return [];
    return [...members].filter((key) => this.memory.has(key));
  }

  /** The tag was invalidated: its local members are gone. */
  forgetLocal(tag: string): void {
    const members = this.local.get(tag);
    if (members === undefined) return;
    this.localMembers -= members.size;
    this.local.delete(tag);
  }

  /** Adds `key` to each tag's set in Redis, kept at least `ttlMs`; one script per tag, sent together. */
  async addShared(key: string, tags: readonly string[], ttlMs: number): Promise<void> {
    const lifetime = String(Math.max(1, Math.round(ttlMs)));
    await Promise.all(tags.map((tag) => this.redis.script(TAG_ADD, [this.keys.tagKey(tag)], [key, lifetime])));
  }

  /** The keys Redis records for `tag` (some may have expired since). */
  sharedKeys(tag: string): Promise<string[]> {
    return this.redis.members(this.keys.tagKey(tag));
  }

  /** Takes keys that are gone out of the tag's set (an invalidation held to a namespace or pattern keeps the set). */
  async forgetShared(tag: string, keys: readonly string[]): Promise<void> {
    const setKey = this.keys.tagKey(tag);
    const batches: Promise<unknown>[] = [];
    for (let start = 0; start < keys.length; start += REMOVE_BATCH) batches.push(this.redis.script(TAG_REMOVE, [setKey], keys.slice(start, start + REMOVE_BATCH)));
    await Promise.all(batches);
  }

  /** Drops the tag's set once its members are gone. */
  async dropShared(tag: string): Promise<void> {
    await this.redis.delete(this.keys.tagKey(tag));
  }

  get localSize(): number {
    return this.localMembers;
  }

  private prune(): void {
    this.localMembers = 0;
    for (const [tag, members] of this.local) {
      for (const key of members) if (!this.memory.has(key)) members.delete(key);
      if (members.size === 0) this.local.delete(tag);
      else this.localMembers += members.size;
    }
  }
}
