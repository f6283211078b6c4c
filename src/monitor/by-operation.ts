/**
 * Lookups and stores per operation name since start, for "top operations". Names come from
 * callers, so only the first MAX_OPERATIONS get their own row; later ones are counted as
 * "other" and memory stays bounded. Each record is one map lookup, O(1).
 */
export const MAX_OPERATIONS = 64;
export const OTHER_OPERATION = "other";

export interface OperationTraffic {
  readonly operation: string;
  readonly memoryHits: number;
  readonly redisHits: number;
  readonly misses: number;
  readonly stores: number;
}

type Counts = { memoryHits: number; redisHits: number; misses: number; stores: number };

export class OperationTrafficCounts {
  private readonly rows = new Map<string, Counts>();

  private row(operation: string): Counts {
    let row = this.rows.get(operation);
    if (row !== undefined) return row;
    const name = this.rows.size < MAX_OPERATIONS ? operation : OTHER_OPERATION;
    row = this.rows.get(name) ?? { memoryHits: 0, redisHits: 0, misses: 0, stores: 0 };
    this.rows.set(name, row);
    return row;
  }

  /** `hit` is the tier that answered, null for a miss. */
  recordLookup(operation: string, hit: "memory" | "redis" | null): void {
    const row = this.row(operation);
    if (hit === "memory") row.memoryHits++;
    else if (hit === "redis") row.redisHits++;
    else row.misses++;
  }

  recordStore(operation: string): void {
    this.row(operation).stores++;
  }

  /** The `limit` busiest operations (lookups plus stores), busiest first. O(rows log rows). */
  top(limit: number): OperationTraffic[] {
    const traffic = (row: Counts) => row.memoryHits + row.redisHits + row.misses + row.stores;
    return [...this.rows]
      .sort((a, b) => traffic(b[1]) - traffic(a[1]) || a[0].localeCompare(b[0]))
      .slice(0, limit)
      .map(([operation, row]) => ({ operation, ...row }));
  }
}
