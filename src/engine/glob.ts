/**
 * Glob matching with Redis's semantics (`*`, `?`, `[abc]`, `[^a-z]`, `\x`), so the memory
 * tier and Redis's SCAN MATCH agree on every pattern.
 *
 * Matching backtracks only to the most recent `*`, which bounds it at O(pattern × text)
 * even for pathological patterns such as `*a*a*a*a*b`, unlike a naive recursive matcher or
 * a regular expression built from the glob.
 */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = -1;
  while (t < text.length) {
    if (p < pattern.length) {
      const c = pattern.charCodeAt(p);
      if (c === 42 /* * */) {
        while (p < pattern.length && pattern.charCodeAt(p) === 42) p++;
        if (p === pattern.length) return true;
        starP = p;
        starT = t;
        continue;
      }
      const next = matchOne(pattern, p, text.charCodeAt(t));
      if (next > 0) {
        p = next;
        t++;
        continue;
      }
    }
    if (starP < 0) return false;
    p = starP;
    t = ++starT;
  }
  while (p < pattern.length && pattern.charCodeAt(p) === 42) p++;
  return p === pattern.length;
}

/** Matches one pattern element at `p` against `ch`; returns the index after it, or -1. */
function matchOne(pattern: string, p: number, ch: number): number {
  const c = pattern.charCodeAt(p);
  if (c === 63 /* ? */) return p + 1;
  if (c === 92 /* \ */ && p + 1 < pattern.length) return pattern.charCodeAt(p + 1) === ch ? p + 2 : -1;
  if (c === 91 /* [ */) return matchClass(pattern, p, ch);
  return c === ch ? p + 1 : -1;
}

/** Mirrors Redis's stringmatchlen class rules, including its range parsing, escape by escape. */
function matchClass(pattern: string, start: number, ch: number): number {
  let p = start + 1;
  const negate = pattern.charCodeAt(p) === 94; /* ^ */
  if (negate) p++;
  let matched = false;
  while (p < pattern.length) {
    const c = pattern.charCodeAt(p);
    if (c === 92 /* \ */ && p + 1 < pattern.length) {
      if (pattern.charCodeAt(p + 1) === ch) matched = true;
      p += 2;
    } else if (c === 93 /* ] */) {
      break;
    } else if (p + 2 < pattern.length && pattern.charCodeAt(p + 1) === 45 /* - */) {
      let low = c;
      let high = pattern.charCodeAt(p + 2);
      if (low > high) [low, high] = [high, low];
      if (ch >= low && ch <= high) matched = true;
      p += 3;
    } else {
      if (c === ch) matched = true;
      p++;
    }
  }
  // An unclosed class runs to the end, as in Redis; validation refuses those patterns anyway.
  return matched !== negate ? p + 1 : -1;
}

export interface PatternRules {
  readonly maxLength: number;
  readonly maxWildcards: number;
}

export const PATTERN_RULES: PatternRules = { maxLength: 256, maxWildcards: 16 };

/**
 * Why a user pattern cannot be used, or null when it can. Patterns are length-capped,
 * control characters refused and classes must be closed, so what Redis sees is exactly
 * what the memory tier matches.
 */
export function patternProblem(pattern: string, rules: PatternRules = PATTERN_RULES): string | null {
  if (pattern.length > rules.maxLength) return `pattern is longer than ${rules.maxLength} characters`;
  // biome-ignore lint: control characters are what we look for
  if (/[\u0000-\u001f\u007f]/.test(pattern)) return "pattern contains control characters";
  let wildcards = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      if (i + 1 >= pattern.length) return "pattern ends with a lone backslash";
      i++;
    } else if (c === "*" || c === "?") {
      wildcards++;
    } else if (c === "[") {
      const close = findClassEnd(pattern, i);
      if (close < 0) return "pattern has an unclosed '['";
      i = close;
    }
  }
  if (wildcards > rules.maxWildcards) return `pattern has more than ${rules.maxWildcards} wildcards`;
  return null;
}

/** Index of the `]` closing the class opened at `open`, walking it as matchClass does; -1 if none. */
function findClassEnd(pattern: string, open: number): number {
  let i = open + 1;
  if (pattern[i] === "^") i++;
  while (i < pattern.length) {
    if (pattern[i] === "\\" && i + 1 < pattern.length) i += 2;
    else if (pattern[i] === "]") return i;
    else if (i + 2 < pattern.length && pattern[i + 1] === "-") i += 3;
    else i++;
  }
  return -1;
}
