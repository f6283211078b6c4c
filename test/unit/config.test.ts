import { describe, expect, test } from "bun:test";
import { ConfigError, describeConfig, loadConfig } from "../../src/config/load.ts";
import { ENV_VARIABLES } from "../../src/config/variables.ts";

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

  test("reads every documented variable", () => {
    const config = loadConfig({
      PORT: "9000",
      HOST: "0.0.0.0",
      ENVIRONMENT: "production",
      LOG_LEVEL: "warn",
      API_KEY: "k1",
      ADDITIONAL_API_KEYS: "k2, k3,,k1",
      REDIS_URL: "redis://:secret@localhost:6380/2",
      CACHE_MEMORY_MAX_BYTES: "16MB",
      CACHE_OPERATION_TTLS: "summarize=10,qa=20",
      MONITORING_ENABLED: "false",
      MONITOR_RETENTION_HOURS: "0.5",
    });
    expect(config.apiKeys).toEqual(["k1", "k2", "k3"]);
    expect(config.memoryMaxBytes).toBe(16 * 1024 * 1024);
    expect(config.operationTtls).toEqual({ summarize: 10, qa: 20 });
    expect(config.monitoringEnabled).toBe(false);
    expect(config.monitorRetentionHours).toBe(0.5);
    const described = JSON.stringify(describeConfig(config));
    expect(described).not.toContain("secret");
    expect(described).not.toContain("k1");
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

  test("a bad secret is never echoed", () => {
    expect(() => loadConfig({ REDIS_URL: "ftp://user:hunter2@host" })).toThrow(ConfigError);
    try {
      loadConfig({ REDIS_URL: "::hunter2::" });
    } catch (error) {
      expect((error as Error).message).not.toContain("hunter2");
    }
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
