/**
 * The ONNX protobuf reader on hand-written bytes: varints (negative int64s as ten bytes), packed
 * and unpacked repeated fields, unknown fields skipped, truncation reported with its offset, the
 * schema's messages, and every tensor encoding (raw_data, typed fields, float16 bits, external data).
 */
import { expect } from '@esm-bundle/chai';
import { ProtoError, ProtoReader } from '../../../src/io/onnx/protobuf.js';
import { AttrType, DataType, decodeModel, looksLikeOnnx, type TensorProto } from '../../../src/io/onnx/schema.js';
import { decodeTensor } from '../../../src/io/onnx/tensor_data.js';
import { fixtureBytes } from './ort_oracle.js';

// ---- a small writer, for the tests only ----

function varint(v: number | bigint): number[] {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x) b |= 0x80;
    out.push(b);
  } while (x);
  return out;
}
const tag = (field: number, wire: number) => varint(field * 8 + wire);
const vfield = (field: number, v: number | bigint) => [...tag(field, 0), ...varint(v)];
const bytes = (field: number, b: number[] | Uint8Array) => [...tag(field, 2), ...varint(b.length), ...b];
const str = (field: number, s: string) => bytes(field, [...new TextEncoder().encode(s)]);
const f32 = (v: number) => [...new Uint8Array(new Float32Array([v]).buffer)];
const ffield = (field: number, v: number) => [...tag(field, 5), ...f32(v)];
const u8 = (a: number[]) => new Uint8Array(a);
const fail = (m: string): never => {
  throw new Error(m);
};

describe('ProtoReader', () => {
  it('reads varints up to 2^53 and negative int64s written as ten bytes', () => {
    for (const v of [0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 + 5, 2 ** 53 - 1]) expect(new ProtoReader(u8(varint(v))).varint()).to.equal(v);
    for (const v of [-1, -2, -300, -(2 ** 40)]) {
      const b = varint(v);
      expect(b.length).to.equal(10);
      expect(new ProtoReader(u8(b)).int64()).to.equal(v);
    }
    expect(new ProtoReader(u8(varint(-7))).int32()).to.equal(-7);
  });

  it('reads repeated numbers packed and unpacked alike, and skips unknown fields of every wire type', () => {
    const packed = [...tag(1, 2), ...varint(3), 1, 2, 3];
    const unpacked = [...vfield(1, 1), ...vfield(1, 2), ...vfield(1, 3)];
    const junk = [...tag(9, 1), 1, 2, 3, 4, 5, 6, 7, 8, ...tag(10, 5), 1, 2, 3, 4, ...bytes(11, [7, 7]), ...vfield(12, 99)];
    for (const msg of [packed, unpacked]) {
      const r = new ProtoReader(u8([...junk, ...msg]));
      const out: number[] = [];
      while (!r.done) {
        const { field, wire } = r.tag();
        if (field === 1) r.repeated(wire, 0, () => r.varint(), out);
        else r.skip(wire);
      }
      expect(out).to.deep.equal([1, 2, 3]);
    }
  });

  it('reports a field that runs past the end with its offset', () => {
    const cut = [...vfield(1, 5), ...tag(7, 2), ...varint(100), 1, 2, 3];
    let err: unknown;
    try {
      const r = new ProtoReader(u8(cut));
      while (!r.done) r.skip(r.tag().wire);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ProtoError);
    expect((err as ProtoError).offset).to.equal(3);
    expect((err as Error).message).to.match(/100 bytes where only 3 remain/);
    expect(() => new ProtoReader(u8([0x80, 0x80])).varint()).to.throw(ProtoError, /runs past the end/);
  });
});

