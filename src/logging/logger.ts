import { requestContext } from "./context.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;
/** Where finished lines go; tests pass an array-backed sink to read what was logged. */
export type LogSink = (line: string) => void;

export interface Logger {
  readonly level: LogLevel;
  enabled(level: LogLevel): boolean;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const stdoutSink: LogSink = (line) => {
  process.stdout.write(line);
};

/** Structured JSON lines, one per event: `{"time","level","msg",...fields}`. */
export function createLogger(level: LogLevel, sink: LogSink = stdoutSink): Logger {
  const threshold = LEVEL_RANK[level];
  const write = (lineLevel: LogLevel, message: string, fields?: LogFields): void => {
    if (LEVEL_RANK[lineLevel] < threshold) return;
    // Lines written while answering a request carry its id (and trace context).
    const context = requestContext.getStore();
    const record = { time: new Date().toISOString(), level: lineLevel, msg: message, ...context, ...fields };
    sink(`${JSON.stringify(record, jsonSafe)}\n`);
  };
  return {
    level,
    enabled: (lineLevel) => LEVEL_RANK[lineLevel] >= threshold,
    debug: (message, fields) => write("debug", message, fields),
    info: (message, fields) => write("info", message, fields),
    warn: (message, fields) => write("warn", message, fields),
    error: (message, fields) => write("error", message, fields),
  };
}

/** `scheme://user:password@` in any logged text: the credentials are masked. */
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi;

function maskCredentials(text: string): string {
  return text.includes("://") ? text.replace(URL_CREDENTIALS, "$1***@") : text;
}

/** Errors carry their message and name only: stacks stay out of the logs' hot path but are available at debug. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === "string") return maskCredentials(value);
  if (value instanceof Error) return { name: value.name, message: maskCredentials(value.message) };
  if (typeof value === "bigint") return value.toString();
  return value;
}
