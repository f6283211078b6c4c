/**
 * Copies uPlot's browser build and stylesheet from node_modules (the pinned devDependency)
 * into src/http/dashboard/assets, gzip -9, where the build embeds them in the binary. Run it
 * after changing uPlot's version in package.json; a test checks the committed copies match.
 *
 *   node_modules/.bin/bun scripts/vendor-uplot.ts           # writes the copies
 *   node_modules/.bin/bun scripts/vendor-uplot.ts --check   # exits 1 when a copy is out of date
 */
import { join } from "node:path";

const UPLOT_FILES = [
  { from: "node_modules/uplot/dist/uPlot.iife.min.js", to: "src/http/dashboard/assets/uplot.iife.min.js.gz" },
  { from: "node_modules/uplot/dist/uPlot.min.css", to: "src/http/dashboard/assets/uplot.min.css.gz" },
] as const;

const root = join(import.meta.dir, "..");

const check = process.argv.includes("--check");
let stale = 0;
for (const { from, to } of UPLOT_FILES) {
  const source = new Uint8Array(await Bun.file(join(root, from)).arrayBuffer());
  const target = Bun.file(join(root, to));
  if (check) {
    const committed = (await target.exists()) ? Bun.gunzipSync(new Uint8Array(await target.arrayBuffer())) : new Uint8Array();
    if (!Buffer.from(committed).equals(source)) {
      console.error(`${to} does not match ${from}: run node_modules/.bin/bun scripts/vendor-uplot.ts`);
      stale++;
    }
    continue;
  }
  // Bun's gzip writes no timestamp, so the output is the same from run to run.
  const gzipped = Bun.gzipSync(source, { level: 9 });
  await Bun.write(target, gzipped);
  console.log(`${to}: ${source.byteLength} bytes, ${gzipped.byteLength} gzipped`);
}
process.exit(stale === 0 ? 0 : 1);
