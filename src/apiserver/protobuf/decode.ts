// Protobuf request bodies (`application/vnd.kubernetes.protobuf`) decoded to the JSON object the
// same client would have sent as JSON. The body is the 4-byte magic `k8s\0` and a runtime.Unknown
// {typeMeta{apiVersion, kind}, raw, contentEncoding, contentType}; `raw` is the object's own
// message, decoded field by field from the generated table (field numbers and types from the
// upstream generated.proto, JSON names / omitempty / pointers / inlining from the Go struct tags).
// Go's protobuf marshaller writes non-pointer scalars even when zero, while encoding/json drops
// `omitempty` zeros and writes `null` for zero times and nil slices without omitempty: the
// decoder applies those rules so both wire forms store the same object.
// Every malformed input throws ProtobufError (the server answers 400); nothing here can crash.
import protobuf from 'protobufjs';
import type { Json, JsonObject } from '../types.ts';
import { PROTO_TABLE } from './table.ts';
import type { ProtoRow, ProtoTable } from './types.ts';
import { FLAG_INLINE, FLAG_OMITEMPTY, FLAG_POINTER, FLAG_REPEATED } from './types.ts';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
/** Nesting deeper than this is refused (a crafted body must not exhaust the stack). */
const MAX_DEPTH = 64;

export class ProtobufError extends Error {
  override readonly name = 'ProtobufError';
}

export interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}


const WIRE_VARINT = 0;
const WIRE_LENGTH = 2;

function wireTypeOf(type: string): number {
  switch (type) {
    case 'double': case 'fixed64': case 'sfixed64': return 1;
    case 'float': case 'fixed32': case 'sfixed32': return 5;
    case 'string': case 'bytes': return WIRE_LENGTH;
    case 'int32': case 'int64': case 'uint32': case 'uint64': case 'sint32': case 'sint64': case 'bool': return WIRE_VARINT;
    default: return WIRE_LENGTH; // messages and maps
  }
}

function toNumber(v: number | protobuf.Long, unsigned = false): number {
  return typeof v === 'number' ? v : protobuf.util.LongBits.from(v).toNumber(unsigned);
}

function readScalar(reader: protobuf.Reader, type: string): Json {
  switch (type) {
    case 'string': return reader.string();
    case 'bytes': return Buffer.from(reader.bytes()).toString('base64');
    case 'bool': return reader.bool();
    case 'int32': return reader.int32();
    case 'uint32': return reader.uint32();
    case 'sint32': return reader.sint32();
    case 'int64': return toNumber(reader.int64());
    case 'uint64': return toNumber(reader.uint64(), true);
    case 'sint64': return toNumber(reader.sint64());
    case 'double': return reader.double();
    case 'float': return reader.float();
    case 'fixed32': return reader.fixed32();
    case 'sfixed32': return reader.sfixed32();
    case 'fixed64': return toNumber(reader.fixed64(), true);
    case 'sfixed64': return toNumber(reader.sfixed64());
    default: throw new ProtobufError(`unsupported scalar type ${type}`);
  }
}

function isScalar(type: string): boolean {
  return type !== '' && !type.includes('.') && !type.startsWith('map:');
}

function zeroOf(type: string): Json {
  if (type === 'string' || type === 'bytes') return '';
  if (type === 'bool') return false;
  return 0;
}

function isZero(value: Json): boolean {
  return value === '' || value === 0 || value === false;
}

function rfc3339(seconds: number, nanos: number, fractionDigits: number): string {
  const iso = new Date(seconds * 1000).toISOString().slice(0, 19);
  if (fractionDigits === 0) return `${iso}Z`;
  const frac = String(Math.floor(nanos / 10 ** (9 - fractionDigits))).padStart(fractionDigits, '0');
  return `${iso}.${frac}Z`;
}

/** Go's time.Duration.String() ("1h2m3.5s", "150ms", "0s"). */
export function goDuration(nanos: number): string {
  if (nanos === 0) return '0s';
  const sign = nanos < 0 ? '-' : '';
  const n = Math.abs(nanos);
  if (n < 1e3) return `${sign}${n}ns`;
  if (n < 1e6) return `${sign}${trim(n / 1e3)}µs`;
  if (n < 1e9) return `${sign}${trim(n / 1e6)}ms`;
  const h = Math.floor(n / 3.6e12);
  const m = Math.floor((n % 3.6e12) / 6e10);
  const s = trim((n % 6e10) / 1e9);
  if (h > 0) return `${sign}${h}h${m}m${s}s`;
  if (m > 0) return `${sign}${m}m${s}s`;
  return `${sign}${s}s`;
}

function trim(x: number): string {
  return String(Number(x.toFixed(9)));
}

function parseRawJson(bytes: Uint8Array, what: string): Json {
  if (bytes.length === 0) return null;
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as Json;
  } catch {
    throw new ProtobufError(`${what} does not hold JSON`);
  }
}

  /** A small fixed-layout message (the special types): number -> scalar value. */
