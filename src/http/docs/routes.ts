import type { ElysiaSwaggerConfig } from "@elysiajs/swagger";
import { Elysia, type AnyElysia } from "elysia";
// Scalar's standalone bundle (@scalar/api-reference 1.72.1, MIT), gzip -9, embedded in the binary.
import scalarBundle from "./assets/scalar-standalone.js.gz" with { type: "file" };
import { gzippedAsset, LIBRARY_CACHE } from "../static-asset.ts";

export const DOCS_PATH = "/docs" as const;
export const DOCS_SCRIPT_PATH = "/docs/scalar.js";

/**
 * The docs UI and OpenAPI document, served from inside the binary: the UI's script is the
 * embedded bundle (no CDN) and default web fonts are off, so /docs works with no network.
 *
 * The swagger plugin and the document are built on the first request to /docs, from a second
 * instance of the feature routes (`describe`): loading them at start-up cost every sidecar
 * about 10 ms before its first answer, for a page few ever open.
 */
export const docsController = (version: string, describe: () => AnyElysia) => {
  const script = gzippedAsset(() => Bun.file(scalarBundle), { "content-type": "text/javascript; charset=utf-8", "cache-control": LIBRARY_CACHE });
  let documented: Promise<AnyElysia> | undefined;
  const documentedApp = () =>
    (documented ??= import("@elysiajs/swagger").then(({ swagger }) => new Elysia().use(swagger(swaggerOptions(version))).use(describe())));
  const serveDocs = async ({ request }: { request: Request }) => (await documentedApp()).handle(request);
  return new Elysia({ name: "docs" })
    .get(DOCS_PATH, serveDocs, { detail: { hide: true } })
    .get(`${DOCS_PATH}/json`, serveDocs, { detail: { hide: true } })
    .get(DOCS_SCRIPT_PATH, ({ request }) => script(request), { detail: { hide: true } });
};

function swaggerOptions(version: string): ElysiaSwaggerConfig<typeof DOCS_PATH> {
  return {
    path: DOCS_PATH,
    provider: "scalar",
    scalarCDN: DOCS_SCRIPT_PATH,
    scalarConfig: { withDefaultFonts: false } as Record<string, unknown>,
    exclude: [DOCS_SCRIPT_PATH],
    documentation: {
      info: {
        title: "ai-response-cache",
        version,
        description: "A sidecar that caches AI (LLM) responses: a bounded memory tier in front of Redis, a REST data plane and cache management endpoints.",
      },
      tags: [
        { name: "Data plane", description: "Look up and store cached responses" },
        { name: "Cache management", description: "Status, invalidation, statistics and metrics" },
        { name: "Operations", description: "Health, readiness and Prometheus metrics" },
        { name: "Dashboard", description: "The data behind /dashboard, for scripts too" },
      ],
      components: {
        securitySchemes: {
          bearer: { type: "http", scheme: "bearer" },
          apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
  };
}
