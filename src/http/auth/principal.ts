import type { AccessScope } from "../../engine/access.ts";

/** Who a checked request speaks for: what it may do, and the namespace it is held to. */
export interface Principal {
  readonly scopes: ReadonlySet<AccessScope>;
  /** Every request of a bound key lands in this namespace; null: any. */
  readonly namespace: string | null;
}

/** API_KEY and ADDITIONAL_API_KEYS, and development mode: everything, everywhere. */
export const FULL_ACCESS: Principal = { scopes: new Set(["admin"]), namespace: null };

export function allows(principal: Principal, scope: AccessScope): boolean {
  return principal.scopes.has("admin") || principal.scopes.has(scope);
}

/** A valid key without the scope a route needs: answered 403, naming the scope. */
export class ForbiddenError extends Error {
  constructor(
    detail: string,
    readonly scope?: AccessScope,
  ) {
    super(detail);
    this.name = "ForbiddenError";
  }
}

export function missingScope(scope: AccessScope): ForbiddenError {
  return new ForbiddenError(`this API key lacks the '${scope}' scope`, scope);
}

/** A namespace-bound key asked for another namespace (or a key of one). */
export function outsideNamespace(bound: string): ForbiddenError {
  return new ForbiddenError(`this API key is bound to namespace '${bound}' and may not reach another`);
}

/**
 * The namespace a request lands in: the bound one for a bound key (naming another is
 * refused), else the one it names (undefined: none).
 */
export function namespaceFor(principal: Principal | null, named: string | undefined): string | undefined {
  const bound = principal?.namespace ?? null;
  if (bound === null) return named;
  if (named !== undefined && named !== bound) throw outsideNamespace(bound);
  return bound;
}
