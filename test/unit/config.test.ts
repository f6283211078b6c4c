import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { LISTEN_VARIABLES, loadListenConfig } from "../../src/config/listen.ts";
import { ConfigError, describeConfig, loadConfig } from "../../src/config/load.ts";
import type { Config } from "../../src/config/model.ts";
import { ENV_VARIABLES } from "../../src/config/variables.ts";
import { verifyConfig } from "../../src/config/verify.ts";

describe("configuration", () => {
  test("an empty environment gives the memory-only development defaults", () => {
    const config = loadConfig({});
    expect(config.port).toBe(8080);
    expect(config.host).toBe("127.0.0.1");
    expect(config.redisUrl).toBeNull();
    expect(config.environment).toBe("development");
    expect(config.apiKeys).toEqual([]);
    expect(config.operationTtls.summarize).toBe(7200);
    expect(config.memoryMaxBytes).toBe(64 * 1024 * 1024);
  });

  test("a configuration outside its schema is refused as a bug in the parsers, naming the field", () => {
    expect(() => verifyConfig({ ...loadConfig({}), port: -1 })).toThrow(ConfigError);
    expect(() => verifyConfig({ ...loadConfig({}), port: -1 })).toThrow("/port");
    expect(() => verifyConfig(loadConfig({}))).not.toThrow();
  });

  test("reads every documented variable", () => {
    const dir = mkdtempSync(join(tmpdir(), "config-test-"));
    const pem = join(dir, "ca.crt");
    writeFileSync(pem, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    try {
      // One non-default value per variable, each read on its own (some exclude each other).
      const cases: [Record<string, string>, keyof Config, unknown][] = [
        [{ PORT: "9000" }, "port", 9000],
        [{ HOST: "0.0.0.0" }, "host", "0.0.0.0"],
        [{ ENVIRONMENT: "production", API_KEY: "k1" }, "environment", "production"],
        [{ LOG_LEVEL: "warn" }, "logLevel", "warn"],
        [{ API_KEY: " k1 " }, "apiKeys", ["k1"]],
        [{ API_KEY: "k1", ADDITIONAL_API_KEYS: "k2, k3,,k1" }, "apiKeys", ["k1", "k2", "k3"]],
        [{ REDIS_URL: "redis://:secret@localhost:6380/2" }, "redisUrl", "redis://:secret@localhost:6380/2"],
        [{ REDIS_CLUSTER_NODES: "redis://a:1, redis://b:2" }, "redisClusterNodes", ["redis://a:1", "redis://b:2"]],
        [{ REDIS_SENTINEL_NODES: "[::1]:26379, 10.0.0.2:26380" }, "redisSentinelNodes", [{ host: "::1", port: 26379 }, { host: "10.0.0.2", port: 26380 }]],
        [{ REDIS_SENTINEL_MASTER: "primary.1" }, "redisSentinelMaster", "primary.1"],
        [{ REDIS_PASSWORD: "sentinel-pass" }, "redisPassword", "sentinel-pass"],
        [{ CACHE_COHERENCE: "no" }, "coherence", false],
        [{ CACHE_COHERENCE_BOUND_MS: "500" }, "coherenceBoundMs", 500],
        [{ REDIS_TLS_CA_FILE: pem }, "redisTlsCa", readFileSync(pem, "utf8")],
        [{ REDIS_COMMAND_TIMEOUT_MS: "75" }, "redisCommandTimeoutMs", 75],
        [{ REDIS_CONNECT_TIMEOUT_MS: "900" }, "redisConnectTimeoutMs", 900],
        [{ CACHE_KEY_PREFIX: "app.cache-1" }, "keyPrefix", "app.cache-1"],
        [{ CACHE_MEMORY_MAX_ENTRIES: "0" }, "memoryMaxEntries", 0],
        [{ CACHE_MEMORY_MAX_BYTES: "16MB" }, "memoryMaxBytes", 16 * 1024 * 1024],
        [{ CACHE_DEFAULT_TTL_SECONDS: "60" }, "defaultTtlSeconds", 60],
        [{ CACHE_LEASE_TTL_MS: "2500" }, "leaseTtlMs", 2500],
        [{ CACHE_STALE_SECONDS: "600" }, "staleSeconds", 600],
        [{ CACHE_OPERATION_STALE_SECONDS: "summarize=60" }, "operationStaleSeconds", { summarize: 60 }],
        [{ PROXY_STALE_IF_ERROR_SECONDS: "300" }, "proxyStaleIfErrorSeconds", 300],
        [{ CACHE_HIT_FOR_MISS_SECONDS: "5" }, "hitForMissSeconds", 5],
        [{ CACHE_OPERATION_TTLS: "summarize=10,qa=20" }, "operationTtls", { summarize: 10, qa: 20 }],
        [{ CACHE_COMPRESSION_THRESHOLD_BYTES: "0" }, "compressionThresholdBytes", 0],
        [{ CACHE_COMPRESSION_LEVEL: "19" }, "compressionLevel", 19],
        [{ CACHE_MAX_TEXT_BYTES: "512KB" }, "maxTextBytes", 512 * 1024],
        [{ CACHE_MAX_RESPONSE_BYTES: "65536" }, "maxResponseBytes", 65536],
        [{ MAX_BODY_BYTES: "16MB" }, "maxBodyBytes", 16 * 1024 * 1024],
        [{ MAX_INFLIGHT_BODY_BYTES: "32MB" }, "maxInflightBodyBytes", 32 * 1024 * 1024],
        [{ MONITORING_ENABLED: "false" }, "monitoringEnabled", false],
        [{ MONITOR_RETENTION_HOURS: "0.5" }, "monitorRetentionHours", 0.5],
        [{ SHUTDOWN_TIMEOUT_MS: "1500" }, "shutdownTimeoutMs", 1500],
        [{ INSTANCE_ID: "pod-7:a" }, "instanceId", "pod-7:a"],
        [{ PROXY_ENABLED: "off" }, "proxyEnabled", false],
        [{ PROXY_OPENAI_URL: "http://127.0.0.1:11434/v1/" }, "proxyOpenaiUrl", "http://127.0.0.1:11434/v1"],
        [{ PROXY_ANTHROPIC_URL: "https://llm-gw.internal:8443/anthropic" }, "proxyAnthropicUrl", "https://llm-gw.internal:8443/anthropic"],
        [{ PROXY_UPSTREAMS: "groq=https://api.groq.com/openai/v1, local=http://127.0.0.1:8000/v1" }, "proxyUpstreams", [{ name: "groq", url: "https://api.groq.com/openai/v1" }, { name: "local", url: "http://127.0.0.1:8000/v1" }]],
        [{ PROXY_TENANT_SECRET: "s3cret" }, "proxyTenantSecret", "s3cret"],
        [{ PROXY_SHARE_ACROSS_CREDENTIALS: "true" }, "proxyShareAcrossCredentials", true],
        [{ PROXY_SAMPLED_REQUESTS: "bypass" }, "proxySampledRequests", "bypass"],
        [{ PROXY_KEY_IGNORE_FIELDS: "user, user,metadata" }, "proxyKeyIgnoreFields", ["user", "metadata"]],
        [{ PROXY_TIMEOUT_MS: "1000" }, "proxyTimeoutMs", 1000],
        [{ PROXY_IDLE_TIMEOUT_MS: "2000" }, "proxyIdleTimeoutMs", 2000],
        [{ PROXY_COALESCE_WAIT_MS: "0" }, "proxyCoalesceWaitMs", 0],
        [
          { SCOPED_API_KEYS: "read:k1, data@tenant-a:k2:with:colons,invalidate+read+read:k3" },
          "scopedApiKeys",
          [
            { key: "k1", scopes: ["read"], namespace: null },
            { key: "k2:with:colons", scopes: ["data"], namespace: "tenant-a" },
            { key: "k3", scopes: ["invalidate", "read"], namespace: null },
          ],
        ],
        [{ CACHE_MODE: "read_only" }, "cacheMode", "read_only"],
        [
          { MODEL_PRICES: "gpt-4o-mini=0.15/0.6, meta/llama-3:free=0/0,claude=3/15" },
          "modelPrices",
          { "gpt-4o-mini": { input: 0.15, output: 0.6 }, "meta/llama-3:free": { input: 0, output: 0 }, claude: { input: 3, output: 15 } },
        ],
      ];
      // A variable added to the documented list needs a case here.
      expect(new Set(cases.flatMap(([env]) => Object.keys(env)))).toEqual(new Set(ENV_VARIABLES.map((variable) => variable.name)));
      const defaults = loadConfig({ INSTANCE_ID: "default-id" });
      for (const [env, field, expected] of cases) {
        const config = loadConfig(env);
        expect([field, config[field] as unknown]).toEqual([field, expected]);
        // What the parsers give satisfies the schema (main.ts checks this again while the app loads).
        verifyConfig(config);
        expect([field, config[field] as unknown]).not.toEqual([field, defaults[field]]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the start-up description of the configuration names no secret", () => {
    const config = loadConfig({
      API_KEY: "k1-secret-key",
      ADDITIONAL_API_KEYS: "k2-secret-key",
      REDIS_URL: "redis://:redis-secret@localhost:6380/2",
      PROXY_TENANT_SECRET: "tenant-secret",
      PROXY_OPENAI_URL: "https://gw-user:gw-secret@gateway.internal/v1",
      PROXY_UPSTREAMS: "local=http://local-user:local-secret@127.0.0.1:8000/v1",
      SCOPED_API_KEYS: "read:k3-secret-key,data+read@tenant-a:k4-secret-key",
    });
    const described = JSON.stringify(describeConfig(config));
    for (const secret of ["k1-secret-key", "k2-secret-key", "k3-secret-key", "k4-secret-key", "redis-secret", "tenant-secret", "gw-secret", "gw-user", "local-secret"]) expect(described).not.toContain(secret);
    expect(described).toContain("localhost:6380");
    expect(described).toContain("gateway.internal/v1");
    expect(described).toContain("127.0.0.1:8000/v1");
    expect(describeConfig(config).scopedApiKeys).toEqual(["read", "data+read@tenant-a"]);
  });

  test("a production sidecar may run on scoped keys alone", () => {
    expect(loadConfig({ ENVIRONMENT: "production", SCOPED_API_KEYS: "admin:k1" }).scopedApiKeys).toHaveLength(1);
  });

  const bad: [Record<string, string>, string, RegExp][] = [
    [{ PORT: "abc" }, "PORT", /"abc" is not an integer; accepted: an integer from 0 to 65535/],
    [{ PORT: "70000" }, "PORT", /out of range/],
    [{ ENVIRONMENT: "staging" }, "ENVIRONMENT", /accepted: development \| production/],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL", /debug \| info \| warn \| error/],
    [{ REDIS_URL: "http://x" }, "REDIS_URL", /scheme "http:" is not supported/],
    [{ REDIS_URL: "not a url with :pass@" }, "REDIS_URL", /not a URL/],
    [{ CACHE_MEMORY_MAX_BYTES: "lots" }, "CACHE_MEMORY_MAX_BYTES", /is not a size/],
    [{ CACHE_OPERATION_TTLS: "sum|x=5" }, "CACHE_OPERATION_TTLS", /not a valid operation name/],
    [{ CACHE_OPERATION_TTLS: "sum=-5" }, "CACHE_OPERATION_TTLS", /no positive whole number/],
    [{ MONITORING_ENABLED: "maybe" }, "MONITORING_ENABLED", /is not a boolean/],
    [{ MONITOR_RETENTION_HOURS: "0" }, "MONITOR_RETENTION_HOURS", /out of range/],
    [{ CACHE_KEY_PREFIX: "a:b" }, "CACHE_KEY_PREFIX", /not valid/],
    [{ ENVIRONMENT: "production" }, "API_KEY", /no API key is configured in production/],
    [{ MAX_BODY_BYTES: "100" }, "MAX_BODY_BYTES", /below CACHE_MAX_TEXT_BYTES/],
    [{ PROXY_OPENAI_URL: "ftp://example.com" }, "PROXY_OPENAI_URL", /scheme "ftp:" is not supported/],
    [{ PROXY_ANTHROPIC_URL: "not a url" }, "PROXY_ANTHROPIC_URL", /not a URL/],
    [{ PROXY_OPENAI_URL: "https://example.com/v1?x=1" }, "PROXY_OPENAI_URL", /query or fragment/],
    [{ PROXY_UPSTREAMS: "Groq=https://api.groq.com" }, "PROXY_UPSTREAMS", /does not start with a name/],
    [{ PROXY_UPSTREAMS: "a=http://x, a=http://y" }, "PROXY_UPSTREAMS", /"a" is named twice/],
    [{ PROXY_UPSTREAMS: "a" }, "PROXY_UPSTREAMS", /does not start with a name/],
    [{ PROXY_SAMPLED_REQUESTS: "sometimes" }, "PROXY_SAMPLED_REQUESTS", /not a valid choice/],
    [{ PROXY_TIMEOUT_MS: "0" }, "PROXY_TIMEOUT_MS", /out of range/],
    [{ CACHE_LEASE_TTL_MS: "50" }, "CACHE_LEASE_TTL_MS", /out of range/],
    [{ CACHE_HIT_FOR_MISS_SECONDS: "soon" }, "CACHE_HIT_FOR_MISS_SECONDS", /is not an integer/],
    [{ MODEL_PRICES: "gpt-4o=2.5" }, "MODEL_PRICES", /price of "gpt-4o" is not input\/output/],
    [{ MODEL_PRICES: "gpt-4o=-1/2" }, "MODEL_PRICES", /price of "gpt-4o" is not input\/output/],
    [{ MODEL_PRICES: "gpt-4o=1/2/3" }, "MODEL_PRICES", /price of "gpt-4o" is not input\/output/],
    [{ MODEL_PRICES: "=1/2" }, "MODEL_PRICES", /does not start with a model name/],
    [{ MODEL_PRICES: "gpt-4o" }, "MODEL_PRICES", /does not start with a model name/],
    [{ MODEL_PRICES: "a=1/2,a=3/4" }, "MODEL_PRICES", /"a" is priced twice/],
    [{ SCOPED_API_KEYS: "read" }, "SCOPED_API_KEYS", /item 1 has no ":" followed by a key/],
    [{ SCOPED_API_KEYS: "read:k1,data:" }, "SCOPED_API_KEYS", /item 2 has no ":" followed by a key/],
    [{ SCOPED_API_KEYS: "write:k1" }, "SCOPED_API_KEYS", /unknown scope "write"/],
    [{ SCOPED_API_KEYS: "read+:k1" }, "SCOPED_API_KEYS", /unknown scope ""/],
    [{ SCOPED_API_KEYS: "data@ten ant:k1" }, "SCOPED_API_KEYS", /item 1 has a namespace that is not/],
    [{ SCOPED_API_KEYS: "data@a@b:k1" }, "SCOPED_API_KEYS", /item 1 has a namespace that is not/],
    [{ CACHE_MODE: "write_mostly" }, "CACHE_MODE", /read_write \| read_only \| write_only \| off/],
  ];
  for (const [env, variable, message] of bad) {
    test(`${JSON.stringify(env)} is refused naming ${variable}`, () => {
      let caught: unknown;
      try {
        loadConfig(env);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).variable).toBe(variable);
      expect((caught as ConfigError).message).toMatch(message);
    });
  }

  test("a bad value that carries a secret is refused without echoing it", () => {
    for (const env of [{ REDIS_URL: "ftp://user:hunter2@host" }, { REDIS_URL: "::hunter2::" }, { REDIS_CLUSTER_NODES: "redis://:hunter2@a:1,http://:hunter2@b:2" }]) {
      let caught: unknown;
      try {
        loadConfig(env);
      } catch (error) {
        caught = error;
      }
      // Refused (a value that stopped throwing would fail here), and the message keeps the secret out.
      expect(caught).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).message).not.toContain("hunter2");
    }
  });

  test("one Redis topology at a time", () => {
    expect(() => loadConfig({ REDIS_URL: "redis://x:1", REDIS_SENTINEL_NODES: "x:26379" })).toThrow(/more than one of REDIS_URL/);
    expect(() => loadConfig({ REDIS_URL: "redis://x:1", REDIS_CLUSTER_NODES: "redis://y:1" })).toThrow(/more than one of REDIS_URL/);
    expect(() => loadConfig({ REDIS_SENTINEL_NODES: "nohost" })).toThrow(/REDIS_SENTINEL_NODES: "nohost" is not host:port/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: "redis://a:1,http://b:2" })).toThrow(/REDIS_CLUSTER_NODES: scheme "http:"/);
  });

  test("what listening needs is read before the rest exactly as the whole configuration reads it", () => {
    const outcome = (read: () => unknown) => {
      try {
        return read();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).message;
      }
    };
    const values: Record<string, string[]> = {
      PORT: ["0", " 9000 ", "65535", "65536", "-1", "+80", "8e3", "", "eighty", "0x50", "٣"],
      HOST: ["0.0.0.0", " ::1 ", "[::1]", "my-host.local", "", "a b", "host_name", "10.0.0.1/24", "ünï"],
      LOG_LEVEL: ["WARN", " debug ", "loud", ""],
      MAX_BODY_BYTES: ["65536", "16MB", "16 mb", "16\tKiB", " 1gb ", "512MB", "513MB", "0", "1 B", "lots", "MB", "12QB", "1.5MB", "-1", "16M B"],
      SHUTDOWN_TIMEOUT_MS: ["1", "600000", "600001", "0", "1.5", " 42 "],
    };
    // Room for any body limit, so the whole configuration's checks across variables pass.
    const roomy = { CACHE_MAX_TEXT_BYTES: "1", CACHE_MAX_RESPONSE_BYTES: "1", MAX_INFLIGHT_BODY_BYTES: "64GB" };
    for (const [name, raws] of Object.entries(values)) {
      for (const raw of raws) {
        const env = { ...roomy, [name]: raw };
        const whole = outcome(() => {
          const config = loadConfig(env);
          verifyConfig(config);
          const { port, host, logLevel, maxBodyBytes, shutdownTimeoutMs } = config;
          return { port, host, logLevel, maxBodyBytes, shutdownTimeoutMs };
        });
        expect([name, raw, outcome(() => ({ ...loadListenConfig(env) }))]).toEqual([name, raw, whole]);
      }
    }
    expect(loadListenConfig({})).toEqual({ port: 8080, host: "127.0.0.1", logLevel: "info", maxBodyBytes: 8 * 1024 * 1024, shutdownTimeoutMs: 10_000 });
  });

  test("the loops that read integers, sizes and hosts accept exactly what the patterns they replace accept", () => {
    const port = LISTEN_VARIABLES.port.type;
    const size = LISTEN_VARIABLES.maxBodyBytes.type;
    const host = LISTEN_VARIABLES.host.type;
    const accepts = (parse: (raw: string, name: string) => unknown, raw: string) => {
      try {
        parse(raw, "X");
        return true;
      } catch (error) {
        // Out of range is a later check: the text itself was read.
        return (error as ConfigError).problem.endsWith("out of range");
      }
    };
    const text = fc.string({ unit: fc.constantFrom(..."0123456789-+ \t.:[]_ kKmMbBgGiIzZé٣\u00a0") , maxLength: 8 });
    fc.assert(
      fc.property(text, (raw) => {
        expect([raw, accepts(port.parse, raw)]).toEqual([raw, /^-?\d+$/.test(raw.trim())]);
        const sized = /^(\d+)\s*([a-z]*)$/i.exec(raw.trim());
        const known = sized !== null && ["", "b", "kb", "kib", "mb", "mib", "gb", "gib"].includes(sized[2]!.toLowerCase());
        expect([raw, accepts(size.parse, raw)]).toEqual([raw, known]);
        expect([raw, accepts(host.parse, raw)]).toEqual([raw, /^[A-Za-z0-9.:\-[\]]+$/.test(raw.trim())]);
      }),
      { numRuns: 5000 },
    );
  });

  test("every variable says what it does and what it accepts", () => {
    for (const variable of ENV_VARIABLES) {
      expect(variable.description.length).toBeGreaterThan(10);
      expect(variable.accepted.length).toBeGreaterThan(3);
    }
  });
});

describe("documentation", () => {
  test("the README's configuration table lists every variable", async () => {
    const readme = await Bun.file(new URL("../../README.md", import.meta.url)).text();
    for (const variable of ENV_VARIABLES) expect(readme).toContain(`| \`${variable.name}\` |`);
  });
});
