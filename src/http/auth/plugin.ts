import { Elysia } from "elysia";
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
 * Route option `auth: "required" | "optional"`, the one place API keys are checked. The key
 * is read straight from the request's headers (so Elysia need not build a headers object) and
 * checked before any byte of the body is read: on routes with a body the check is the first
 * parse step and `readBody` the second. The body reader is passed in rather than registered
 * app-wide because Elysia runs every inherited parse hook before a route's own.
 */
export const authPlugin = (verifier: ApiKeyVerifier, readBody: BodyReader) => {
  const parseBody = ({ request, contentType }: { request: Request; contentType: string }) => readBody(request, contentType);
  // Requests checked while parsing, so the check before the handler does not hash the key again.
  const checked = new WeakSet<Request>();
  const check = (request: Request, required: boolean): void => {
    const outcome = verifier.check(presentedKey(request.headers), required);
    if (outcome !== "allowed") throw new UnauthorizedError(outcome);
  };
  type CheckingHooks = {
    detail: { security: Record<string, string[]>[] };
    parse(context: { request: Request; contentType: string }): Promise<unknown>;
    beforeHandle(context: { request: Request }): void;
  };
  return new Elysia({ name: "auth" }).macro({
    auth: (mode: AuthMode) => {
      // Documented as with keys configured: development mode is not the contract.
      const detail = { security: SECURITY[mode] };
      // With no key configured (development mode) nothing is checked. Typed as the other branch:
      // when the two differ, Elysia's types turn every authenticated route's answers into
      // \`{ [x: string]: any }\`, and typed clients (Eden) lose them.
      if (verifier.open) return { parse: parseBody, detail } as unknown as CheckingHooks;
      const required = mode === "required";
      const hooks = {
        detail,
        // Destructured, so the framework's source inspection sees which context fields are used
        // even after the build's syntax minification.
        parse({ request, contentType }: { request: Request; contentType: string }) {
          check(request, required);
          checked.add(request);
          return readBody(request, contentType);
        },
        // Routes without a body (GET) have no parse step.
        beforeHandle({ request }: { request: Request }) {
          if (!checked.has(request)) check(request, required);
        },
      };
      return hooks;
    },
  });
};

export { ApiKeyVerifier };
