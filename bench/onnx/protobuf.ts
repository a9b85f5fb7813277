/**
 * The smallest protobuf writer the one-node ONNX models need: varints, length-delimited fields
 * (strings, bytes, nested messages) and nothing else. Field numbers are onnx.proto's.
 */
export class ProtoWriter {
  private chunks: number[] = [];

  private varint(v: number): void {
    if (!Number.isInteger(v) || v < 0) throw new Error(`protobuf: varint ${v} must be a non-negative integer`);
    while (v >= 0x80) {
      this.chunks.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.chunks.push(v);
  }

  private key(field: number, wire: 0 | 2): void {
    this.varint(field * 8 + wire);
  }

  /** An int32/int64/enum field (non-negative values only: all ONNX needs here). */
  int(field: number, v: number): this {
    this.key(field, 0);
    this.varint(v);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.key(field, 2);
    this.varint(b.length);
    for (const x of b) this.chunks.push(x);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, m: ProtoWriter): this {
    return this.bytes(field, m.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}
