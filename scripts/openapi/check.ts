import SwaggerParser from "@apidevtools/swagger-parser";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Checks the OpenAPI document the sidecar serves with two independent tools: swagger-parser's
 * validation (the OpenAPI 3.0 schema, and every $ref resolves) and Redocly's lint with the
 * rules in redocly.yaml (recommended, examples checked against their schemas). Answers every
 * problem found, empty when the document is clean.
 */
export async function checkOpenApiDocument(document: unknown): Promise<string[]> {
  const problems: string[] = [];
  try {
    // validate() dereferences in place: give it a copy.
    await SwaggerParser.validate(structuredClone(document) as never);
  } catch (error) {
    problems.push(`swagger-parser: ${error instanceof Error ? error.message : String(error)}`);
  }
  const dir = mkdtempSync(join(tmpdir(), "openapi-"));
  try {
    const file = join(dir, "openapi.json");
    await Bun.write(file, JSON.stringify(document));
    const root = join(import.meta.dir, "../..");
    // Redocly runs under Node (its CLI's runtime); telemetry and the update check stay off: no request leaves the machine.
    const lint = Bun.spawnSync(["node", join(root, "node_modules/@redocly/cli/bin/cli.js"), "lint", "--config", join(root, "redocly.yaml"), "--format", "json", file], {
      env: { PATH: process.env.PATH ?? "", REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const out = lint.stdout.toString();
    const start = out.indexOf("{");
    if (start < 0) {
      problems.push(`redocly: no report (exit ${lint.exitCode}): ${lint.stderr.toString().slice(-2000)}`);
    } else {
      const report = JSON.parse(out.slice(start)) as { problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[] };
      for (const problem of report.problems) {
        problems.push(`redocly ${problem.severity} ${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer ?? "?"}`);
      }
      if (lint.exitCode !== 0 && report.problems.length === 0) problems.push(`redocly exited ${lint.exitCode}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return problems;
}

/** The document an in-process sidecar serves, built as main.ts builds it. */
export async function servedDocument(): Promise<unknown> {
  const { composeSidecar } = await import("../../src/compose.ts");
  const { loadConfig } = await import("../../src/config/load.ts");
  const { createLogger } = await import("../../src/logging/logger.ts");
  const sidecar = await composeSidecar(loadConfig({ INSTANCE_ID: "openapi-check", API_KEY: "check-key" }), createLogger("error"), { version: "0.0.0-check" });
  try {
    return await (await sidecar.fetch(new Request("http://127.0.0.1:8080/docs/json"))).json();
  } finally {
    await sidecar.close();
  }
}
