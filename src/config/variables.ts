import { hostname } from "node:os";
import type { TSchema } from "@sinclair/typebox";
import { ACCESS_SCOPES, isAccessScope, type AccessScope, type ScopedKey } from "../engine/access.ts";
import { NAMESPACE_PATTERN, OPERATION_PATTERN } from "../engine/key.ts";
import { ConfigError } from "./error.ts";
import { LISTEN_VARIABLES } from "./listen.ts";
import { ConfigSchema, KEY_PREFIX_PATTERN, UPSTREAM_NAME_PATTERN } from "./model.ts";
import { byteSizeIn, choiceOf, integerIn, textOf, type Bounds, type Definition, type Parser, type ValueType } from "./value-types.ts";

export { ConfigError } from "./error.ts";

export interface EnvVariable extends Definition, ValueType {}

/** Bounds of a number field, as its schema states them. */
function bounds(schema: TSchema): Bounds {
  const minimum = (schema.minimum ?? schema.exclusiveMinimum ?? Number.MIN_SAFE_INTEGER) as number;
  return { minimum, maximum: (schema.maximum ?? Number.MAX_SAFE_INTEGER) as number };
}

const integer = (schema: TSchema): ValueType => integerIn(bounds(schema));

const positiveNumber = (schema: TSchema): ValueType => {
  const { maximum: max } = bounds(schema);
  const accepted = `a number above 0 and at most ${max}`;
  return {
    accepted,
    parse(raw, name) {
      const value = Number(raw.trim());
      if (raw.trim() === "" || !Number.isFinite(value)) throw new ConfigError(name, `"${raw}" is not a number`, accepted);
      if (value <= 0 || value > max) throw new ConfigError(name, `${value} is out of range`, accepted);
      return value;
    },
  };
};

/** The literals a union-of-literals schema allows. */
const choice = (schema: TSchema): ValueType => choiceOf(((schema.anyOf ?? []) as { const: string }[]).map((literal) => literal.const));

const boolean: { accepted: string; parse: Parser<boolean> } = {
  accepted: "true | false | 1 | 0 | yes | no",
  parse(raw, name) {
    const value = raw.trim().toLowerCase();
    if (["true", "1", "yes", "on"].includes(value)) return true;
    if (["false", "0", "no", "off"].includes(value)) return false;
    throw new ConfigError(name, `"${raw}" is not a boolean`, boolean.accepted);
  },
};

const byteSize = (schema: TSchema): ValueType => byteSizeIn(bounds(schema));

const operationPattern = new RegExp(OPERATION_PATTERN);

const ttlMap: { accepted: string; parse: Parser<Record<string, number>> } = {
  accepted: "comma-separated operation=seconds pairs, e.g. summarize=7200,sentiment=86400",
  parse(raw, name) {
    const ttls: [string, number][] = [];
    for (const pair of raw.split(",")) {
      if (pair.trim() === "") continue;
      const [operation = "", seconds = ""] = pair.split("=").map((part) => part.trim());
      if (!operationPattern.test(operation)) throw new ConfigError(name, `"${operation}" is not a valid operation name`, ttlMap.accepted);
      if (!/^\d+$/.test(seconds) || Number(seconds) < 1) throw new ConfigError(name, `"${pair.trim()}" has no positive whole number of seconds`, ttlMap.accepted);
      ttls.push([operation, Number(seconds)]);
    }
    // fromEntries defines own properties, so an operation named "__proto__" is kept like any other.
    return Object.fromEntries(ttls);
  },
};

/** API_KEY: one key, merged with ADDITIONAL_API_KEYS into the same list. */
const singleKey: ValueType = {
  accepted: "any non-empty string",
  parse: (raw) => (raw.trim() === "" ? [] : [raw.trim()]),
};

const namespacePattern = new RegExp(NAMESPACE_PATTERN);

