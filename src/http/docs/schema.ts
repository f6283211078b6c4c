/**
 * TypeBox writes JSON Schema 2020-12 (`const`, `$id`, `patternProperties`, `type: "null"`),
 * which an OpenAPI 3.0.3 document may not contain. This rewrites one schema into the 3.0.3
 * dialect, moving every schema with an `$id` into components.schemas under that name.
 */
export type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value);

/** Named schemas met so far, already rewritten. */
export class SchemaRegistry {
  readonly schemas: Record<string, JsonObject> = {};

  /** A schema in the 3.0.3 dialect; named ones are registered and answered as a $ref. */
  normalize(schema: unknown): JsonObject {
    if (!isObject(schema)) return {};
    const { $id, ...rest } = schema;
    const rewritten = this.rewrite(rest);
    if (typeof $id !== "string") return rewritten;
    const known = this.schemas[$id];
    // One name, one shape: two different schemas sharing an $id would make the document lie.
    if (known !== undefined && JSON.stringify(known) !== JSON.stringify(rewritten)) throw new Error(`two different schemas are named ${$id}`);
    this.schemas[$id] = rewritten;
    return { $ref: `#/components/schemas/${$id}` };
  }

  private rewrite(schema: JsonObject): JsonObject {
    const out: JsonObject = {};
    for (const [keyword, value] of Object.entries(schema)) {
      switch (keyword) {
        case "const":
          out.enum = [value];
          break;
        case "properties":
          out.properties = Object.fromEntries(Object.entries(value as JsonObject).map(([name, property]) => [name, this.normalize(property)]));
          break;
        case "patternProperties": {
          // TypeBox's Record(String, X) is the only form used: any key, values of one schema.
          const [only] = Object.values(value as JsonObject);
          out.additionalProperties = this.normalize(only);
          break;
        }
        case "items":
        case "additionalProperties":
        case "not":
          out[keyword] = isObject(value) ? this.normalize(value) : value;
          break;
        case "anyOf":
        case "oneOf":
        case "allOf":
          out[keyword] = (value as unknown[]).map((branch) => this.normalize(branch));
          break;
        default:
          out[keyword] = value;
      }
    }
    return Array.isArray(out.anyOf) ? simplifyUnion(out) : out;
  }
}

/**
 * `anyOf` with a `{type: "null"}` branch becomes `nullable: true`; a union of single-value
 * enums of one type becomes one enum; a union left with one branch becomes that branch.
 */
function simplifyUnion(schema: JsonObject): JsonObject {
  const { anyOf, ...rest } = schema as JsonObject & { anyOf: JsonObject[] };
  const nullable = anyOf.some((branch) => branch.type === "null");
  let branches = anyOf.filter((branch) => branch.type !== "null");
  const enumOnly = (branch: JsonObject) => Array.isArray(branch.enum) && Object.keys(branch).every((key) => key === "enum" || key === "type");
  if (branches.length > 1 && branches.every(enumOnly) && new Set(branches.map((branch) => branch.type)).size === 1) {
    branches = [{ type: branches[0]!.type, enum: branches.flatMap((branch) => branch.enum as unknown[]) }];
  }
  const only = branches.length === 1 ? branches[0]! : undefined;
  // A $ref may have no siblings in 3.0.3, so a described or nullable reference is wrapped.
  const merged: JsonObject =
    only === undefined ? { ...rest, anyOf: branches } : typeof only.$ref === "string" ? { ...rest, allOf: [only] } : { ...only, ...rest };
  if (nullable && Array.isArray(merged.anyOf)) {
    // 3.0.3 allows `nullable` only beside a `type`: each typed branch takes it.
    merged.anyOf = (merged.anyOf as JsonObject[]).map((branch) => (branch.type === undefined ? branch : { ...branch, nullable: true }));
  } else if (nullable) {
    merged.nullable = true;
    if (Array.isArray(merged.enum)) merged.enum = [...merged.enum, null];
  }
  return merged;
}
