/**
 * A bad environment value: names the variable, what is wrong and what is accepted. A module of
 * its own (no imports), so the variables read before listening can throw it without loading
 * the whole configuration table.
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string,
    readonly accepted: string,
  ) {
    super(`${variable}: ${problem}; accepted: ${accepted}`);
    this.name = "ConfigError";
  }
}