/** SCOPED_API_KEYS: `scope[+scope...][@namespace]:key` items; the key is what follows the first ":". */
const scopedKeyList: { accepted: string; parse: Parser<ScopedKey[]> } = {
  accepted: `comma-separated scope[+scope...][@namespace]:key items, scopes among ${ACCESS_SCOPES.join(", ")}, e.g. read:k1,data@tenant-a:k2,invalidate+read:k3`,
  parse(raw, name) {
    const keys: ScopedKey[] = [];
    for (const [index, item] of raw.split(",").entries()) {
      if (item.trim() === "") continue;
      // Items are named by position: they hold secrets, which are never echoed.
      const where = `item ${index + 1}`;
      const colon = item.indexOf(":");
      const key = item.slice(colon + 1).trim();
      if (colon < 0 || key === "") throw new ConfigError(name, `${where} has no ":" followed by a key`, scopedKeyList.accepted);
      const [rawScopes = "", namespace, ...extra] = item.slice(0, colon).trim().split("@");
      const scopes = rawScopes.split("+").map((scope) => scope.trim());
      const unknown = scopes.find((scope) => !isAccessScope(scope));
      if (unknown !== undefined) throw new ConfigError(name, `${where} names an unknown scope "${unknown.slice(0, 20)}"`, scopedKeyList.accepted);
      if (extra.length > 0 || (namespace !== undefined && !namespacePattern.test(namespace))) {
        throw new ConfigError(name, `${where} has a namespace that is not 1 to 64 characters of A-Z a-z 0-9 _ . -`, scopedKeyList.accepted);
      }
      keys.push({ key, scopes: [...new Set(scopes as AccessScope[])], namespace: namespace ?? null });
    }
    return keys;
  },
};

const optionalSecret: ValueType = {
  accepted: "any non-empty string",
  parse: (raw) => raw.trim() || null,
};

const keyList: { accepted: string; parse: Parser<string[]> } = {
  accepted: "comma-separated API keys",
  parse: (raw) => raw.split(",").map((key) => key.trim()).filter((key) => key !== ""),
};

const text = (pattern: RegExp, accepted: string): ValueType<string> => textOf((value) => pattern.test(value), accepted);

const redisUrl: { accepted: string; parse: Parser<string | null> } = {
  accepted: "redis://[user:password@]host:port[/db] or rediss://... (empty = memory tier only)",
  parse(raw, name) {
    const value = raw.trim();
    if (value === "") return null;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      // The URL may contain a password, so it is never echoed.
      throw new ConfigError(name, "the value is not a URL", redisUrl.accepted);
    }
    if (url.protocol !== "redis:" && url.protocol !== "rediss:") throw new ConfigError(name, `scheme "${url.protocol}" is not supported`, redisUrl.accepted);
    if (url.hostname === "") throw new ConfigError(name, "the URL names no host", redisUrl.accepted);
    return value;
  },
};

const pemFile: { accepted: string; parse: Parser<string | null> } = {
  accepted: "the path of a readable PEM file (empty = the system's trusted CAs)",
  parse(raw, name) {
    const path = raw.trim();
    if (path === "") return null;
    let pem: string;
    try {
      // Required here, not imported: loading node:fs costs every start-up ~4 ms, and only this variable reads a file.
      pem = (require("node:fs") as typeof import("node:fs")).readFileSync(path, "utf8");
    } catch (error) {
      throw new ConfigError(name, `cannot read "${path}" (${(error as NodeJS.ErrnoException).code ?? "error"})`, pemFile.accepted);
    }
    if (!pem.includes("-----BEGIN CERTIFICATE-----")) throw new ConfigError(name, `"${path}" holds no PEM certificate`, pemFile.accepted);
    return pem;
  },
};

const redisUrlList: { accepted: string; parse: Parser<string[]> } = {
  accepted: "comma-separated redis://[user:password@]host:port URLs of cluster nodes",
  parse(raw, name) {
    const urls = raw.split(",").map((url) => url.trim()).filter((url) => url !== "");
    for (const url of urls) redisUrl.parse(url, name);
    return urls;
  },
};