describe('decodeModel', () => {
  it('reads the model, its opsets, metadata, graph, nodes with every attribute type, and symbolic dims', () => {
    const tensor = [...vfield(1, 2), ...vfield(2, DataType.FLOAT), ...str(8, 't'), ...bytes(4, [...f32(1.5), ...f32(-2)])];
    const attr = (name: string, type: number, ...body: number[][]) => bytes(5, [...str(1, name), ...vfield(20, type), ...body.flat()]);
    const node = [
      ...str(1, 'x'), ...str(1, ''), ...str(2, 'y'), ...str(3, 'n1'), ...str(4, 'Conv'),
      ...attr('f', AttrType.FLOAT, ffield(2, 0.25)),
      ...attr('i', AttrType.INT, vfield(3, -1)),
      ...attr('s', AttrType.STRING, bytes(4, [...new TextEncoder().encode('SAME_UPPER')])),
      ...attr('ints', AttrType.INTS, bytes(8, [...varint(-1), 2])),
      ...attr('floats', AttrType.FLOATS, ffield(7, 1), ffield(7, 2)),
      ...attr('t', AttrType.TENSOR, bytes(5, tensor)),
    ];
    const dim = (d: number[]) => bytes(1, d);
    const shape = [...dim(str(2, 'N')), ...dim(vfield(1, 3)), ...dim([]), ...dim(vfield(1, 224))];
    const input = [...str(1, 'x'), ...bytes(2, bytes(1, [...vfield(1, DataType.FLOAT), ...bytes(2, shape)]))];
    const graph = [...bytes(1, node), ...str(2, 'main'), ...bytes(5, tensor), ...bytes(11, input), ...bytes(12, str(1, 'y'))];
    const model = u8([
      ...vfield(1, 8), ...str(2, 'pytorch'), ...str(3, '2.1'),
      ...bytes(8, [...str(1, 'ai.onnx'), ...vfield(2, 17)]), ...bytes(8, [...str(1, 'com.microsoft'), ...vfield(2, 1)]),
      ...bytes(14, [...str(1, 'labels'), ...str(2, 'cat,dog')]),
      ...bytes(7, graph),
    ]);
    expect(looksLikeOnnx(model)).to.equal(true);
    const m = decodeModel(model);
    expect(m.irVersion).to.equal(8);
    expect(m.producerName).to.equal('pytorch');
    expect([...m.opsets]).to.deep.equal([['', 17], ['com.microsoft', 1]]);
    expect(m.metadata.get('labels')).to.equal('cat,dog');
    const g = m.graph!;
    expect(g.name).to.equal('main');
    expect(g.inputs[0]!.shape).to.deep.equal(['N', 3, null, 224]);
    expect(g.outputs[0]!.name).to.equal('y');
    const n = g.nodes[0]!;
    expect([n.name, n.opType, n.inputs, n.outputs]).to.deep.equal(['n1', 'Conv', ['x', ''], ['y']]);
    const a = n.attributes;
    expect(a.get('f')!.f).to.equal(0.25);
    expect(a.get('i')!.i).to.equal(-1);
    expect(new TextDecoder().decode(a.get('s')!.s)).to.equal('SAME_UPPER');
    expect(a.get('ints')!.ints).to.deep.equal([-1, 2]);
    expect(a.get('floats')!.floats).to.deep.equal([1, 2]);
    expect(Array.from(decodeTensor(a.get('t')!.t!, () => undefined, fail).data)).to.deep.equal([1.5, -2]);
  });

  it('tells ONNX files by content: a fixture and a truncated one are, JSON and noise are not', async () => {
    const b = await fixtureBytes('tiny_cnn.onnx');
    expect(looksLikeOnnx(b)).to.equal(true);
    expect(looksLikeOnnx(b.subarray(0, 50))).to.equal(true);
    expect(looksLikeOnnx(new TextEncoder().encode('{"modelTopology": 1}'))).to.equal(false);
    expect(looksLikeOnnx(u8([0xff, 0x00, 0x12]))).to.equal(false);
    expect(() => decodeModel(b.subarray(0, b.length - 7))).to.throw(ProtoError);
  });
});

describe('decodeTensor', () => {
  const t = (p: Partial<TensorProto>): TensorProto => ({ name: 'w', dims: [2], dataType: DataType.FLOAT, ...p });
  const values = (p: Partial<TensorProto>, ext?: Uint8Array) => Array.from(decodeTensor(t(p), () => ext, fail).data);

  it('reads raw data (aligned or not), the typed fields, float16 and bfloat16 bits, doubles and int64s', () => {
    const raw = new Uint8Array([0, ...f32(3), ...f32(-0.5)]).subarray(1);
    expect(values({ raw })).to.deep.equal([3, -0.5]);
    expect(values({ floatData: [1, 2] })).to.deep.equal([1, 2]);
    // float16 1.0 is 0x3c00, -2.0 is 0xc000; bfloat16 1.0 is 0x3f80.
    expect(values({ dataType: DataType.FLOAT16, int32Data: [0x3c00, 0xc000] })).to.deep.equal([1, -2]);
    expect(values({ dataType: DataType.FLOAT16, raw: new Uint8Array([0x00, 0x3c, 0x00, 0xc0]) })).to.deep.equal([1, -2]);
    expect(values({ dataType: DataType.BFLOAT16, int32Data: [0x3f80, 0xbf80] })).to.deep.equal([1, -1]);
    expect(values({ dataType: DataType.DOUBLE, doubleData: [0.25, 8] })).to.deep.equal([0.25, 8]);
    const i64 = new Uint8Array(new BigInt64Array([-1n, 9007199254740991n]).buffer);
    expect(values({ dataType: DataType.INT64, raw: i64 })).to.deep.equal([-1, 9007199254740991]);
    expect(values({ dataType: DataType.INT64, int64Data: [5, -3] })).to.deep.equal([5, -3]);
    expect(values({ dataType: DataType.UINT8, int32Data: [255, 1] })).to.deep.equal([255, 1]);
  });

  it('reads external data by location, offset and length, and refuses a short file or a wrong count', () => {
    const file = new Uint8Array([9, 9, 9, 9, ...f32(7), ...f32(8)]);
    expect(values({ external: { location: 'w.bin', offset: 4, length: 8 } }, file)).to.deep.equal([7, 8]);
    expect(() => values({ external: { location: 'w.bin', offset: 8, length: 8 } }, file)).to.throw(/only 12 bytes/);
    expect(() => values({ external: { location: 'w.bin', offset: 0, length: 8 } })).to.throw(/was not read/);
    expect(() => values({ floatData: [1, 2, 3] })).to.throw(/holds 3 values but its shape \[2\] needs 2/);
    expect(() => values({ dataType: DataType.STRING })).to.throw(/unsupported data type string/);
  });
});
