import type { TSchema } from "@sinclair/typebox";
import { ConfigError } from "./error.ts";
import type { Config } from "./model.ts";

// The value types the variables read before listening need (listen.ts). No regex runs on the
// usual values: a process's first regex costs ~0.5 ms, paid before its first answer otherwise.
// The imports above besides ConfigError are types only.

export type Parser<T> = (raw: string, name: string) => T;

/** How a variable's text becomes its value: what is accepted, and the parser. */
export interface ValueType<T = unknown> {
  readonly accepted: string;
  readonly parse: Parser<T>;
}

/** A row of the table: the variable, the Config field it sets, and how its text is read. */
export interface Definition {
  readonly name: string;
  readonly field: keyof Config;
  readonly description: string;
  /** The default as a user would write it; undefined means "unset". */
  readonly defaultValue: string | undefined;
  /** Secrets are never echoed back, not even in an error message. */
  readonly secret?: boolean;
  /** A type whose bounds come from the field's schema, or a fixed one. */
  readonly type: ((schema: TSchema) => ValueType) | ValueType;
  /** The field's value when the variable is unset and has no default. */
  readonly whenUnset?: () => unknown;
}

/** Inclusive bounds, named as a schema names them, so the same object bounds the schema's field. */
export interface Bounds {
  readonly minimum: number;
  readonly maximum: number;
}

const isDigit = (code: number): boolean => code >= 48 && code <= 57;
const isAsciiLetter = (code: number): boolean => (code >= 65 && code <= 90) || (code >= 97 && code <= 122);

/** `/^-?\d+$/` as a loop. */
function isInteger(text: string): boolean {
  const start = text.charCodeAt(0) === 45 ? 1 : 0; // "-"
  if (text.length <= start) return false;
  for (let i = start; i < text.length; i++) if (!isDigit(text.charCodeAt(i))) return false;
  return true;
}

export function integerIn({ minimum: min, maximum: max }: Bounds): ValueType<number> {
  const accepted = `an integer from ${min} to ${max}`;
  return {
    accepted,
    parse(raw, name) {
      if (!isInteger(raw.trim())) throw new ConfigError(name, `"${raw}" is not an integer`, accepted);
      const value = Number(raw.trim());
      if (value < min || value > max) throw new ConfigError(name, `${value} is out of range`, accepted);
      return value;
    },
  };
}

const BYTE_UNITS: Readonly<Record<string, number>> = { "": 1, b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2, gb: 1024 ** 3, gib: 1024 ** 3 };

/** Digits and a unit: `/^(\d+)\s*([a-z]*)$/i`, read by a loop when nothing separates them (as in every default). */
function sizeParts(text: string): [digits: string, unit: string] | null {
  let digits = 0;
  while (digits < text.length && isDigit(text.charCodeAt(digits))) digits++;
  let end = digits;
  while (end < text.length && isAsciiLetter(text.charCodeAt(end))) end++;
  if (digits > 0 && end === text.length) return [text.slice(0, digits), text.slice(digits)];
  const match = /^(\d+)\s*([a-z]*)$/i.exec(text);
  return match ? [match[1]!, match[2]!] : null;
}

export function byteSizeIn({ minimum: min, maximum: max }: Bounds): ValueType<number> {
  const accepted = `a size from ${min} to ${max} bytes, e.g. 65536, 512KB, 64MB`;
  return {
    accepted,
    parse(raw, name) {
      const parts = sizeParts(raw.trim());
      const unit = parts ? BYTE_UNITS[parts[1].toLowerCase()] : undefined;
      if (!parts || unit === undefined) throw new ConfigError(name, `"${raw}" is not a size`, accepted);
      const value = Number(parts[0]) * unit;
      if (value < min || value > max) throw new ConfigError(name, `${value} bytes is out of range`, accepted);
      return value;
    },
  };
}

/** One of a few words, any case. */
export function choiceOf<T extends string>(values: readonly T[]): ValueType<T> {
  const accepted = values.join(" | ");
  return {
    accepted,
    parse(raw, name) {
      const value = raw.trim().toLowerCase();
      if (!(values as readonly string[]).includes(value)) throw new ConfigError(name, `"${raw}" is not a valid choice`, accepted);
      return value as T;
    },
  };
}

/** Trimmed text that `valid` accepts. */
export function textOf(valid: (value: string) => boolean, accepted: string): ValueType<string> {
  return {
    accepted,
    parse(raw, name) {
      const value = raw.trim();
      if (!valid(value)) throw new ConfigError(name, `"${raw}" is not valid`, accepted);
      return value;
    },
  };
}
