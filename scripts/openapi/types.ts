import openapiTS, { astToString } from "openapi-typescript";
import { join } from "node:path";

/** Where the typed client's types live; test/http/openapi-client.test.ts checks they are current. */
export const TYPES_FILE = join(import.meta.dir, "../../test/generated/openapi.d.ts");

const HEADER = "// Generated from the served OpenAPI document by `bun scripts/openapi-types.ts`; do not edit.\n";

/** TypeScript types of the document's paths and schemas, as a client generated with openapi-typescript sees them. */
export async function generateTypes(document: unknown): Promise<string> {
  return HEADER + astToString(await openapiTS(document as never));
}
