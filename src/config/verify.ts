import { Value } from "@sinclair/typebox/value";
import { ConfigSchema, type Config } from "./model.ts";
import { ConfigError } from "./variables.ts";

/**
 * Checks a loaded configuration against its schema. The parsers already check every value
 * against the same bounds, so a failure here is a bug in them, not bad input. Kept apart from
 * loadConfig so the value checker (a few ms to load and run) stays off the path to listening:
 * main.ts runs this while the application loads.
 */
export function verifyConfig(config: Config): void {
  if (Value.Check(ConfigSchema, config)) return;
  const first = Value.Errors(ConfigSchema, config).First();
  throw new ConfigError("configuration", `${first?.path ?? "?"} ${first?.message ?? "is invalid"}`, "see --help");
}
