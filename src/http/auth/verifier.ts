import type { ScopedKey } from "../../engine/access.ts";
import { FULL_ACCESS, type Principal } from "./principal.ts";

export type AuthOutcome = "allowed" | "missing" | "invalid";

const sha256 = (value: string): Buffer => Buffer.from(Bun.SHA256.hash(value).buffer as ArrayBuffer);

/**
 * Checks presented API keys against the configured ones in constant time: both sides are
 * hashed to fixed-length digests and every configured key is compared, match or not, so
 * neither the length nor the position of a key leaks through timing.
 */
export class ApiKeyVerifier {
  private readonly digests: readonly Buffer[];
  /** What each digest's key may do, in the same order. */
  private readonly principals: readonly Principal[];

  /** `keys` have full access; `scoped` keys only their scopes (and namespace). */
  constructor(keys: readonly string[], scoped: readonly ScopedKey[] = []) {
    this.digests = [...keys.map(sha256), ...scoped.map(({ key }) => sha256(key))];
    this.principals = [...keys.map(() => FULL_ACCESS), ...scoped.map(({ scopes, namespace }) => ({ scopes: new Set(scopes), namespace }))];
  }

  /** With no key configured (development mode) every request is allowed. */
  get open(): boolean {
    return this.digests.length === 0;
  }

  /** Visits every configured key whatever matches, so the time taken says nothing about which. */
  matches(presented: string): boolean {
    return this.identify(presented) !== null;
  }

  /** What a presented key may do, or null when it is not a configured key; constant time as matches(). */
  identify(presented: string): Principal | null {
    const digest = sha256(presented);
    let found: Principal | null = null;
    for (let i = 0; i < this.digests.length; i++) {
      // A key listed twice (full and scoped) keeps the first, wider, access.
      if (ApiKeyVerifier.digestsEqual(digest, this.digests[i]!) && found === null) found = this.principals[i]!;
    }
    return found;
  }

  /**
   * Constant-time comparison of two SHA-256 digests: node:crypto's timingSafeEqual, as Bun's
   * global crypto exposes it, because importing node:crypto costs start-up ~10 ms (it loads
   * the stream modules its hashes are built on).
   */
  static digestsEqual(a: Buffer, b: Buffer): boolean {
    return crypto.timingSafeEqual(a, b);
  }

  /** required: a missing key is refused; optional: a missing key is allowed, a wrong one never. */
  check(presented: string | null, required: boolean): AuthOutcome {
    if (this.open) return "allowed";
    if (presented === null) return required ? "missing" : "allowed";
    return this.matches(presented) ? "allowed" : "invalid";
  }
}

/** The key from `Authorization: Bearer <key>`, else `X-API-Key: <key>`. */
export function presentedKey(headers: Headers): string | null {
  const authorization = headers.get("authorization");
  if (authorization !== null) {
    const match = /^\s*bearer\s+(.+?)\s*$/i.exec(authorization);
    if (match) return match[1]!;
  }
  const apiKey = headers.get("x-api-key");
  return apiKey === null || apiKey.trim() === "" ? null : apiKey.trim();
}
