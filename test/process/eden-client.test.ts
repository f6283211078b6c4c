import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSidecar, type SidecarProcess } from "../support/sidecar.ts";

/**
 * `treaty<App>` from a separate project, as the README's steps say: the app's declarations
 * (npm run build:types), elysia and @elysiajs/eden, and nothing else: no bun-types, no
 * declaration of the embedded assets, no symlinks. The project's packages are resolved from
 * this repository's node_modules through its tsconfig paths, standing in for `npm install`.
 */
const ROOT = join(import.meta.dir, "../..");
const TSC = join(ROOT, "node_modules/.bin/tsc");
const KEY = "eden-client-key-0123456789";
let dir: string;
let sidecar: SidecarProcess;

function tsconfig(file: string) {
  return {
    compilerOptions: {
      target: "ES2022",
      module: "ESNext",
      moduleResolution: "bundler",
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      lib: ["ES2022", "DOM"],
      types: [],
      baseUrl: ".",
      paths: { "ai-response-cache": ["./types/http/app.d.ts"], "*": [join(ROOT, "node_modules/*")] },
    },
    files: [file],
  };
}

function typecheck(file: string): { code: number; output: string } {
  Bun.write(join(dir, "tsconfig.json"), JSON.stringify(tsconfig(file)));
  const run = Bun.spawnSync([TSC, "-p", join(dir, "tsconfig.json")], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  return { code: run.exitCode, output: run.stdout.toString() + run.stderr.toString() };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "eden-consumer-"));
  cpSync(join(import.meta.dir, "../fixtures/eden-consumer"), dir, { recursive: true });
  // The declarations, as `npm run build:types` writes them, into the consumer's folder.
  const build = Bun.spawnSync([TSC, "-p", join(ROOT, "tsconfig.types.json"), "--outDir", join(dir, "types")], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if (build.exitCode !== 0) throw new Error(`build:types failed: ${build.stdout.toString()}${build.stderr.toString()}`);
  sidecar = await startSidecar({ API_KEY: KEY });
}, 60_000);

afterAll(async () => {
  await sidecar?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("a typed Eden client in another project", () => {
  test("type-checks with the declarations alone", async () => {
    const { code, output } = typecheck("client.ts");
    expect(output).toBe("");
    expect(code).toBe(0);
  }, 60_000);

  test("the types are real: wrong bodies and fields are refused", () => {
    const { code, output } = typecheck("mistakes.ts");
    expect(code).not.toBe(0);
    const lines = output.trim().split("\n").filter((line) => line.includes("error TS"));
    expect(lines.map((line) => line.match(/^mistakes\.ts\((\d+),/)?.[1])).toEqual(["6", "7", "8", "10"]);
  }, 60_000);

  test("stores and looks up through treaty<App> against the running service", async () => {
    const run = Bun.spawn([process.execPath, "client.ts", sidecar.url], { cwd: dir, env: { PATH: process.env.PATH ?? "", CACHE_API_KEY: KEY }, stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(run.stdout).text(), new Response(run.stderr).text(), run.exited]);
    expect(err).toBe("");
    expect(code).toBe(0);
    const result = JSON.parse(out) as { key: string; hit: boolean; answer: unknown; memory: string };
    expect(result).toMatchObject({ hit: true, answer: { summary: "short" }, memory: "normal" });
    expect(result.key).toStartWith("ai_cache:op:summarize|txt:");
  }, 60_000);
});
