import type { CheckResult, Violation } from "./checker.ts";
import type { Fault, Operation } from "./history.ts";
import type { InjectivityInput, InjectivityResult } from "./injectivity-check.ts";

/** Plain-text report of a run: what was checked, then each violation with its history excerpt. */

const time = (ms: number) => ms.toFixed(1).padStart(8);

export function formatEvent(item: Operation | Fault): string {
  if (item.kind === "fault") {
    return `[${time(item.start)} → ${time(item.end)}] fault ${item.fault} (lifted at ${item.restored.toFixed(1)}, all subscribed again at ${item.end.toFixed(1)})`;
  }
  const head = `[${time(item.invoke)} → ${time(item.complete)}] #${item.id} client ${item.client} sidecar ${item.sidecar} ${item.kind.padEnd(10)}`;
  switch (item.kind) {
    case "store":
      return `${head} ${item.key} := ${item.value} → ${item.outcome}`;
    case "lookup":
      return `${head} ${item.key} → ${item.outcome}${item.outcome === "hit" ? ` ${item.value ?? item.raw} (${item.tier ?? "?"})` : ""}`;
    case "delete":
      return `${head} ${item.key} → ${item.outcome}`;
    case "invalidate":
      return `${head} ${JSON.stringify(item.pattern)} (${item.keys.length} keys) → ${item.outcome}`;
  }
}

function role(violation: Violation, item: Operation | Fault): string {
  if (item === violation.lookup) return "READ   ";
  if (item === violation.store) return "VALUE  ";
  if (item === violation.witness) return "BARRIER";
  return "       ";
}

export function formatViolation(violation: Violation): string[] {
  const lines = [`${violation.rule} on ${violation.key}: ${violation.reason}`];
  for (const item of violation.excerpt) lines.push(`    ${role(violation, item)} ${formatEvent(item)}`);
  if (violation.omitted > 0) lines.push(`    (${violation.omitted} more operations of this key in the window not shown)`);
  return lines;
}

const tally = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, n]) => `${name} ${n}`)
    .join(", ") || "none";

const byRule = <T extends { rule: string }>(violations: readonly T[]) => {
  const rules: Record<string, number> = {};
  for (const violation of violations) rules[violation.rule] = (rules[violation.rule] ?? 0) + 1;
  return rules;
};

export function formatHistoryCheck(result: CheckResult, maxReport: number): string[] {
  const { counts } = result;
  const lines = [
    `history: ${counts.total} operations checked`,
    `  store      ${tally(counts.store)} (overwrites ${counts.overwrites})`,
    `  lookup     ${tally(counts.lookup)} (${result.checkedHits} hits checked against the rules)`,
    `  delete     ${tally(counts.delete)}`,
    `  invalidate ${tally(counts.invalidate)}`,
    `  faults     ${tally(counts.faults)}`,
    `history violations: ${result.violations.length}${result.violations.length > 0 ? ` (${tally(byRule(result.violations))})` : ""}`,
  ];
  for (const violation of result.violations.slice(0, maxReport)) lines.push(...formatViolation(violation));
  if (result.violations.length > maxReport) lines.push(`... ${result.violations.length - maxReport} more history violations not shown (--max-report)`);
  return lines;
}

/**
 * JSON with every non-ASCII character escaped, so U+FFFD and a lone surrogate read differently:
 * `\u{1f600}` for a character outside the BMP, `\ud800` for a lone surrogate (JSON's own escape).
 */
const ascii = (value: unknown) =>
  (JSON.stringify(value) ?? "undefined").replace(/[\ud800-\udbff][\udc00-\udfff]|[^\x20-\x7e]/g, (c) =>
    c.length === 2 ? `\\u{${c.codePointAt(0)!.toString(16)}}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );

/** An input as escaped JSON, long strings shortened around their length. */
export function describeInput(input: InjectivityInput): string {
  // Cut between code points, so a shortened pair never shows as lone surrogates.
  const short = (text: string) => {
    if (text.length <= 48) return ascii(text);
    const points = Array.from(text);
    return `${ascii(points.slice(0, 16).join(""))}...(${text.length} chars)...${ascii(points.slice(-8).join(""))}`;
  };
  const parts = [`operation ${input.operation}`, `text ${short(input.text)}`];
  if ("options" in input) parts.push(`options ${ascii(input.options)}`);
  if (input.question !== undefined) parts.push(`question ${input.question === null ? "null" : short(input.question)}`);
  return parts.join(", ");
}

export function formatInjectivity(result: InjectivityResult, maxReport: number): string[] {
  const lines = [
    `key injectivity: ${result.inputs} inputs, ${result.stored} stored and looked up, ${result.refusedNonObjectOptions} non-object options refused, ${result.refusedLoneSurrogates} lone-surrogate inputs declined`,
    `injectivity violations: ${result.violations.length}${result.violations.length > 0 ? ` (${tally(byRule(result.violations))})` : ""}`,
  ];
  for (const violation of result.violations.slice(0, maxReport)) {
    lines.push(`${violation.rule}: ${violation.reason}`);
    for (const record of violation.inputs.slice(0, 6)) {
      lines.push(`    input ${record.index}: ${describeInput(record.input)} → store ${record.store.status} ${record.store.key ?? record.store.field ?? ""}`);
    }
    if (violation.inputs.length > 6) lines.push(`    (${violation.inputs.length - 6} more inputs)`);
  }
  if (result.violations.length > maxReport) lines.push(`... ${result.violations.length - maxReport} more injectivity violations not shown (--max-report)`);
  return lines;
}