function fields(bytes: Uint8Array, layout: Record<number, string>): Record<number, Json> {
  const reader = protobuf.Reader.create(bytes);
  const out: Record<number, Json> = {};
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const type = layout[tag >>> 3];
    if (type === undefined || (tag & 7) !== wireTypeOf(type)) reader.skipType(tag & 7);
    else out[tag >>> 3] = readScalar(reader, type);
  }
  return out;
}


/** One field holding raw JSON bytes (runtime.RawExtension.raw, metav1.FieldsV1.Raw). */
function rawJson(bytes: Uint8Array, what: string): Json {
  const reader = protobuf.Reader.create(bytes);
  let raw: Uint8Array = new Uint8Array();
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === WIRE_LENGTH) raw = reader.bytes();
    else reader.skipType(tag & 7);
  }
  return parseRawJson(raw, what);
}

/** A zero metav1.Time/MicroTime marshals as an empty message and is `null` in JSON. */
function time(bytes: Uint8Array, fractionDigits: number): Json {
  if (bytes.length === 0) return null;
  const f = fields(bytes, { 1: 'int64', 2: 'int32' });
  return rfc3339(Number(f[1] ?? 0), Number(f[2] ?? 0), fractionDigits);
}

const SPECIAL_TYPES: Readonly<Record<string, (bytes: Uint8Array) => Json>> = {
  'meta.v1.Time': (b) => time(b, 0),
  'meta.v1.MicroTime': (b) => time(b, 6),
  'meta.v1.Duration': (b) => goDuration(Number(fields(b, { 1: 'int64' })[1] ?? 0)),
  'intstr.IntOrString': (b) => {
    const f = fields(b, { 1: 'int64', 2: 'int32', 3: 'string' });
    return Number(f[1] ?? 0) === 1 ? (f[3] ?? '') : (f[2] ?? 0);
  },
  'resource.Quantity': (b) => fields(b, { 1: 'string' })[1] ?? '0',
  'runtime.RawExtension': (b) => rawJson(b, 'runtime.RawExtension'),
  'meta.v1.FieldsV1': (b) => rawJson(b, 'meta.v1.FieldsV1'),
};

class Decoder {
  private readonly table: ProtoTable;
  private readonly byNumber = new Map<string, Map<number, ProtoRow>>();

  constructor(table: ProtoTable) {
    this.table = table;
  }

  private rows(message: string): Map<number, ProtoRow> {
    let rows = this.byNumber.get(message);
    if (rows === undefined) {
      const list = this.table.messages[message];
      if (list === undefined) throw new ProtobufError(`no field table for ${message}`);
      rows = new Map(list.map((r) => [r[0], r]));
      this.byNumber.set(message, rows);
    }
    return rows;
  }

  /** The special apimachinery messages with a JSON form of their own; undefined for ordinary ones. */
  private special(type: string, bytes: Uint8Array): Json | undefined {
    const decode = SPECIAL_TYPES[type];
    return decode === undefined ? undefined : decode(bytes);
  }

  private value(reader: protobuf.Reader, type: string, depth: number): Json {
    if (isScalar(type)) return readScalar(reader, type);
    const bytes = reader.bytes();
    const special = this.special(type, bytes);
    return special !== undefined ? special : this.message(bytes, type, depth + 1);
  }

  private mapEntry(reader: protobuf.Reader, keyType: string, valueType: string, depth: number): [string, Json] {
    const end = reader.uint32() + reader.pos;
    if (end > reader.len) throw new ProtobufError('map entry runs past the end of its message');
    let key: Json = zeroOf(keyType);
    let value: Json = isScalar(valueType) ? zeroOf(valueType) : null;
    while (reader.pos < end) {
      const tag = reader.uint32();
      if (tag >>> 3 === 1 && (tag & 7) === wireTypeOf(keyType)) key = readScalar(reader, keyType);
      else if (tag >>> 3 === 2 && (tag & 7) === wireTypeOf(valueType)) value = this.value(reader, valueType, depth);
      else reader.skipType(tag & 7);
    }
    return [typeof key === 'object' ? JSON.stringify(key) : String(key), value];
  }

