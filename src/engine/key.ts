export interface KeyParts {
  /** Entries of different namespaces never meet; absent or null: the default (no namespace). */
  readonly namespace?: string | null;
  readonly operation: string;
  readonly text: string;
  readonly options?: Record<string, unknown> | null;
  readonly question?: string | null;
}

/** Operation names are part of cache keys, so they may not carry `|`, `:` or glob characters. */
const OPERATION_NAME = "[A-Za-z0-9_.-]{1,64}";
/** The one rule for operation names: requests, per-operation TTLs and key shapes all use it. */
export const OPERATION_PATTERN = `^${OPERATION_NAME}$`;

/** Namespaces are part of keys too: no `|`, `:`, braces (lease hash tags) or glob characters. */
const NAMESPACE_NAME = "[A-Za-z0-9_.-]{1,64}";
export const NAMESPACE_PATTERN = `^${NAMESPACE_NAME}$`;

/**
 * Tags name groups of entries (`doc:42`). No braces (the tag is the hash tag of its set on a
 * Cluster), no `,` (the proxy's list separator), no glob characters, no spaces.
 */
export const TAG_PATTERN = "^[A-Za-z0-9_.:/=@+-]{1,128}$";
export const MAX_TAGS = 16;

/** 128 bits of SHA-256, hex: collision-resistant, and no prompt text ever reaches Redis. */
const DIGEST_BYTES = 16;
const DIGEST_HEX_CHARS = DIGEST_BYTES * 2;
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));
/** Reused output buffer: hashing into it and encoding 16 bytes costs half of a 64-char hex digest. */
const scratch = new Uint8Array(32);

/**
 * Hashing a string encodes it as UTF-8, which turns every lone surrogate into U+FFFD: "a\ud800",
 * "a\udfff" and "a\ufffd" would share a digest. Such strings are hashed as a 0xFF byte (never
 * found in UTF-8) followed by their UTF-16 code units, so no two strings share an input.
 */
function digestInput(value: string): string | Uint8Array {
  if (value.isWellFormed()) return value;
  const bytes = new Uint8Array(1 + value.length * 2);
  bytes[0] = 0xff;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    bytes[1 + i * 2] = unit >> 8;
    bytes[2 + i * 2] = unit & 0xff;
  }
  return bytes;
}

function digest(value: string): string {
  Bun.SHA256.hash(digestInput(value), scratch);
  let hex = "";
  for (let i = 0; i < DIGEST_BYTES; i++) hex += HEX[scratch[i]!]!;
  return hex;
}

/**
 * Canonical JSON: object keys sorted at every depth, types preserved (`1` and `"1"` differ),
 * so equal options always produce the same digest and unequal ones never do.
 * Cost: O(size of the value) plus a sort of each object's keys.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    if (record[key] === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(record[key])}`);
  }
  return `{${parts.join(",")}}`;
}

/**
 * Keys keep the reference's readable layout so operators can invalidate by glob:
 * `{prefix}:op:{operation}|txt:{digest}|opts:{digest}|q:{digest}`, with `opts` only for
 * non-empty options and `q` only for a non-empty question. A namespaced entry starts with
 * `{prefix}:ns:{namespace}|` before `op:`; keys without a namespace keep the layout above
 * exactly. `operation` and `namespace` must already be validated (`[A-Za-z0-9_.-]`), so no
 * caller can inject `|`, `:`, braces or glob characters.
 */
export class CacheKeyBuilder {
  readonly prefix: string;
  private readonly keyPattern: RegExp;

  constructor(prefix: string) {
    this.prefix = `${prefix}:`;
    const hex = `[0-9a-f]{${DIGEST_HEX_CHARS}}`;
    this.keyPattern = new RegExp(`^${escapeRegExp(this.prefix)}(ns:${NAMESPACE_NAME}\\|)?op:${OPERATION_NAME}\\|txt:${hex}(\\|opts:${hex})?(\\|q:${hex})?$`);
  }

  /** Cost: three SHA-256 passes at most, linear in the input (~0.7 µs per KB). */
  build({ namespace, operation, text, options, question }: KeyParts): string {
    let key = namespace ? `${this.prefix}ns:${namespace}|op:${operation}|txt:${digest(text)}` : `${this.prefix}op:${operation}|txt:${digest(text)}`;
    if (options && Object.keys(options).length > 0) key += `|opts:${digest(canonicalJson(options))}`;
    if (question) key += `|q:${digest(question)}`;
    return key;
  }

  /**
   * The lease guarding `key` while one caller computes its value. `{key}` is a hash tag: a
   * cluster keeps the lease in the slot of the key itself (which has no braces), so one script
   * can test the lease and write the value. It starts with the prefix and contains the key, so
   * every invalidation glob that matches the key matches its lease too, and voids it.
   */
  leaseKey(key: string): string {
    return `${this.prefix}lease:{${key}}`;
  }

  /**
   * The log of an answer being streamed for `key` (a Redis stream other sidecars follow live).
   * Named by the key's digest, so invalidation globs, which match by the key's text, pass it by.
   */
  flightKey(key: string): string {
    return `${this.prefix}flight:${digest(key)}`;
  }

  /** A lease or a flight log: the cache's bookkeeping, never an entry. */
  isAuxiliaryKey(key: string): boolean {
    return key.startsWith(this.prefix) && (key.startsWith("lease:{", this.prefix.length) || key.startsWith("flight:", this.prefix.length));
  }

  /**
   * The glob of every key (and lease) in `namespace` whose key contains `pattern`. `ns:{name}|`
   * can only occur at the namespace segment (no other part holds a `:` before a `|`), so the
   * leading `*` (which lets leases of those keys match too) never reaches another namespace.
   */
  namespaceGlob(namespace: string, pattern = ""): string {
    return `${this.prefix}*ns:${namespace}|*${pattern}*`;
  }

  /** The namespace of a cache key, or null for a key without one. */
  namespaceOf(key: string): string | null {
    if (!key.startsWith("ns:", this.prefix.length)) return null;
    const end = key.indexOf("|", this.prefix.length);
    return end < 0 ? null : key.slice(this.prefix.length + 3, end);
  }

  /**
   * The Redis set of the keys carrying `tag`. `{tag}` is its hash tag: on a Cluster the whole
   * set lives in one slot (its members live in theirs).
   */
  tagKey(tag: string): string {
    return `${this.prefix}tag:{${tag}}`;
  }

  isTagKey(key: string): boolean {
    return key.startsWith(this.prefix) && key.startsWith("tag:{", this.prefix.length);
  }

  /** Whether a string has the shape of a key this builder makes (for keys sent by clients). */
  isCacheKey(key: string): boolean {
    return this.keyPattern.test(key);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
