import type { ElysiaSwaggerConfig } from "@elysiajs/swagger";
import { Elysia, type AnyElysia } from "elysia";
// Scalar's standalone bundle (@scalar/api-reference 1.72.1, MIT), gzip -9, embedded in the binary.
import scalarBundle from "./assets/scalar-standalone.js.gz" with { type: "file" };
import { gzippedAsset, LIBRARY_CACHE } from "../static-asset.ts";
import { buildOpenApiDocument } from "./openapi.ts";
import type { JsonObject } from "./schema.ts";

export const DOCS_PATH = "/docs" as const;
export const DOCS_SCRIPT_PATH = "/docs/scalar.js";
export const DOCS_JSON_PATH = "/docs/json";

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
  // The framework's document, rewritten once into valid OpenAPI 3.0.3 (see openapi.ts).
  let document: Promise<JsonObject> | undefined;
  const openApiDocument = () =>
    (document ??= documentedApp()
      .then((app) => app.handle(new Request(`http://localhost${DOCS_JSON_PATH}`)))
      .then(async (response) => buildOpenApiDocument((await response.json()) as JsonObject)));
  return new Elysia({ name: "docs" })
    .get(DOCS_PATH, serveDocs, { detail: { hide: true } })
    .get(
      DOCS_JSON_PATH,
      // The server is whoever was asked, so copied curl commands and "Try it" reach this sidecar.
      async ({ request }) => Response.json({ ...(await openApiDocument()), servers: [{ url: new URL(request.url).origin, description: "this sidecar" }] }),
      { detail: { hide: true } },
    )
    .get(DOCS_SCRIPT_PATH, ({ request }) => script(request), { detail: { hide: true } });
};

function swaggerOptions(version: string): ElysiaSwaggerConfig<typeof DOCS_PATH> {
  return {
    path: DOCS_PATH,
    provider: "scalar",
    scalarCDN: DOCS_SCRIPT_PATH,
    // Nothing may leave the pod: no web fonts, no AI agent, no MCP, no developer tools (share,
    // deploy), no telemetry, and Scalar's own services pointed at this page. The document's URL
    // is absolute, so /docs/ (trailing slash) finds it too.
    scalarConfig: {
      spec: { url: DOCS_JSON_PATH },
      withDefaultFonts: false,
      agent: { disabled: true },
      mcp: { disabled: true },
      showDeveloperTools: "never",
      telemetry: false,
      // The client button and the footer link to Scalar's sites; the in-page "Test Request" stays.
      hideClientButton: true,
      customCss: 'a[href^="https://www.scalar.com"], a[href^="https://client.scalar.com"], .scalar-version-number { display: none !important; }',
      externalUrls: { dashboardUrl: DOCS_PATH, registryUrl: DOCS_PATH, proxyUrl: DOCS_PATH, apiBaseUrl: DOCS_PATH },
    } as Record<string, unknown>,
    exclude: [DOCS_SCRIPT_PATH],
    documentation: {
      info: {
        title: "ai-response-cache",
        version,
        license: { name: "MIT" },
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
          bearer: { type: "http", scheme: "bearer", description: "Authorization: Bearer <API_KEY>" },
          apiKey: { type: "apiKey", in: "header", name: "X-API-Key", description: "X-API-Key: <API_KEY>" },
        },
      },
    },
  };
}
