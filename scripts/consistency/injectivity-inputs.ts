import fc from "fast-check";
import { identity, type InjectivityInput } from "./injectivity-check.ts";

/**
 * Inputs for the key injectivity phase: a fixed list of near-collisions (lone surrogates next
 * to U+FFFD, NUL, long strings, options of every JSON type, objects that look like arrays)
 * and fast-check families: a random input plus variants that change one part of it, which is
 * where a lossy encoding shows. Deterministic for a seed. Distinct entries only (see
 * `identity`), plus every input whose options must be refused.
 */

const TRICKY = ["\ud800", "\udbff", "\udc00", "\udfff", "\ufffd", "\u0000", "\u{1f600}", "\u{10ffff}", "\ufeff", "e\u0301", "\u00e9", "\\", '"', "|", ":", "*", " "];

const unit = fc.oneof(
  fc.constantFrom(...TRICKY),
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }),
);
const shortString = (maxLength: number) => fc.string({ unit, maxLength });
const text = fc.oneof(
  { weight: 6, arbitrary: shortString(24) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom("a", "\ud800", "\u{1f600}"), fc.integer({ min: 1000, max: 20_000 }), shortString(3)).map(([c, n, tail]) => c.repeat(n) + tail) },
);
// "__proto__" is left out: as an own JSON key it is parsed differently by different parsers.
const jsonKey = shortString(6).filter((key) => key !== "__proto__");
const leaf = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), shortString(8));
const { value: jsonValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof({ depthSize: "small", maxDepth: 3 }, leaf, fc.array(tie("value"), { maxLength: 4 }), fc.dictionary(jsonKey, tie("value"), { maxKeys: 4 })),
}));
const objectOptions = fc.dictionary(jsonKey, jsonValue, { maxKeys: 5 });
/** Options that are JSON but not an object or null. */
const nonObjectOptions = fc.oneof(fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), shortString(8), fc.array(jsonValue, { maxLength: 4 }));
const operation = fc.stringMatching(/^[A-Za-z0-9_.-]{0,6}$/).map((suffix) => `inj${suffix}`);
const question = fc.option(shortString(12), { nil: null });

type Change = (input: InjectivityInput) => InjectivityInput;
const change: fc.Arbitrary<Change> = fc.oneof(
  text.map((value): Change => (input) => ({ ...input, text: value })),
  objectOptions.map((value): Change => (input) => ({ ...input, options: value })),
  nonObjectOptions.map((value): Change => (input) => ({ ...input, options: value })),
  question.map((value): Change => (input) => ({ ...input, question: value })),
);
const family = fc
  .tuple(fc.record({ operation, text, options: fc.option(objectOptions, { nil: null }), question }), fc.array(change, { maxLength: 3 }))
  .map(([base, changes]) => [base as InjectivityInput, ...changes.map((apply) => apply(base))]);

/** Hand-picked pairs that differ only where an encoding may lose information. */
export const FIXED_INPUTS: readonly InjectivityInput[] = [
  ...["\ud800", "\udbff", "\udc00", "\udfff", "\ufffd", "\ufffd\ufffd", "\ud800\udc00", "\u{10000}", "\udc00\ud800"].map((t) => ({ operation: "injfixed", text: t })),
  ...["", "\u0000", "\u0000\u0000", "a\u0000", "a", "a\u0000b", "ab"].map((t) => ({ operation: "injfixed", text: t })),
  ...["\ud800", "\udfff", "\ufffd", "x"].map((q) => ({ operation: "injfixed", text: "q", question: q })),
  { operation: "injfixed", text: "a".repeat(100_000) },
  { operation: "injfixed", text: `${"a".repeat(100_000)}\u0000` },
  { operation: "injfixed", text: `${"a".repeat(99_999)}\ud800` },
  { operation: "injfixed", text: `${"a".repeat(99_999)}\ufffd` },
  { operation: "injfixed", text: "xy" },
  { operation: "injfixed", text: "x", question: "y" },
  ...[
    null,
    { "0": "g" },
    { a: 1 },
    { a: "1" },
    { a: 1.5 },
    { a: true },
    { a: "true" },
    { a: null },
    { a: "null" },
    { a: {} },
    { a: [] },
    { a: [1] },
    { a: { "0": 1 } },
    { a: [[]] },
    { a: { b: { c: null } } },
    { "": "" },
    { "\ud800": 1 },
    { "\ufffd": 1 },
    { a: "\ud800" },
    { a: "\ufffd" },
    { "a.b": 1 },
    { a: { b: 1 } },
  ].map((options) => ({ operation: "injopts", text: "t", options })),
  ...[0, 1, -1, 1.5, true, false, "", "x", "{}", [], ["g"], [null], [{}], [1, 2]].map((options) => ({ operation: "injopts", text: "t", options })),
];

/** The fixed inputs and `families` random families, without two inputs that are the same entry. */
export function injectivityInputs(seed: number, families: number): InjectivityInput[] {
  const generated = fc.sample(family, { seed, numRuns: families }).flat();
  const seen = new Set<string>();
  const inputs: InjectivityInput[] = [];
  for (const input of [...FIXED_INPUTS, ...generated]) {
    // Inputs to refuse are kept apart by their JSON form, entries by their identity.
    const id = identity(input) ?? `refused:${JSON.stringify([input.operation, input.text, input.options, input.question])}`;
    if (seen.has(id)) continue;
    seen.add(id);
    inputs.push(input);
  }
  return inputs;
}
