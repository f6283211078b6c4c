/**
 * What the cache may do: read_write (default), read_only (lookups served, nothing written),
 * write_only (every lookup misses, answers are stored: for warming), off.
 */
export const CACHE_MODES = ["read_write", "read_only", "write_only", "off"] as const;
export type CacheMode = (typeof CACHE_MODES)[number];

const READS: ReadonlySet<CacheMode> = new Set(["read_write", "read_only"]);
const WRITES: ReadonlySet<CacheMode> = new Set(["read_write", "write_only"]);

export function modeReads(mode: CacheMode): boolean {
  return READS.has(mode);
}

export function modeWrites(mode: CacheMode): boolean {
  return WRITES.has(mode);
}

export function isCacheMode(value: string): value is CacheMode {
  return (CACHE_MODES as readonly string[]).includes(value);
}

/**
 * What a request that asks for `requested` may do under the operator's `operator` mode: the
 * intersection of the two, so a request narrows what the operator set and never widens it.
 */
export function narrowMode(operator: CacheMode, requested: CacheMode | undefined): CacheMode {
  if (requested === undefined) return operator;
  const reads = modeReads(operator) && modeReads(requested);
  const writes = modeWrites(operator) && modeWrites(requested);
  return reads ? (writes ? "read_write" : "read_only") : writes ? "write_only" : "off";
}
