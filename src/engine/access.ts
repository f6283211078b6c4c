/**
 * What an API key may do. read: status, statistics, recommendations, metrics, dashboard;
 * data: lookup, store, entries, leases, proxy; invalidate: invalidate and delete; admin: all.
 */
export const ACCESS_SCOPES = ["read", "data", "invalidate", "admin"] as const;
export type AccessScope = (typeof ACCESS_SCOPES)[number];

/** One key of SCOPED_API_KEYS: its scopes, and the namespace it is bound to (null: none). */
export interface ScopedKey {
  readonly key: string;
  readonly scopes: readonly AccessScope[];
  readonly namespace: string | null;
}

export function isAccessScope(value: string): value is AccessScope {
  return (ACCESS_SCOPES as readonly string[]).includes(value);
}
