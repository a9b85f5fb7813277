/**
 * A minimal protocol-buffers wire-format writer, the counterpart of protobuf.ts: varints (int64
 * included, negative ones as ten bytes of two's complement), 32-bit floats, length-delimited bytes,
 * strings, sub-messages and packed repeated numbers.
 *
 * A message is kept as a list of chunks and its total length, so nesting a sub-message (which needs
 * its length up front) appends the chunks instead of copying them: a weight's bytes are copied once,
 * by `finish`, however deep the message that holds them.
 */
import { Wire } from './protobuf.js';
import { fail } from '../../errors.js';

const encoder = new TextEncoder();

export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private total = 0;
  /** Small writes (tags, varints, floats) collect here before becoming a chunk. */
  private scratch = new Uint8Array(256);
  private used = 0;

  /** The bytes written so far. */
  get length(): number {
    return this.total + this.used;
  }

  /** An unsigned or signed integer as a varint (a negative one as int64's ten bytes). */
  varint(field: number, value: number): this {
    this.tag(field, Wire.Varint);
    this.rawVarint(value);
    return this;
  }

  bool(field: number, value: boolean): this {
    return this.varint(field, value ? 1 : 0);
  }

  float(field: number, value: number): this {
    this.tag(field, Wire.Fixed32);
    this.room(4);
    new DataView(this.scratch.buffer).setFloat32(this.used, value, true);
    this.used += 4;
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, encoder.encode(value));
  }

  /** A length-delimited field holding `value` (not copied until `finish`). */
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, Wire.Bytes);
    this.rawVarint(value.byteLength);
    this.chunk(value);
    return this;
  }

  /** A sub-message: its chunks are appended, not copied. */
  message(field: number, m: ProtoWriter): this {
    this.tag(field, Wire.Bytes);
    this.rawVarint(m.length);
    m.flush();
    for (const c of m.chunks) this.chunk(c);
    return this;
  }

  /** A packed repeated varint field (int64s, int32s, enums). */
  packedVarints(field: number, values: readonly number[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.rawVarint(v);
    this.tag(field, Wire.Bytes);
    this.rawVarint(inner.length);
    inner.flush();
    for (const c of inner.chunks) this.chunk(c);
    return this;
  }

  /** A packed repeated float field. */
  packedFloats(field: number, values: readonly number[]): this {
    const data = new Uint8Array(values.length * 4);
    const view = new DataView(data.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    return this.bytes(field, data);
  }

  /** The whole message as one buffer. */
  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.total);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  }

  private tag(field: number, wire: number): void {
    this.rawVarint(field * 8 + wire);
  }

  private rawVarint(value: number): void {
    if (!Number.isSafeInteger(value)) fail('saveOnnxModel', `cannot write ${value} as a protobuf varint`);
    this.room(10);
    if (value < 0) {
      // int64 two's complement: always ten bytes.
      let v = BigInt.asUintN(64, BigInt(value));
      for (let i = 0; i < 9; i++) {
        this.scratch[this.used++] = Number(v & 0x7fn) | 0x80;
        v >>= 7n;
      }
      this.scratch[this.used++] = Number(v);
      return;
    }
    let v = value;
    while (v >= 0x80) {
      this.scratch[this.used++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.scratch[this.used++] = v;
  }

  private room(n: number): void {
    if (this.used + n > this.scratch.length) this.flush();
  }

  private chunk(c: Uint8Array): void {
    this.flush();
    if (c.byteLength === 0) return;
    this.chunks.push(c);
    this.total += c.byteLength;
  }

  private flush(): void {
    if (this.used === 0) return;
    const c = this.scratch.slice(0, this.used);
    this.chunks.push(c);
    this.total += c.byteLength;
    this.used = 0;
  }
}
