import { globMatch } from "./glob.ts";

/** Changed keys remembered one by one; past this many the guard forgets them all at once. */
const RECENT_CHANGES = 1024;

/**
 * Decides whether a value read from Redis may be copied into the memory tier. A read that
 * overlaps a change to its key, made by this sidecar or announced by another, may have fetched
 * the very value that change replaced or removed: copying it would serve the old value until
 * its TTL. Such a read still answers its caller (it was concurrent with the change), but is not
 * promoted; the next lookup reads Redis again.
 *
 * Every change bumps a generation. A read takes the generation before it starts (`begin`), and
 * `mayPromote` refuses when, since then, its key changed, any glob was invalidated, the guard
 * forgot (resync, or more changes than it remembers), or a local change to the key is still in
 * flight (a read that starts and ends inside a store's Redis write saw neither of its edges).
 *
 * Costs: O(1) per change and per check, plus one glob match per invalidation in flight.
 */
export class PromotionGuard {
  private generationValue = 0;
  private readonly recent = new Map<string, number>();
  /** Changes before this generation are no longer remembered key by key. */
  private forgottenBefore = 0;
  private lastGlobGeneration = 0;
  /** Local writes and deletes whose Redis call has not finished, by key. */
  private readonly pendingKeys = new Map<string, number>();
  /** Local invalidations whose Redis scan has not finished. */
  private readonly pendingGlobs: string[] = [];

  /** The generation a read starts at; pass it to `mayPromote` when the read is back. */
  begin(): number {
    return this.generationValue;
  }

  mayPromote(key: string, since: number): boolean {
    if (this.pendingKeys.has(key)) return false;
    for (const glob of this.pendingGlobs) if (globMatch(glob, key)) return false;
    if (this.generationValue === since) return true;
    if (this.lastGlobGeneration > since || this.forgottenBefore > since) return false;
    const changed = this.recent.get(key);
    return changed === undefined || changed <= since;
  }

  /** A key changed (here, or announced by another sidecar). */
  keyChanged(key: string): void {
    const generation = ++this.generationValue;
    if (this.recent.size >= RECENT_CHANGES && !this.recent.has(key)) {
      this.recent.clear();
      this.forgottenBefore = generation;
    }
    this.recent.set(key, generation);
  }

  /** Keys matching a glob changed. Reads of any key overlapping it are refused: rare, and cheap to be safe. */
  globChanged(): void {
    this.lastGlobGeneration = ++this.generationValue;
  }

  /** Everything may have changed (messages were missed): refuse every read in flight. */
  forgetAll(): void {
    this.recent.clear();
    this.forgottenBefore = ++this.generationValue;
  }

  /** Runs a local change of `key`: reads overlapping any part of it are not promoted. */
  async changingKey<T>(key: string, change: () => Promise<T>): Promise<T> {
    this.keyChanged(key);
    this.pendingKeys.set(key, (this.pendingKeys.get(key) ?? 0) + 1);
    try {
      return await change();
    } finally {
      const left = this.pendingKeys.get(key)! - 1;
      if (left === 0) this.pendingKeys.delete(key);
      else this.pendingKeys.set(key, left);
      this.keyChanged(key);
    }
  }

  /** Runs a local invalidation of `glob`: no read of a matching key is promoted meanwhile. */
  async changingGlob<T>(glob: string, change: () => Promise<T>): Promise<T> {
    this.globChanged();
    this.pendingGlobs.push(glob);
    try {
      return await change();
    } finally {
      this.pendingGlobs.splice(this.pendingGlobs.indexOf(glob), 1);
      this.globChanged();
    }
  }
}
