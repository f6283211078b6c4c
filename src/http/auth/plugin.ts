import { Elysia } from "elysia";
import type { AccessScope } from "../../engine/access.ts";
import { allows, FULL_ACCESS, missingScope, namespaceFor, outsideNamespace, type Principal } from "./principal.ts";
import { ApiKeyVerifier, presentedKey } from "./verifier.ts";

export type AuthMode = "required" | "optional";

const CHALLENGE = { "www-authenticate": 'Bearer realm="ai-response-cache"' } as const;

const DETAIL = {
  missing: "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
  invalid: "the API key is not valid",
} as const;

/** A refused API key: answered 401 with a Bearer challenge by the error handler. */
export class UnauthorizedError extends Error {
  readonly headers: Record<string, string> = CHALLENGE;

  constructor(readonly outcome: keyof typeof DETAIL) {
    super(DETAIL[outcome]);
    this.name = "UnauthorizedError";
  }
}

/**
 * What each mode accepts, for the OpenAPI document: either key scheme, and for optional routes
 * also none (the empty requirement). Declared here, beside the check, so the two cannot drift.
 */
const SECURITY: Record<AuthMode, Record<string, string[]>[]> = {
  required: [{ bearer: [] }, { apiKey: [] }],
  optional: [{}, { bearer: [] }, { apiKey: [] }],
};

/** Reads and parses the body of a request whose key has been checked. */
export type BodyReader = (request: Request, contentType: string) => Promise<unknown>;

/**
 * Who each request speaks for, decided once per request: the key is hashed once however many
 * hooks ask. Routes read it to learn the namespace a bound key holds them to.
 */
export class AccessControl {
  private readonly seen = new WeakMap<Request, Principal | null>();

  constructor(readonly verifier: ApiKeyVerifier) {}

  /** null: no key was sent (allowed where auth is optional). Throws 401 for a wrong key, or a missing one when `required`. */
  principal(request: Request, required: boolean): Principal | null {
    if (this.verifier.open) return FULL_ACCESS;
    let principal = this.seen.get(request);
    if (principal === undefined) {
      const presented = presentedKey(request.headers);
      principal = presented === null ? null : this.verifier.identify(presented);
      if (presented !== null && principal === null) throw new UnauthorizedError("invalid");
      this.seen.set(request, principal);
    }
    if (principal === null && required) throw new UnauthorizedError("missing");
    return principal;
  }

  /** Refuses (403) a key without `scope`; a request without a key is left to the auth mode. */
  requireScope(request: Request, scope: AccessScope): void {
    const principal = this.principal(request, false);
    if (principal !== null && !allows(principal, scope)) throw missingScope(scope);
  }

  /** The namespace a bound key holds the request to; null: none. */
  boundNamespace(request: Request): string | null {
    return this.principal(request, false)?.namespace ?? null;
  }

  /** The namespace the request lands in: its key's, or the one it names (403 when they differ). */
  namespaceFor(request: Request, named: string | undefined): string | undefined {
    return namespaceFor(this.principal(request, false), named);
  }

  /** Refuses (403) a request of a bound key that reaches outside its namespace. */
  refuseOutside(request: Request): never {
    throw outsideNamespace(this.boundNamespace(request) ?? "");
  }
}

/**
 * Route options `auth: "required" | "optional"` and `scope: "read" | "data" | "invalidate"`,
 * the one place API keys are checked. The key is read straight from the request's headers
 * (so Elysia need not build a headers object) and checked before any byte of the body is read:
 * on routes with a body the check is the first parse step and `readBody` the second. The body
 * reader is passed in rather than registered app-wide because Elysia runs every inherited parse
 * hook before a route's own. A wrong key is refused (401) before its scope is looked at (403).
 */
export const authPlugin = (access: AccessControl, readBody: BodyReader) => {
  const parseBody = ({ request, contentType }: { request: Request; contentType: string }) => readBody(request, contentType);
  type CheckingHooks = {
    detail: { security: Record<string, string[]>[] };
    parse(context: { request: Request; contentType: string }): Promise<unknown>;
    beforeHandle(context: { request: Request }): void;
  };
  type ScopeHooks = { beforeHandle(context: { request: Request }): void };
  return new Elysia({ name: "auth" }).macro({
    auth: (mode: AuthMode) => {
      // Documented as with keys configured: development mode is not the contract.
      const detail = { security: SECURITY[mode] };
      // With no key configured (development mode) nothing is checked. Typed as the other branch:
      // when the two differ, Elysia's types turn every authenticated route's answers into
      // `{ [x: string]: any }`, and typed clients (Eden) lose them.
      if (access.verifier.open) return { parse: parseBody, detail } as unknown as CheckingHooks;
      const required = mode === "required";
      const hooks = {
        detail,
        // Destructured, so the framework's source inspection sees which context fields are used
        // even after the build's syntax minification.
        parse({ request, contentType }: { request: Request; contentType: string }) {
          access.principal(request, required);
          return readBody(request, contentType);
        },
        // Routes without a body (GET) have no parse step.
        beforeHandle({ request }: { request: Request }) {
          access.principal(request, required);
        },
      };
      return hooks;
    },
    scope: (scope: AccessScope) => {
      // Typed as the other branch, for the same reason as above.
      if (access.verifier.open) return {} as unknown as ScopeHooks;
      const hooks = {
        beforeHandle({ request }: { request: Request }) {
          access.requireScope(request, scope);
        },
      };
      return hooks;
    },
  });
};

export { ApiKeyVerifier };
