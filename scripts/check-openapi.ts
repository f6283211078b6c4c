import { checkOpenApiDocument, servedDocument } from "./openapi/check.ts";

/**
 * Lints (Redocly) and validates (swagger-parser) the OpenAPI document a sidecar serves.
 * Usage: bun scripts/check-openapi.ts [URL of /docs/json]; without a URL the document of an
 * in-process app is checked. Exits 1 on any problem.
 */
const url = process.argv[2];
const document = url === undefined ? await servedDocument() : await (await fetch(url)).json();
const problems = await checkOpenApiDocument(document);
for (const problem of problems) console.error(problem);
console.log(problems.length === 0 ? "openapi: valid (swagger-parser) and lint-clean (redocly)" : `openapi: ${problems.length} problems`);
process.exit(problems.length === 0 ? 0 : 1);
