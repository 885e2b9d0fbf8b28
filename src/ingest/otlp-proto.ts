/**
 * OTLP/HTTP protobuf (`application/x-protobuf`) trace requests → SpanRecords (pure).
 * A minimal reader of the protobuf wire format for the fields of opentelemetry-proto's
 * trace/v1/trace.proto and common/v1/common.proto that modelslo uses; other fields are skipped.
 */
import { MAX_SPANS, toSpanRecord, type AttrValue, type RawSpan } from './otlp-spans.js';
import { InvalidInput, type Decoded, type SpanRecord } from './types.js';

/** A cursor over one message's bytes. */
class Reader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    readonly at: string,
  ) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  private fail(what: string): never {
    throw new InvalidInput(`${this.at}: malformed protobuf (${what} at byte ${this.pos})`);
  }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.buf.length) this.fail('truncated varint');
      const b = this.buf[this.pos++] ?? 0;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result & 0xffffffffffffffffn;
    }
    return this.fail('varint longer than 10 bytes');
  }

  fixed64(): bigint {
    if (this.pos + 8 > this.buf.length) this.fail('truncated fixed64');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getBigUint64(0, true);
    this.pos += 8;
    return v;
  }

  bytes(): Uint8Array {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) this.fail('length past the end');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  /** Reads a tag; returns [field, wireType]. */
  tag(): [number, number] {
    const t = Number(this.varint());
    const field = t >>> 3;
    if (field === 0) this.fail('field number 0');
    return [field, t & 7];
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else this.fail(`unsupported wire type ${wire}`);
    if (this.pos > this.buf.length) this.fail('truncated field');
  }

  expect(wire: number, want: number, field: string): void {
    if (wire !== want) this.fail(`field ${field} has wire type ${wire}, expected ${want}`);
  }
}

const utf8 = new TextDecoder('utf-8');
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

function anyValue(buf: Uint8Array, at: string, depth: number): AttrValue {
  if (depth > 32) throw new InvalidInput(`${at}: attribute values nested deeper than 32 levels`);
  const r = new Reader(buf, at);
  let value: AttrValue = null;
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === 1 && w === 2) value = utf8.decode(r.bytes());
    else if (f === 2 && w === 0) value = r.varint() !== 0n;
    else if (f === 3 && w === 0) value = Number(BigInt.asIntN(64, r.varint()));
    else if (f === 4 && w === 1) value = new DataView(new BigUint64Array([r.fixed64()]).buffer).getFloat64(0, true);
    else if (f === 5 && w === 2) value = repeated(r.bytes(), at, 1).map((b) => anyValue(b, at, depth + 1));
    else if (f === 6 && w === 2) value = keyValues(repeated(r.bytes(), at, 1), at, depth + 1);
    else if (f === 7 && w === 2) value = hex(r.bytes());
    else r.skip(w);
  }
  return value;
}

/** The length-delimited occurrences of `field` in a message. */
function repeated(buf: Uint8Array, at: string, field: number): Uint8Array[] {
  const r = new Reader(buf, at);
  const out: Uint8Array[] = [];
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === field) {
      r.expect(w, 2, String(field));
      out.push(r.bytes());
    } else r.skip(w);
  }
  return out;
}

function keyValues(items: Uint8Array[], at: string, depth: number): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  items.forEach((kv, i) => {
    const r = new Reader(kv, `${at}[${i}]`);
    let key = '';
    let value: AttrValue = null;
    while (!r.done) {
      const [f, w] = r.tag();
      if (f === 1 && w === 2) key = utf8.decode(r.bytes());
      else if (f === 2 && w === 2) value = anyValue(r.bytes(), `${at}[${i}].value`, depth);
      else r.skip(w);
    }
    out[key] = value;
  });
  return out;
}

function span(buf: Uint8Array, at: string): RawSpan {
  const r = new Reader(buf, at);
  const s: RawSpan = { traceId: '', spanId: '', parentSpanId: '', name: '', startNs: 0n, endNs: 0n, statusCode: 0, attributes: {} };
  const attrs: Uint8Array[] = [];
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === 1 && w === 2) s.traceId = hex(r.bytes());
    else if (f === 2 && w === 2) s.spanId = hex(r.bytes());
    else if (f === 4 && w === 2) s.parentSpanId = hex(r.bytes());
    else if (f === 5 && w === 2) s.name = utf8.decode(r.bytes());
    else if (f === 7 && w === 1) s.startNs = r.fixed64();
    else if (f === 8 && w === 1) s.endNs = r.fixed64();
    else if (f === 9 && w === 2) attrs.push(r.bytes());
    else if (f === 15 && w === 2) {
      const st = new Reader(r.bytes(), `${at}.status`);
      while (!st.done) {
        const [sf, sw] = st.tag();
        if (sf === 3 && sw === 0) s.statusCode = Number(st.varint());
        else st.skip(sw);
      }
    } else r.skip(w);
  }
  s.attributes = keyValues(attrs, `${at}.attributes`, 0);
  return s;
}

/** Decodes an ExportTraceServiceRequest in protobuf. */
export function decodeOtlpProto(body: Uint8Array): Decoded<SpanRecord[]> {
  try {
    const spans: SpanRecord[] = [];
    repeated(body, 'body', 1).forEach((rs, ri) => {
      const rAt = `resourceSpans[${ri}]`;
      const resourceMsg = repeated(rs, rAt, 1)[0];
      const resource = resourceMsg === undefined ? {} : keyValues(repeated(resourceMsg, `${rAt}.resource`, 1), `${rAt}.resource.attributes`, 0);
      repeated(rs, rAt, 2).forEach((ss, si) => {
        const sAt = `${rAt}.scopeSpans[${si}]`;
        repeated(ss, sAt, 2).forEach((sp, k) => {
          const at = `${sAt}.spans[${k}]`;
          if (spans.length >= MAX_SPANS) throw new InvalidInput(`${at}: more than ${MAX_SPANS} spans in one request`);
          spans.push(toSpanRecord(span(sp, at), resource, at));
        });
      });
    });
    return { ok: true, value: spans };
  } catch (err) {
    if (err instanceof InvalidInput) return { ok: false, error: err.message };
    throw err;
  }
}
