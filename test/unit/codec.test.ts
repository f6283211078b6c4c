import { describe, expect, test } from "bun:test";
import { Codec, decodeValue, encodeValue, FORMAT_VERSION, HEADER_BYTES, UnreadableValueError } from "../../src/cache/codec.ts";

const zstd = { thresholdBytes: 1000, codec: "zstd", level: 3 } as const;
const gzip = { thresholdBytes: 1000, codec: "gzip", level: 6 } as const;

const prose = "The model summarised the quarterly report: revenue grew, costs fell, and the outlook improved. ".repeat(40);
const values: [string, unknown][] = [
  ["string", "short"],
  ["number", 42.5],
  ["boolean", false],
  ["null", null],
  ["array", [1, "two", { three: 3 }]],
  ["object", { summary: "hi", tokens: 12 }],
  ["unicode", { text: "naïve café 日本語 🚀", emoji: "👩‍💻" }],
  ["large object", { choices: [{ message: { role: "assistant", content: prose } }] }],
  ["large unicode", "日本語のテキスト。".repeat(500)],
];

describe("value codec", () => {
  for (const policy of [zstd, gzip]) {
    for (const [name, value] of values) {
      test(`${policy.codec}: ${name} round-trips`, () => {
        const json = JSON.stringify(value);
        const encoded = encodeValue(json, 1000, 2000, policy);
        const decoded = decodeValue(encoded.bytes);
        expect(JSON.parse(decoded.json)).toEqual(value);
        expect([decoded.storedAt, decoded.expiresAt]).toEqual([1000, 2000]);
        expect(encoded.bytes[0]).toBe(FORMAT_VERSION);
        const big = Buffer.byteLength(json) > policy.thresholdBytes;
        expect(encoded.codec).toBe(big ? policy.codec : "none");
        expect(decoded.codec).toBe(encoded.codec);
        if (big) expect(encoded.bytes.byteLength).toBeLessThan(Buffer.byteLength(json));
      });
    }
  }

  test("keeps incompressible data uncompressed", () => {
    const random = Buffer.from(crypto.getRandomValues(new Uint8Array(4000))).toString("base64");
    const json = JSON.stringify(random);
    const encoded = encodeValue(json, 0, 1, { thresholdBytes: 100, codec: "zstd", level: 3 });
    expect(encoded.compressNs).toBeGreaterThan(0);
    expect(decodeValue(encoded.bytes).json).toBe(json);
  });

  test("reads plain JSON written by another tool", () => {
    const decoded = decodeValue(Buffer.from('{"legacy":true}'));
    expect(decoded.json).toBe('{"legacy":true}');
    expect(Number.isNaN(decoded.storedAt)).toBe(true);
  });

  test("reports unreadable values instead of misreading them", () => {
    expect(() => decodeValue(Buffer.from([]))).toThrow(UnreadableValueError);
    expect(() => decodeValue(Buffer.from([9, 0, 0]))).toThrow("unknown format version 9");
    expect(() => decodeValue(Buffer.from([FORMAT_VERSION, 0, 1]))).toThrow("truncated header");
    const header = Buffer.alloc(HEADER_BYTES);
    header[0] = FORMAT_VERSION;
    header[1] = 7;
    expect(() => decodeValue(header)).toThrow("unknown codec 7");
    const corrupt = Buffer.concat([header, Buffer.from("not zstd at all")]);
    corrupt[1] = Codec.zstd;
    expect(() => decodeValue(corrupt)).toThrow("corrupt zstd payload");
    expect(() => decodeValue(Buffer.from("not json"))).toThrow("neither a versioned entry nor JSON");
  });
});
