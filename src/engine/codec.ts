/**
 * How a cached value is laid out in Redis. Every value we write starts with a header that says
 * which layout and codec it uses, so entries written by older or newer versions of the sidecar
 * always read back (or are reported as unreadable, never misread):
 *
 *   byte 0      format version (1)
 *   byte 1      codec: 0 none, 1 zstd, 2 gzip
 *   bytes 2-9   stored-at time, ms since the epoch, float64 little-endian
 *   bytes 10-17 expires-at time, ms since the epoch, float64 little-endian
 *   bytes 18-   the response as UTF-8 JSON, compressed with the codec
 *
 * A JSON document never starts with byte 0x01, so plain JSON values written by other tools
 * are recognised and read as uncompressed entries of unknown age.
 */
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 18;

export const Codec = { none: 0, zstd: 1, gzip: 2 } as const;
export type CodecName = keyof typeof Codec;
const CODEC_NAMES: readonly CodecName[] = ["none", "zstd", "gzip"];

export interface CompressionPolicy {
  /** Values whose UTF-8 JSON is larger than this many bytes are compressed. */
  readonly thresholdBytes: number;
  readonly codec: Exclude<CodecName, "none">;
  readonly level: number;
}

export interface EncodedValue {
  readonly bytes: Buffer;
  readonly codec: CodecName;
  /** UTF-8 size of the JSON before compression. */
  readonly originalBytes: number;
  /** Compressed payload size; equals originalBytes when not compressed. */
  readonly payloadBytes: number;
  /** Time spent compressing, in nanoseconds (0 when not compressed). */
  readonly compressNs: number;
}

export interface DecodedValue {
  readonly json: string;
  readonly codec: CodecName;
  /** NaN when the value carried no header (written by another tool). */
  readonly storedAt: number;
  readonly expiresAt: number;
}

export class UnreadableValueError extends Error {
  constructor(reason: string) {
    super(`cached value cannot be read: ${reason}`);
    this.name = "UnreadableValueError";
  }
}

function compress(codec: Exclude<CodecName, "none">, data: Uint8Array<ArrayBuffer>, level: number): Uint8Array {
  return codec === "zstd" ? Bun.zstdCompressSync(data, { level }) : Bun.gzipSync(data, { level: Math.min(level, 9) as 1 });
}

/** Cost: one UTF-8 encode plus, above the threshold, one compression pass. */
export function encodeValue(json: string, storedAt: number, expiresAt: number, policy: CompressionPolicy): EncodedValue {
  const raw = Buffer.from(json, "utf8") as Buffer<ArrayBuffer>;
  let payload: Uint8Array = raw;
  let codec: CodecName = "none";
  let compressNs = 0;
  if (raw.byteLength > policy.thresholdBytes) {
    const started = Bun.nanoseconds();
    const packed = compress(policy.codec, raw, policy.level);
    compressNs = Bun.nanoseconds() - started;
    // Incompressible data (already compressed, random) is kept as it is.
    if (packed.byteLength < raw.byteLength) {
      payload = packed;
      codec = policy.codec;
    }
  }
  const bytes = Buffer.allocUnsafe(HEADER_BYTES + payload.byteLength);
  bytes[0] = FORMAT_VERSION;
  bytes[1] = Codec[codec];
  bytes.writeDoubleLE(storedAt, 2);
  bytes.writeDoubleLE(expiresAt, 10);
  bytes.set(payload, HEADER_BYTES);
  return { bytes, codec, originalBytes: raw.byteLength, payloadBytes: payload.byteLength, compressNs };
}

/** Cost: one decompression (if compressed) and one UTF-8 decode. */
export function decodeValue(bytes: Uint8Array): DecodedValue {
  if (bytes.byteLength === 0) throw new UnreadableValueError("empty value");
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = buffer[0];
  if (version !== FORMAT_VERSION) {
    if (version !== undefined && version >= 0x20) {
      // No header: a plain JSON value (from another writer). It must parse to be trusted.
      const json = buffer.toString("utf8");
      try {
        JSON.parse(json);
      } catch {
        throw new UnreadableValueError("neither a versioned entry nor JSON");
      }
      return { json, codec: "none", storedAt: Number.NaN, expiresAt: Number.NaN };
    }
    throw new UnreadableValueError(`unknown format version ${version}`);
  }
  if (buffer.byteLength < HEADER_BYTES) throw new UnreadableValueError("truncated header");
  const codec = CODEC_NAMES[buffer[1]!];
  if (codec === undefined) throw new UnreadableValueError(`unknown codec ${buffer[1]}`);
  const storedAt = buffer.readDoubleLE(2);
  const expiresAt = buffer.readDoubleLE(10);
  const payload = buffer.subarray(HEADER_BYTES) as Buffer<ArrayBuffer>;
  let raw: Uint8Array;
  try {
    raw = codec === "none" ? payload : codec === "zstd" ? Bun.zstdDecompressSync(payload) : Bun.gunzipSync(payload);
  } catch {
    throw new UnreadableValueError(`corrupt ${codec} payload`);
  }
  const json = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("utf8");
  return { json, codec, storedAt, expiresAt };
}
