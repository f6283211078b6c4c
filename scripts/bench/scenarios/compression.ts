import { brotliCompressSync, brotliDecompressSync, constants } from "node:zlib";
import { llmResponse } from "../corpus.ts";
import { median, type Scenario } from "../harness.ts";

const SIZES = [1024, 10 * 1024, 100 * 1024];
const SLICES = 8;

type Bytes = Uint8Array<ArrayBuffer>;
type Codec = { name: string; compress: (data: Bytes) => Bytes; decompress: (data: Bytes) => Uint8Array };

const CODECS: Codec[] = [
  { name: "zstd-3 (chosen)", compress: (d) => Bun.zstdCompressSync(d, { level: 3 }) as Bytes, decompress: (d) => Bun.zstdDecompressSync(d) },
  { name: "zstd-1", compress: (d) => Bun.zstdCompressSync(d, { level: 1 }) as Bytes, decompress: (d) => Bun.zstdDecompressSync(d) },
  { name: "zstd-9", compress: (d) => Bun.zstdCompressSync(d, { level: 9 }) as Bytes, decompress: (d) => Bun.zstdDecompressSync(d) },
  { name: "gzip-6 (reference: zlib 6)", compress: (d) => Bun.gzipSync(d, { level: 6 }) as Bytes, decompress: (d) => Bun.gunzipSync(d) },
  { name: "gzip-1", compress: (d) => Bun.gzipSync(d, { level: 1 }) as Bytes, decompress: (d) => Bun.gunzipSync(d) },
  {
    name: "brotli-4",
    compress: (d) => new Uint8Array(brotliCompressSync(d, { params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT } })),
    decompress: (d) => brotliDecompressSync(d),
  },
];

/** Runs fn repeatedly for at least `ms` and returns MB/s over `bytes` per call. */
function throughput(fn: () => void, bytes: number, ms = 150): number {
  for (let i = 0; i < 5; i++) fn();
  let calls = 0;
  const started = Bun.nanoseconds();
  while (Bun.nanoseconds() - started < ms * 1e6) {
    fn();
    calls++;
  }
  const seconds = (Bun.nanoseconds() - started) / 1e9;
  return (calls * bytes) / seconds / 1e6;
}

export const compression: Scenario = {
  id: "compression",
  title: "Compression of realistic LLM responses: chosen codec vs alternatives",
  async run() {
    const rows: { codec: string; size: number; ratio: number; compressMBs: number; decompressMBs: number }[] = [];
    for (const size of SIZES) {
      const inputs = Array.from({ length: SLICES }, (_, i) => new TextEncoder().encode(JSON.stringify(llmResponse(size, i + 10))) as Bytes);
      for (const codec of CODECS) {
        const ratios = inputs.map((input) => codec.compress(input).byteLength / input.byteLength);
        const compressed = inputs.map((input) => codec.compress(input));
        const total = inputs.reduce((sum, input) => sum + input.byteLength, 0);
        const compressMBs = throughput(() => inputs.forEach((input) => codec.compress(input)), total);
        const decompressMBs = throughput(() => compressed.forEach((data) => codec.decompress(data)), total);
        rows.push({ codec: codec.name, size, ratio: median(ratios), compressMBs, decompressMBs });
      }
    }
    const chosen = rows.filter((row) => row.codec.startsWith("zstd-3"));
    const gzip = rows.filter((row) => row.codec.startsWith("gzip-6"));
    const speedups = chosen.map((row, i) => row.compressMBs / gzip[i]!.compressMBs);
    return {
      id: this.id,
      title: this.title,
      baseline: { label: "gzip-6 compress", unit: "MB/s", samples: gzip.map((r) => r.compressMBs) },
      candidate: { label: "zstd-3 compress", unit: "MB/s", samples: chosen.map((r) => r.compressMBs) },
      ratioOf: "zstd-3 / gzip-6 compress speed (1 KB, 10 KB, 100 KB)",
      ratios: speedups,
      target: "faster than gzip-6 at a ratio within 2 points",
      met: speedups.every((s) => s > 1) && chosen.every((row, i) => row.ratio - gzip[i]!.ratio < 0.02),
      notes: [`${SLICES} slices of Bun's documentation (prose and code) per size, wrapped in chat.completion JSON`],
      extra: { rows },
    };
  },
};
