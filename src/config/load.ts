import type { Config } from "./model.ts";
import { describeTarget } from "../engine/redis/target.ts";
import { redisTarget } from "./redis-target.ts";
import { ConfigError, ENV_VARIABLES } from "./variables.ts";

export { ConfigError } from "./variables.ts";

/** An upstream URL as it may be logged: user and password masked. */
function redactCredentials(url: string): string {
  const parsed = new URL(url);
  if (parsed.username === "" && parsed.password === "") return url;
  parsed.username = "***";
  parsed.password = "";
  return parsed.toString().replace(/\/$/, "");
}

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads every variable once into one typed object: each variable's parser checks its own value
 * and names the variable when it is wrong (ConfigError; the caller turns that into exit code 2).
 * Variables that share a field (API_KEY and ADDITIONAL_API_KEYS) add to one list.
 */
export function loadConfig(env: Environment): Config {
  const values: Partial<Record<keyof Config, unknown>> = {};
  for (const variable of ENV_VARIABLES) {
    const raw = env[variable.name] ?? variable.defaultValue;
    const value = raw === undefined ? variable.whenUnset?.() : variable.parse(raw, variable.name);
    const previous = values[variable.field];
    values[variable.field] = Array.isArray(previous) && Array.isArray(value) ? [...new Set([...previous, ...value])] : value;
  }
  // Each parser checked its own value; verifyConfig (verify.ts) checks the whole against the schema.
  const config = values as Config;

  if (config.environment === "production" && config.apiKeys.length === 0 && config.scopedApiKeys.length === 0) {
    throw new ConfigError("API_KEY", "no API key is configured in production", "a key in API_KEY, ADDITIONAL_API_KEYS or SCOPED_API_KEYS");
  }
  const modes = [config.redisUrl !== null, config.redisClusterNodes.length > 0, config.redisSentinelNodes.length > 0].filter(Boolean).length;
  if (modes > 1) {
    throw new ConfigError("REDIS_URL", "more than one of REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINEL_NODES is set", "exactly one of them, or none for the memory tier only");
  }
  if (config.maxTextBytes > config.maxBodyBytes || config.maxResponseBytes > config.maxBodyBytes) {
    throw new ConfigError("MAX_BODY_BYTES", `${config.maxBodyBytes} bytes is below CACHE_MAX_TEXT_BYTES or CACHE_MAX_RESPONSE_BYTES`, "a body limit at least as large as both");
  }
  if (config.maxInflightBodyBytes < config.maxBodyBytes) {
    // Otherwise a body within MAX_BODY_BYTES could never be read.
    throw new ConfigError("MAX_INFLIGHT_BODY_BYTES", `${config.maxInflightBodyBytes} bytes is below MAX_BODY_BYTES (${config.maxBodyBytes} bytes)`, "a bound at least as large as MAX_BODY_BYTES");
  }
  return config;
}

/** Configuration as it may be logged: secrets are reduced to whether they are set. */
export function describeConfig(config: Config): Record<string, unknown> {
  const { apiKeys, scopedApiKeys, redisUrl, redisTlsCa, redisClusterNodes, redisSentinelNodes, redisPassword, proxyTenantSecret, proxyOpenaiUrl, proxyAnthropicUrl, proxyUpstreams, ...rest } = config;
  return {
    ...rest,
    apiKeysConfigured: apiKeys.length,
    // Scopes and namespaces only: the keys themselves are secrets.
    scopedApiKeys: scopedApiKeys.map(({ scopes, namespace }) => (namespace === null ? scopes.join("+") : `${scopes.join("+")}@${namespace}`)),
    redis: describeTarget(redisTarget(config)),
    redisPasswordSet: redisPassword !== null,
    redisTlsCa: redisTlsCa !== null,
    proxyTenantSecretSet: proxyTenantSecret !== null,
    proxyUpstreams: [
      { name: "openai", url: redactCredentials(proxyOpenaiUrl) },
      { name: "anthropic", url: redactCredentials(proxyAnthropicUrl) },
      ...proxyUpstreams.map((upstream) => ({ name: upstream.name, url: redactCredentials(upstream.url) })),
    ],
  };
}