  message(bytes: Uint8Array, name: string, depth = 0): JsonObject {
    if (depth > MAX_DEPTH) throw new ProtobufError(`message nesting deeper than ${MAX_DEPTH}`);
    const rows = this.rows(name);
    const reader = protobuf.Reader.create(bytes);
    const out: JsonObject = {};
    const inline: JsonObject[] = [];
    const seen = new Set<number>();
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      const row = rows.get(tag >>> 3);
      if (row === undefined) {
        reader.skipType(tag & 7);
        continue;
      }
      seen.add(row[0]);
      this.field(reader, name, row, tag & 7, out, inline, depth);
    }
    this.applyJsonRules(rows, seen, out, depth);
    for (const fields of inline) Object.assign(out, fields);
    return out;
  }

  /** Reads one occurrence of a known field into `out` (or `inline` for embedded structs). */
  private field(reader: protobuf.Reader, message: string, row: ProtoRow, wire: number, out: JsonObject, inline: JsonObject[], depth: number): void {
    const [, json, type, flags] = row;
    if (type.startsWith('map:')) {
      if (wire !== WIRE_LENGTH) throw new ProtobufError(`${message}.${json}: wire type ${wire} for a map`);
      const [k, v] = this.mapEntry(reader, type.slice(4), row[4] ?? 'string', depth);
      const map = (out[json] ??= {}) as JsonObject;
      map[k] = v;
      return;
    }
    const expected = wireTypeOf(type);
    const repeated = (flags & FLAG_REPEATED) !== 0;
    if (repeated && isScalar(type) && expected !== WIRE_LENGTH && wire === WIRE_LENGTH) {
      // A packed repeated scalar.
      const end = reader.uint32() + reader.pos;
      const list = (out[json] ??= []) as Json[];
      while (reader.pos < end) list.push(readScalar(reader, type));
      return;
    }
    if (wire !== expected) throw new ProtobufError(`${message}.${json}: wire type ${wire}, expected ${expected}`);
    const value = this.value(reader, type, depth);
    if ((flags & FLAG_INLINE) !== 0 && value !== null && typeof value === 'object' && !Array.isArray(value)) inline.push(value);
    else if (repeated) ((out[json] ??= []) as Json[]).push(value);
    else out[json] = value;
  }

  /** encoding/json's view of what the wire left out or wrote as zero. */
  private applyJsonRules(rows: Map<number, ProtoRow>, seen: Set<number>, out: JsonObject, depth: number): void {
    for (const [num, json, type, flags] of rows.values()) {
      const omitempty = (flags & FLAG_OMITEMPTY) !== 0;
      const pointer = (flags & FLAG_POINTER) !== 0;
      const collection = (flags & FLAG_REPEATED) !== 0 || type.startsWith('map:');
      if (!seen.has(num)) {
        if (pointer || (collection && omitempty)) continue;
        if (collection) out[json] = null;
        else if ((flags & FLAG_INLINE) !== 0) Object.assign(out, this.message(new Uint8Array(), type, depth + 1));
        else if (isScalar(type)) {
          if (!omitempty) out[json] = zeroOf(type);
        } else out[json] = this.special(type, new Uint8Array()) ?? this.message(new Uint8Array(), type, depth + 1);
        continue;
      }
      if (pointer || collection) continue;
      const value = out[json];
      if (value !== undefined && omitempty && isScalar(type) && isZero(value)) delete out[json];
    }
  }
}

const decoder = new Decoder(PROTO_TABLE);

export function decodeEnvelope(body: Uint8Array): Envelope {
  if (body.length < MAGIC.length || !MAGIC.equals(Buffer.from(body.subarray(0, MAGIC.length)))) {
    throw new ProtobufError('missing the k8s protobuf magic prefix');
  }
  const reader = protobuf.Reader.create(body.subarray(MAGIC.length));
  const env: Envelope = { apiVersion: '', kind: '', raw: new Uint8Array(), contentEncoding: '', contentType: '' };
  try {
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      const wire = tag & 7;
      if (wire !== WIRE_LENGTH) {
        reader.skipType(wire);
        continue;
      }
      switch (tag >>> 3) {
        case 1: {
          const typeMeta = fields(reader.bytes(), { 1: 'string', 2: 'string' });
          env.apiVersion = typeof typeMeta[1] === 'string' ? typeMeta[1] : '';
          env.kind = typeof typeMeta[2] === 'string' ? typeMeta[2] : '';
          break;
        }
        case 2: env.raw = reader.bytes(); break;
        case 3: env.contentEncoding = reader.string(); break;
        case 4: env.contentType = reader.string(); break;
        default: reader.skipType(wire);
      }
    }
  } catch (err) {
    throw asProtobufError(err);
  }
  return env;
}

function asProtobufError(err: unknown): ProtobufError {
  if (err instanceof ProtobufError) return err;
  // protobufjs throws RangeError ("index out of range") on truncated input.
  return new ProtobufError(`malformed protobuf: ${err instanceof Error ? err.message : String(err)}`);
}


/** Decodes a protobuf request body to its JSON object (apiVersion and kind first, as clients send). */
export function decodeObject(body: Uint8Array): JsonObject {
  const env = decodeEnvelope(body);
  if (env.contentEncoding !== '') throw new ProtobufError(`unsupported content encoding ${JSON.stringify(env.contentEncoding)}`);
  const message = PROTO_TABLE.kinds[`${env.apiVersion}/${env.kind}`];
  if (message === undefined) throw new ProtobufError(`no protobuf decoding for ${env.apiVersion === '' ? '(no apiVersion)' : env.apiVersion}, Kind=${env.kind === '' ? '(none)' : env.kind}`);
  try {
    return { kind: env.kind, apiVersion: env.apiVersion, ...decoder.message(env.raw, message) };
  } catch (err) {
    throw asProtobufError(err);
  }
}