const hostPortList: { accepted: string; parse: Parser<{ host: string; port: number }[]> } = {
  accepted: "comma-separated host:port pairs, e.g. 10.0.0.1:26379,10.0.0.2:26379",
  parse(raw, name) {
    return raw
      .split(",")
      .map((pair) => pair.trim())
      .filter((pair) => pair !== "")
      .map((pair) => {
        const match = /^(.+):(\d{1,5})$/.exec(pair);
        const port = match ? Number(match[2]) : 0;
        if (!match || port < 1 || port > 65535) throw new ConfigError(name, `"${pair}" is not host:port`, hostPortList.accepted);
        return { host: match[1]!.replace(/^\[(.*)\]$/, "$1"), port };
      });
  },
};

const httpUrl: { accepted: string; parse: Parser<string> } = {
  accepted: "an http:// or https:// URL",
  parse(raw, name) {
    const value = raw.trim().replace(/\/+$/, "");
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ConfigError(name, "the value is not a URL", httpUrl.accepted);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new ConfigError(name, `scheme "${url.protocol}" is not supported`, httpUrl.accepted);
    if (url.search !== "" || url.hash !== "") throw new ConfigError(name, "the URL has a query or fragment", httpUrl.accepted);
    return value;
  },
};

const upstreamNamePattern = new RegExp(UPSTREAM_NAME_PATTERN);

const upstreamList: { accepted: string; parse: Parser<{ name: string; url: string }[]> } = {
  accepted: "comma-separated name=url pairs of OpenAI-compatible APIs, e.g. groq=https://api.groq.com/openai/v1,local=http://127.0.0.1:11434/v1",
  parse(raw, name) {
    const upstreams: { name: string; url: string }[] = [];
    for (const pair of raw.split(",")) {
      if (pair.trim() === "") continue;
      const at = pair.indexOf("=");
      const upstream = pair.slice(0, at).trim();
      if (at < 0 || !upstreamNamePattern.test(upstream)) throw new ConfigError(name, `"${pair.trim().slice(0, 40)}" does not start with a name of 1 to 32 characters of a-z 0-9 _ - and "="`, upstreamList.accepted);
      if (upstreams.some((known) => known.name === upstream)) throw new ConfigError(name, `"${upstream}" is named twice`, upstreamList.accepted);
      upstreams.push({ name: upstream, url: httpUrl.parse(pair.slice(at + 1), name) });
    }
    return upstreams;
  },
};

const fieldList: { accepted: string; parse: Parser<string[]> } = {
  accepted: "comma-separated top-level field names (empty: every field is part of the key)",
  parse: (raw) => [...new Set(raw.split(",").map((field) => field.trim()).filter((field) => field !== ""))],
};

const PRICE = /^\d{1,7}(\.\d{1,6})?$/;

/** Dollars per million input and output tokens, per model, for what the dashboard says the cache saved. */
const priceList: { accepted: string; parse: Parser<Record<string, { input: number; output: number }>> } = {
  accepted: "comma-separated model=input/output pairs in dollars per million tokens, e.g. gpt-4o-mini=0.15/0.6,claude-sonnet-4-5=3/15",
  parse(raw, name) {
    const prices: [string, { input: number; output: number }][] = [];
    for (const pair of raw.split(",")) {
      if (pair.trim() === "") continue;
      // Model names may hold "/" and ":" (org/model:tag), so the price is what follows the last "=".
      const at = pair.lastIndexOf("=");
      const model = pair.slice(0, Math.max(at, 0)).trim();
      const [input = "", output = "", ...extra] = pair.slice(at + 1).split("/").map((part) => part.trim());
      if (at < 0 || model === "" || model.length > 128) throw new ConfigError(name, `"${pair.trim().slice(0, 40)}" does not start with a model name of 1 to 128 characters and "="`, priceList.accepted);
      if (!PRICE.test(input) || !PRICE.test(output) || extra.length > 0) throw new ConfigError(name, `the price of "${model}" is not input/output, two numbers of at least 0`, priceList.accepted);
      if (prices.some(([known]) => known === model)) throw new ConfigError(name, `"${model}" is priced twice`, priceList.accepted);
      prices.push([model, { input: Number(input), output: Number(output) }]);
    }
    return Object.fromEntries(prices);
  },
};

