/**
 * Key injectivity, checked from recorded store/lookup pairs: a pure function of the records.
 *
 * Two requests are the same entry exactly when their (operation, text, options, question)
 * are equal as JSON values, with object keys in any order, options null, absent or {} alike,
 * and question null, absent or "" alike (the documented key layout leaves those parts out).
 * Anything else must get its own key. Options must be a JSON object or null: any other JSON
 * type is refused with 422 naming `options`.
 *
 * Rules:
 * - key-collision:       two inputs that are different entries got the same key.
 * - wrong-value:         a lookup right after all stores returned another input's value (one
 *                        stored under another key: a shared key is reported as key-collision).
 * - unstable-key:        the lookup of an input answered another key than its store.
 * - options-not-refused: options that are not an object or null were not answered 422 naming `options`.
 * - valid-input-refused: a valid input was not stored or looked up (201 / 200). Inputs holding a
 *                        lone surrogate may instead be refused with 422 naming a field: a product
 *                        may decline text that has no UTF-8 form, but must never conflate it.
 */

export interface InjectivityInput {
  readonly operation: string;
  readonly text: string;
  /** Sent only when `"options" in input`. */
  readonly options?: unknown;
  readonly question?: string | null;
}

export interface Answer {
  readonly status: number;
  readonly key?: string;
  /** Error answers: the field they name. */
  readonly field?: string;
  /** Lookups: whether it was a hit, and the `inj` marker of the response found. */
  readonly hit?: boolean;
  readonly marker?: unknown;
}

export interface InjectivityRecord {
  readonly index: number;
  readonly input: InjectivityInput;
  readonly store: Answer;
  readonly lookup: Answer;
}

export type InjectivityRule = "key-collision" | "wrong-value" | "unstable-key" | "options-not-refused" | "valid-input-refused";

export interface InjectivityViolation {
  readonly rule: InjectivityRule;
  readonly reason: string;
  readonly inputs: readonly InjectivityRecord[];
}

export interface InjectivityResult {
  readonly inputs: number;
  readonly stored: number;
  readonly refusedNonObjectOptions: number;
  readonly refusedLoneSurrogates: number;
  readonly violations: readonly InjectivityViolation[];
}

/** Canonical JSON with sorted object keys; lone surrogates stay escaped, so they stay distinct. */
export function canonical(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const record = value as Record<string, unknown>;
  return `{${Object.keys(record)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonical(record[key])}`)
    .join(",")}}`;
}

export function optionsAreValid(input: InjectivityInput): boolean {
  const options = input.options;
  return options === undefined || options === null || (typeof options === "object" && !Array.isArray(options));
}

/** The entry an input denotes, or null when its options must be refused. */
export function identity(input: InjectivityInput): string | null {
  if (!optionsAreValid(input)) return null;
  const options = input.options as Record<string, unknown> | null | undefined;
  const opts = options == null || Object.keys(options).length === 0 ? null : canonical(options);
  return JSON.stringify([input.operation, input.text, opts, input.question ? input.question : null]);
}

/** Whether a string holds a UTF-16 surrogate without its pair. */
export function hasLoneSurrogate(text: string): boolean {
  return /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}

/** Whether any string in a JSON value (object keys included) holds a lone surrogate. */
export function containsLoneSurrogate(value: unknown): boolean {
  if (typeof value === "string") return hasLoneSurrogate(value);
  if (value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) return value.some(containsLoneSurrogate);
  return Object.entries(value).some(([key, item]) => hasLoneSurrogate(key) || containsLoneSurrogate(item));
}

const namesOptions = (answer: Answer) => answer.status === 422 && answer.field !== undefined && /^options(?:$|[./[])/.test(answer.field);

export function checkInjectivity(records: readonly InjectivityRecord[]): InjectivityResult {
  const violations: InjectivityViolation[] = [];
  const byKey = new Map<string, InjectivityRecord[]>();
  let stored = 0;
  let refusedNonObjectOptions = 0;
  let refusedLoneSurrogates = 0;

  for (const record of records) {
    const { store, lookup } = record;
    const id = identity(record.input);
    if (id === null) {
      if (namesOptions(store) && namesOptions(lookup)) refusedNonObjectOptions++;
      else {
        violations.push({
          rule: "options-not-refused",
          reason: `options of type ${Array.isArray(record.input.options) ? "array" : typeof record.input.options}: store answered ${describe(store)}, lookup ${describe(lookup)}; expected 422 naming options`,
          inputs: [record],
        });
      }
      continue;
    }
    if (store.status !== 201 || lookup.status !== 200) {
      if (containsLoneSurrogate(record.input) && store.status === 422 && lookup.status === 422 && store.field !== undefined) refusedLoneSurrogates++;
      else violations.push({ rule: "valid-input-refused", reason: `store answered ${describe(store)}, lookup ${describe(lookup)}`, inputs: [record] });
      continue;
    }
    stored++;
    if (store.key !== undefined) {
      const group = byKey.get(store.key);
      if (group === undefined) byKey.set(store.key, [record]);
      else group.push(record);
    }
    if (lookup.key !== store.key) {
      violations.push({ rule: "unstable-key", reason: `store answered key ${store.key}, lookup ${lookup.key}`, inputs: [record] });
    }
    if (lookup.hit === true && lookup.marker !== record.index) {
      const other = records.find((candidate) => candidate.index === lookup.marker);
      // Two inputs sharing a key are reported once, as a key collision.
      if (other !== undefined && other.store.key === store.key && identity(other.input) !== null) continue;
      violations.push({
        rule: "wrong-value",
        reason: `the lookup of input ${record.index} returned the value stored for input ${JSON.stringify(lookup.marker)}`,
        inputs: other === undefined ? [record] : [record, other],
      });
    }
  }
  for (const [key, group] of byKey) {
    const identities = new Set(group.map((record) => identity(record.input)));
    if (identities.size > 1) {
      violations.push({ rule: "key-collision", reason: `${identities.size} different entries share the key ${key}`, inputs: group });
    }
  }
  return { inputs: records.length, stored, refusedNonObjectOptions, refusedLoneSurrogates, violations };
}

function describe(answer: Answer): string {
  return answer.field === undefined ? String(answer.status) : `${answer.status} (field ${answer.field})`;
}
