import { createLogger, type LogFields, type Logger, type LogLevel } from "../../src/logging/logger.ts";

/** A logger that keeps every line, so tests can assert on what was (and was not) logged. */
export function createMemoryLogger(level: LogLevel = "debug"): Logger & { lines: string[]; records(): LogFields[] } {
  const lines: string[] = [];
  const logger = createLogger(level, (line) => lines.push(line));
  return { ...logger, lines, records: () => lines.map((line) => JSON.parse(line) as LogFields) };
}
