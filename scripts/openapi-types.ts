import { servedDocument } from "./openapi/check.ts";
import { generateTypes, TYPES_FILE } from "./openapi/types.ts";

/** Regenerates test/generated/openapi.d.ts from the served document (bun scripts/openapi-types.ts). */
await Bun.write(TYPES_FILE, await generateTypes(await servedDocument()));
console.log(`wrote ${TYPES_FILE}`);
