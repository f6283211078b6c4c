import { describe, expect, test } from "bun:test";
import { Glob } from "bun";
import { dirname, join, relative } from "node:path";

/**
 * The house has two layers: src/engine (the cache: keys, tiers, codec, glob, coherence) and
 * src/http (routes, body reading, auth, error mapping, serving). The engine imports nothing
 * from HTTP or from the configuration; nothing below the composition root imports upward.
 */
const SRC = join(import.meta.dir, "../../src");

async function importsOf(folder: string): Promise<{ file: string; target: string }[]> {
  const found: { file: string; target: string }[] = [];
  for await (const file of new Glob(`${folder}/**/*.ts`).scan(SRC)) {
    const text = await Bun.file(join(SRC, file)).text();
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
      found.push({ file, target: relative(SRC, join(SRC, dirname(file), match[1]!)) });
    }
  }
  return found;
}

const outside = (imports: { file: string; target: string }[], allowed: RegExp) =>
  imports.filter(({ target }) => !allowed.test(target)).map(({ file, target }) => `${file} -> ${target}`);

describe("layers", () => {
  test("the engine imports only itself, the logger and the monitor", async () => {
    const imports = await importsOf("engine");
    expect(imports.length).toBeGreaterThan(10);
    expect(outside(imports, /^(engine\/|logging\/|monitor\/)/)).toEqual([]);
  });

  test("the monitor, the logger and the configuration import no HTTP", async () => {
    for (const folder of ["monitor", "logging", "config"]) {
      expect(outside(await importsOf(folder), /^(engine\/|logging\/|monitor\/|config\/)/)).toEqual([]);
    }
  });

  test("HTTP does not reach the configuration or the composition root", async () => {
    expect(outside(await importsOf("http"), /^(http\/|engine\/|logging\/|monitor\/|assets)/)).toEqual([]);
  });
});