/** Every variable the service reads: the single source for parsing, `--help` and the README table. */
const DEFINITIONS: readonly Definition[] = [
  LISTEN_VARIABLES.port,
  LISTEN_VARIABLES.host,
  { name: "ENVIRONMENT", field: "environment", description: "production refuses to start without an API key", defaultValue: "development", type: choice },
  LISTEN_VARIABLES.logLevel,
  { name: "API_KEY", field: "apiKeys", description: "Primary API key (unset: development mode, every request allowed)", defaultValue: undefined, secret: true, type: singleKey, whenUnset: () => [] },
  { name: "ADDITIONAL_API_KEYS", field: "apiKeys", description: "More accepted API keys, comma-separated", defaultValue: undefined, secret: true, type: keyList, whenUnset: () => [] },
  { name: "SCOPED_API_KEYS", field: "scopedApiKeys", description: "Keys limited to scopes (read, data, invalidate, admin) and maybe bound to a namespace: scope[+scope...][@namespace]:key, comma-separated", defaultValue: undefined, secret: true, type: scopedKeyList, whenUnset: () => [] },
  { name: "CACHE_MODE", field: "cacheMode", description: "read_write, read_only (lookups served, nothing stored), write_only (every lookup misses, answers stored: warming) or off; requests may narrow it", defaultValue: "read_write", type: choice },
  { name: "REDIS_URL", field: "redisUrl", description: "Redis for the shared tier (unset: memory tier only)", defaultValue: undefined, secret: true, type: redisUrl, whenUnset: () => null },
  { name: "REDIS_CLUSTER_NODES", field: "redisClusterNodes", description: "Seed nodes of a Redis Cluster, instead of REDIS_URL", defaultValue: undefined, secret: true, type: redisUrlList, whenUnset: () => [] },
  { name: "REDIS_SENTINEL_NODES", field: "redisSentinelNodes", description: "Sentinels to ask for the master, instead of REDIS_URL", defaultValue: undefined, type: hostPortList, whenUnset: () => [] },
  { name: "REDIS_SENTINEL_MASTER", field: "redisSentinelMaster", description: "Name of the master the sentinels watch", defaultValue: "mymaster", type: text(/^[A-Za-z0-9_.-]{1,64}$/, "1 to 64 characters of A-Z a-z 0-9 _ . -") },
  { name: "REDIS_PASSWORD", field: "redisPassword", description: "Password of the Redis nodes behind Sentinel", defaultValue: undefined, secret: true, type: optionalSecret, whenUnset: () => null },
  { name: "CACHE_COHERENCE", field: "coherence", description: "Keep the memory tiers of sidecars sharing a Redis coherent through pub/sub", defaultValue: "true", type: boolean },
  { name: "CACHE_COHERENCE_BOUND_MS", field: "coherenceBoundMs", description: "Longest a memory copy is served after another sidecar changed it, even while pub/sub messages are lost", defaultValue: "2000", type: integer },
  { name: "REDIS_TLS_CA_FILE", field: "redisTlsCa", description: "CA certificate (PEM) that signs Redis's certificate, for rediss:// URLs", defaultValue: undefined, type: pemFile, whenUnset: () => null },
  { name: "REDIS_COMMAND_TIMEOUT_MS", field: "redisCommandTimeoutMs", description: "Upper bound for one Redis command before the memory tier answers alone", defaultValue: "250", type: integer },
  { name: "REDIS_CONNECT_TIMEOUT_MS", field: "redisConnectTimeoutMs", description: "Upper bound for one connection attempt", defaultValue: "2000", type: integer },
  { name: "CACHE_KEY_PREFIX", field: "keyPrefix", description: "Namespace of every cache key; invalidation never leaves it", defaultValue: "ai_cache", type: text(new RegExp(KEY_PREFIX_PATTERN), "1 to 32 characters of A-Z a-z 0-9 _ . -") },
  { name: "CACHE_MEMORY_MAX_ENTRIES", field: "memoryMaxEntries", description: "Memory tier bound on entries (0 disables the tier)", defaultValue: "10000", type: integer },
  { name: "CACHE_MEMORY_MAX_BYTES", field: "memoryMaxBytes", description: "Memory tier bound on bytes (keys and values as stored, UTF-8, plus 96 bytes an entry)", defaultValue: "64MB", type: byteSize },
  { name: "CACHE_LEASE_TTL_MS", field: "leaseTtlMs", description: "Lifetime of a lease handed out by a coalesced lookup, unless the lookup names its own or the holder renews it", defaultValue: "10000", type: integer },
  { name: "CACHE_HIT_FOR_MISS_SECONDS", field: "hitForMissSeconds", description: "How long a lease released as not cacheable sends callers straight on instead of waiting", defaultValue: "30", type: integer },
  { name: "CACHE_STALE_SECONDS", field: "staleSeconds", description: "How long entries are kept past their TTL, stale, for callers that accept stale answers (max_stale_seconds, stale-if-error); 0: not kept", defaultValue: "0", type: integer },
  { name: "CACHE_OPERATION_STALE_SECONDS", field: "operationStaleSeconds", description: "Per-operation stale windows in seconds (proxy operations are named openai.chat.completions and so on)", defaultValue: "", type: ttlMap },
  { name: "CACHE_DEFAULT_TTL_SECONDS", field: "defaultTtlSeconds", description: "TTL of operations without their own", defaultValue: "3600", type: integer },
  { name: "CACHE_OPERATION_TTLS", field: "operationTtls", description: "Per-operation TTLs in seconds", defaultValue: "summarize=7200,sentiment=86400,key_points=7200,questions=3600,qa=3600,translate=14400", type: ttlMap },
  { name: "CACHE_COMPRESSION_THRESHOLD_BYTES", field: "compressionThresholdBytes", description: "Values larger than this are stored zstd-compressed in Redis", defaultValue: "1000", type: integer },
  { name: "CACHE_COMPRESSION_LEVEL", field: "compressionLevel", description: "zstd level for values written to Redis (1 fastest, 19 smallest)", defaultValue: "3", type: integer },
  { name: "CACHE_MAX_TEXT_BYTES", field: "maxTextBytes", description: "Largest accepted text (or question) in a data-plane request", defaultValue: "1MB", type: byteSize },
  { name: "CACHE_MAX_RESPONSE_BYTES", field: "maxResponseBytes", description: "Largest response (as JSON) that may be stored", defaultValue: "4MB", type: byteSize },
  LISTEN_VARIABLES.maxBodyBytes,
  { name: "MAX_INFLIGHT_BODY_BYTES", field: "maxInflightBodyBytes", description: "Bound on the request-body bytes held at once across all requests (at least MAX_BODY_BYTES); a body that would pass it gets 503 with Retry-After", defaultValue: "64MB", type: byteSize },
  { name: "MONITORING_ENABLED", field: "monitoringEnabled", description: "false turns the performance monitor off (metrics answer 503)", defaultValue: "true", type: boolean },
  { name: "MONITOR_RETENTION_HOURS", field: "monitorRetentionHours", description: "Window of the performance statistics", defaultValue: "1", type: positiveNumber },
  LISTEN_VARIABLES.shutdownTimeoutMs,
  { name: "INSTANCE_ID", field: "instanceId", description: "Label of this sidecar in /metrics (default: the hostname)", defaultValue: undefined, type: text(/^[A-Za-z0-9_.:\-]{1,128}$/, "1 to 128 characters of A-Z a-z 0-9 _ . : -"), whenUnset: () => sanitizeInstanceId(hostname()) },
  { name: "PROXY_ENABLED", field: "proxyEnabled", description: "Serve the OpenAI- and Anthropic-compatible caching proxy (/v1, /anthropic, /upstreams/{name})", defaultValue: "true", type: boolean },
  { name: "PROXY_OPENAI_URL", field: "proxyOpenaiUrl", description: "Upstream of /v1/*: any OpenAI-compatible API", defaultValue: "https://api.openai.com/v1", secret: true, type: httpUrl },
  { name: "PROXY_ANTHROPIC_URL", field: "proxyAnthropicUrl", description: "Upstream of /anthropic/*", defaultValue: "https://api.anthropic.com", secret: true, type: httpUrl },
  { name: "PROXY_UPSTREAMS", field: "proxyUpstreams", description: "More OpenAI-compatible upstreams, name=url pairs, each served under /upstreams/{name}", defaultValue: undefined, secret: true, type: upstreamList, whenUnset: () => [] },
  { name: "PROXY_TENANT_SECRET", field: "proxyTenantSecret", description: "HMAC key that mixes upstream credentials into proxy cache keys; set the same value on every sidecar sharing a Redis (unset: random per process)", defaultValue: undefined, secret: true, type: optionalSecret, whenUnset: () => null },
  { name: "PROXY_SHARE_ACROSS_CREDENTIALS", field: "proxyShareAcrossCredentials", description: "Let callers with different upstream credentials share proxy entries", defaultValue: "false", type: boolean },
  { name: "PROXY_SAMPLED_REQUESTS", field: "proxySampledRequests", description: "Requests sampled above temperature 0: cache them, or bypass the cache", defaultValue: "cache", type: choice },
  { name: "PROXY_KEY_IGNORE_FIELDS", field: "proxyKeyIgnoreFields", description: "Top-level request fields left out of proxy keys because they do not change the answer", defaultValue: "user,metadata,store,service_tier,prompt_cache_key,safety_identifier,cache", type: fieldList },
  { name: "PROXY_TIMEOUT_MS", field: "proxyTimeoutMs", description: "Longest wait for an upstream's response headers before a 504", defaultValue: "600000", type: integer },
  { name: "PROXY_COALESCE_WAIT_MS", field: "proxyCoalesceWaitMs", description: "With Redis: how long a proxy miss waits for an identical request that another sidecar is already sending upstream, before sending its own (0: no waiting across sidecars)", defaultValue: "30000", type: integer },
  { name: "PROXY_STALE_IF_ERROR_SECONDS", field: "proxyStaleIfErrorSeconds", description: "When the upstream answers 429 or 5xx, times out or cannot be reached, serve a stale entry at most this far past its TTL (a request's Cache-Control: stale-if-error=N overrides); 0: only on request", defaultValue: "0", type: integer },
  { name: "MODEL_PRICES", field: "modelPrices", description: "Prices per model, so the dashboard shows the money the cache saved (unset: tokens only)", defaultValue: undefined, type: priceList, whenUnset: () => ({}) },
  { name: "PROXY_IDLE_TIMEOUT_MS", field: "proxyIdleTimeoutMs", description: "Longest silence inside an upstream's body before the answer is cut off", defaultValue: "300000", type: integer },
];

/** Every variable, with what it accepts: the single source for parsing, `--help` and the README table. */
export const ENV_VARIABLES: readonly EnvVariable[] = DEFINITIONS.map((definition) => ({
  ...definition,
  ...(typeof definition.type === "function" ? definition.type(ConfigSchema.properties[definition.field]) : definition.type),
}));

function sanitizeInstanceId(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_.:-]/g, "_").slice(0, 128);
  return cleaned === "" ? "sidecar" : cleaned;
}
