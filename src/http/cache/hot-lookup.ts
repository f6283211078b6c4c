import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import type { AccessControl } from "../auth/plugin.ts";
import { NotAJsonObjectError, parseJsonObject, readJsonText, type BodyLimits } from "../body.ts";
import { afterDiscardingBody, knownErrorAnswer, unexpectedErrorAnswer, validationFailed } from "../errors.ts";
import { BoundedMemo } from "../memo.ts";
import type { CheckedLookup, LookupHandler } from "./lookup.ts";
import { LookupRequest } from "./model.ts";
import type { Logger } from "../../logging/logger.ts";

export interface HotLookupDependencies {
  readonly lookup: LookupHandler;
  readonly access: AccessControl;
  readonly limits: BodyLimits;
  readonly logger: Logger;
}

/**
 * Bodies remembered with their parse, schema check and key: hits repeat the same bodies, and
 * the same text always parses, checks and keys alike. Bounded: at most MEMO_SLOTS bodies of at
 * most MEMO_MAX_CHARS each (about 8 MB of text at worst, counted as UTF-16, plus their parses).
 */
const MEMO_SLOTS = 1024;
const MEMO_MAX_CHARS = 4096;

/**
 * POST /cache/lookup answered from the server's own route table, without the framework's
 * per-request work (context object, hook chain, router): the hottest route, measured in
 * BENCHMARKS.md. It is not a second implementation: the key check, body reading, schema,
 * handler and error answers are the ones the Elysia route uses, in the same order (key, body,
 * schema, scope), and a test holds the two routes' answers equal request by request.
 * A body seen before costs one Map look-up of its text instead of a JSON parse, a schema check
 * and the SHA-256 digests of its key (a few microseconds at 1 KB).
 */
export function hotLookup({ lookup, access, limits, logger }: HotLookupDependencies): (request: Request) => Promise<Response> {
  // Compiled on first use, so start-up does not pay for it.
  let schema: TypeCheck<typeof LookupRequest> | null = null;
  const memo = new BoundedMemo<string, CheckedLookup>(MEMO_SLOTS);
  const open = access.verifier.open;
  return async (request) => {
    try {
      if (!open) access.principal(request, true);
      const text = await readJsonText(request, request.headers.get("content-type") ?? "", limits);
      // No body at all: refused as the Elysia route refuses it.
      if (text === null) throw new NotAJsonObjectError();
      let checked = memo.get(text);
      if (checked === undefined) {
        const body = parseJsonObject(text, limits.maxBodyBytes);
        schema ??= TypeCompiler.Compile(LookupRequest);
        if (!schema.Check(body)) return await afterDiscardingBody(request, validationFailed({ type: "body", first: schema.Errors(body).First() }));
        checked = { body };
        if (text.length <= MEMO_MAX_CHARS) memo.set(text, checked);
      }
      if (!open) access.requireScope(request, "data");
      return await lookup(request, checked);
    } catch (error) {
      return afterDiscardingBody(request, knownErrorAnswer(error) ?? unexpectedErrorAnswer(logger, request, "UNKNOWN", error));
    }
  };
}
