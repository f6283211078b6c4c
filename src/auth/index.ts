import { Elysia } from "elysia";
import { errorResponse } from "../errors/model.ts";
import { ApiKeyVerifier, presentedKey } from "./verifier.ts";

export type AuthMode = "required" | "optional";

const CHALLENGE = { "www-authenticate": 'Bearer realm="ai-response-cache"' };

const DETAIL = {
  missing: "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
  invalid: "the API key is not valid",
} as const;

/**
 * Route option `auth: "required" | "optional"`. Reads the key straight from the request's
 * headers so Elysia need not build a headers object for every request.
 */
export const authPlugin = (verifier: ApiKeyVerifier) =>
  new Elysia({ name: "auth" }).macro({
    // With no key configured (development mode) no hook is added at all.
    auth: (mode: AuthMode) =>
      verifier.open
        ? {}
        : {
            beforeHandle({ request }) {
              const outcome = verifier.check(presentedKey(request.headers), mode === "required");
              if (outcome !== "allowed") return errorResponse(401, "unauthorized", DETAIL[outcome], undefined, CHALLENGE);
            },
          },
  });

export { ApiKeyVerifier };
