import { heapStats } from "bun:jsc";

export interface LiveHeap {
  /** Bytes of the JS heap plus memory owned by its objects (string buffers, array storage). */
  readonly bytes: number;
  /** Objects alive on the JS heap. */
  readonly objects: number;
}

/**
 * What this process's JS objects hold after a full, synchronous garbage collection. Unlike the
 * RSS, it does not depend on how the allocator keeps or returns freed pages (which varies with
 * the machine and the load on it): memory the code still references shows here, and only that.
 */
export function liveHeap(): LiveHeap {
  Bun.gc(true);
  const stats = heapStats();
  return { bytes: stats.heapSize + stats.extraMemorySize, objects: stats.objectCount };
}
