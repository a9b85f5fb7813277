/**
 * A minimal protocol-buffers wire-format reader: enough to walk the messages of the ONNX schema
 * (varints, 32- and 64-bit fixed fields, length-delimited bytes, strings, sub-messages and packed
 * repeated numbers). Nothing is copied: bytes and sub-messages are views into the file's buffer, so
 * a 500 MB model's weights stay where the file put them until they are decoded one at a time.
 *
 * A truncated or corrupt buffer throws a ProtoError naming the byte offset and what was being read;
 * the ONNX reader turns it into an error naming the file.
 */
import { CnnError } from '../../errors.js';

/** The buffer does not hold a valid message (truncated, or not protobuf at all). */
export class ProtoError extends CnnError {
  constructor(
    message: string,
    /** Offset into the file where reading failed. */
    readonly offset: number,
    /** 'corrupt': not a valid message; 'limit': valid, but past a limit set against hostile files. */
    readonly kind: 'corrupt' | 'limit' = 'corrupt',
  ) {
    super('protobuf', message);
    this.name = 'ProtoError';
  }
}

/** Wire types: how a field's value is laid out after its tag. */
export const Wire = { Varint: 0, Fixed64: 1, Bytes: 2, Fixed32: 5 } as const;
export type Wire = (typeof Wire)[keyof typeof Wire];

const TWO_32 = 2 ** 32;
const decoder = new TextDecoder('utf-8', { fatal: false });

export class ProtoReader {
  /** The read position (absolute, in `bytes`). */
  pos: number;
  private readonly view: DataView;

  /**
   * Reads `bytes[start, end)`. `base` is the offset of `bytes` in the file, for error messages only.
   */
  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.byteLength,
    private readonly base = 0,
  ) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** The next field's number and wire type. */
  tag(): { field: number; wire: number } {
    const at = this.pos;
    const t = this.varint();
    const field = Math.floor(t / 8);
    const wire = t % 8;
    if (field === 0) this.fail(at, 'a field number of 0');
    return { field, wire };
  }

  /**
   * An unsigned varint as a number, exact below 2^53. Values with bit 63 set (negative int64s,
   * written as ten bytes of two's complement) come back negative through `int64()`.
   */
  varint(): number {
    const { lo, hi } = this.varint64();
    return hi * TWO_32 + lo;
  }

  /** A varint read as a signed int64 (two's complement), exact within ±2^53. */
  int64(): number {
    const { lo, hi } = this.varint64();
    return hi >= 0x80000000 ? (hi - TWO_32) * TWO_32 + lo : hi * TWO_32 + lo;
  }

  /** A varint read as int32 (as protobuf's int32 and enums: the low 32 bits, signed). */
  int32(): number {
    return this.varint64().lo | 0;
  }

  bool(): boolean {
    return this.varint() !== 0;
  }

  float(): number {
    this.need(4, 'a 32-bit float');
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  double(): number {
    this.need(8, 'a 64-bit float');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A length-delimited field's bytes: a view, not a copy. */
  bytesField(): Uint8Array {
    const len = this.length();
    const out = this.bytes.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  string(): string {
    return decoder.decode(this.bytesField());
  }

  /** A reader over a length-delimited sub-message. */
  message(): ProtoReader {
    const len = this.length();
    const r = new ProtoReader(this.bytes, this.pos, this.pos + len, this.base);
    this.pos += len;
    return r;
  }

  /** Skips a field of the given wire type. */
  skip(wire: number): void {
    const at = this.pos;
    switch (wire) {
      case Wire.Varint:
        this.varint64();
        return;
      case Wire.Fixed64:
        this.need(8, 'a 64-bit field');
        this.pos += 8;
        return;
      case Wire.Bytes: {
        // The length is read (moving past its varint) before the skip is added.
        const len = this.length();
        this.pos += len;
        return;
      }
      case Wire.Fixed32:
        this.need(4, 'a 32-bit field');
        this.pos += 4;
        return;
      default:
        this.fail(at, `the unknown wire type ${wire}`);
    }
  }

  /**
   * A repeated number field, packed (one length-delimited run) or not (one value per tag): `read`
   * reads one value; `out` collects them.
   */
  repeated(wire: number, elementWire: Wire, read: () => number, out: number[]): void {
    if (wire === Wire.Bytes && elementWire !== Wire.Bytes) {
      const len = this.length();
      const stop = this.pos + len;
      while (this.pos < stop) out.push(read());
      if (this.pos !== stop) this.fail(stop, 'a packed field whose values overrun its length');
    } else if (wire === elementWire) {
      out.push(read());
    } else {
      this.fail(this.pos, `wire type ${wire} for a field of wire type ${elementWire}`);
    }
  }

  /** Fails unless the field has the expected wire type. */
  expect(wire: number, want: Wire, what: string): void {
    if (wire !== want) this.fail(this.pos, `wire type ${wire} for ${what} (expected ${want})`);
  }

  /** The absolute file offset of the read position. */
  get offset(): number {
    return this.base + this.pos;
  }

  private varint64(): { lo: number; hi: number } {
    const at = this.pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail(at, 'a varint that runs past the end (the file is truncated)');
      const b = this.bytes[this.pos++]!;
      const bits = b & 0x7f;
      if (i < 4) lo += bits * 2 ** (7 * i);
      else if (i === 4) {
        lo += (bits & 0x0f) * 2 ** 28;
        hi += bits >> 4;
      } else hi += bits * 2 ** (7 * i - 32);
      if (b < 0x80) return { lo, hi: hi % TWO_32 };
    }
    return this.fail(at, 'a varint longer than 10 bytes');
  }

  private length(): number {
    const at = this.pos;
    const len = this.varint();
    if (len > this.end - this.pos) this.fail(at, `a field of ${len} bytes where only ${this.end - this.pos} remain (the file is truncated)`);
    return len;
  }

  private need(n: number, what: string): void {
    if (this.end - this.pos < n) this.fail(this.pos, `${what} that runs past the end (the file is truncated)`);
  }

  private fail(at: number, what: string): never {
    throw new ProtoError(`${what} at byte ${this.base + at}`, this.base + at);
  }
}
