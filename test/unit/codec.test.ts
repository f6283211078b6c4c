import { describe, expect, test } from "bun:test";
import { Codec, decodeValue, encodeValue, FORMAT_VERSION, HEADER_BYTES, UnreadableValueError } from "../../src/engine/codec.ts";

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
    // 200 pseudo-random printable characters (seeded, so the outcome never varies): over the
    // threshold, but neither codec can make them smaller (measured: zstd 211 and gzip 217 bytes
    // for these 202).
    let state = 42;
    const noise = JSON.stringify(
      Array.from({ length: 200 }, () => {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        return String.fromCharCode(0x21 + Math.floor((state / 2 ** 32) * 94)).replace(/["\\]/g, "x");
      }).join(""),
    );
    const prose = JSON.stringify("the same few words again and again ".repeat(6).slice(0, 200));
    for (const codec of ["zstd", "gzip"] as const) {
      const policy = { thresholdBytes: 100, codec, level: 3 };
      const kept = encodeValue(noise, 0, 1, policy);
      expect(kept.compressNs).toBeGreaterThan(0); // over the threshold, so compression was tried
      expect([kept.codec, kept.bytes[1]]).toEqual(["none", Codec.none]);
      expect(kept.bytes.byteLength).toBe(HEADER_BYTES + Buffer.byteLength(noise));
      expect(kept.payloadBytes).toBe(kept.originalBytes);
      expect(decodeValue(kept.bytes)).toMatchObject({ json: noise, codec: "none" });
      // The same size of compressible text is compressed: the choice follows the gain, not the size.
      const packed = encodeValue(prose, 0, 1, policy);
      expect(packed.codec).toBe(codec);
      expect(packed.payloadBytes).toBeLessThan(packed.originalBytes);
      expect(decodeValue(packed.bytes).json).toBe(prose);
    }
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
