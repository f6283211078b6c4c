/**
 * Copies uPlot's browser build and stylesheet from node_modules (the pinned devDependency)
 * into src/http/dashboard/assets, gzip -9, where the build embeds them in the binary. Run it
 * after changing uPlot's version in package.json; a test checks the committed copies match.
 *
 *   node_modules/.bin/bun scripts/vendor-uplot.ts
 */
import { join } from "node:path";

export const UPLOT_FILES = [
  { from: "node_modules/uplot/dist/uPlot.iife.min.js", to: "src/http/dashboard/assets/uplot.iife.min.js.gz" },
  { from: "node_modules/uplot/dist/uPlot.min.css", to: "src/http/dashboard/assets/uplot.min.css.gz" },
] as const;

const root = join(import.meta.dir, "..");

if (import.meta.main) {
  for (const { from, to } of UPLOT_FILES) {
    const source = new Uint8Array(await Bun.file(join(root, from)).arrayBuffer());
    // mtime 0 in the gzip header keeps the output identical from run to run.
    const gzipped = Bun.gzipSync(source, { level: 9 });
    await Bun.write(join(root, to), gzipped);
    console.log(`${to}: ${source.byteLength} bytes, ${gzipped.byteLength} gzipped`);
  }
}
