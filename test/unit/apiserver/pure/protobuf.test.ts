// Protobuf request bodies: a Deployment with a whole PodSpec, encoded the way Go's marshaller
// does (zero scalars and empty structs written), decodes to exactly its JSON form; malformed
// bodies fail with ProtobufError, never anything else.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEnvelope, decodeObject, goDuration, ProtobufError } from '../../../../src/apiserver/protobuf/decode.ts';
import { encodeMessage, encodeProtobufBody, FULL_DEPLOYMENT } from '../../../helpers/protobuf.ts';

describe('protobuf bodies: decoding', () => {
  test('a Deployment with a whole PodSpec round-trips field for field', () => {
    assert.deepEqual(decodeObject(encodeProtobufBody(FULL_DEPLOYMENT)), FULL_DEPLOYMENT);
  });

  test('Secret data (bytes) comes back base64, times as RFC 3339, micro-times with microseconds', () => {
    const secret = {
      kind: 'Secret', apiVersion: 'v1',
      metadata: { name: 's', creationTimestamp: '2026-12-05T10:11:12Z', deletionTimestamp: '2026-12-05T10:11:13Z' },
      data: { token: Buffer.from([0, 255, 1]).toString('base64') }, type: 'Opaque',
    };
    assert.deepEqual(decodeObject(encodeProtobufBody(secret)), secret);
    const lease = {
      kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', metadata: { name: 'l', creationTimestamp: null },
      spec: { holderIdentity: 'me', leaseDurationSeconds: 15, renewTime: '2026-12-05T10:11:12.123456Z' },
    };
    assert.deepEqual(decodeObject(encodeProtobufBody(lease)), lease);
  });

  test('zero values Go writes are dropped where JSON omits them and kept where it does not', () => {
    const decoded = decodeObject(encodeProtobufBody({ kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'ns' } }));
    // metadata strings are omitempty (dropped), creationTimestamp is a zero Time (null), spec/status are structs ({}).
    assert.deepEqual(decoded, { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'ns', creationTimestamp: null }, spec: {}, status: {} });
    const port = decodeObject(encodeProtobufBody({
      kind: 'Service', apiVersion: 'v1', metadata: { name: 'svc' }, spec: { ports: [{ port: 80, targetPort: 0 }] },
    })) as { spec: { ports: Record<string, unknown>[] } };
    // ServicePort.port has no omitempty; targetPort is a non-pointer IntOrString (0 is its JSON zero).
    assert.deepEqual(port.spec.ports[0], { port: 80, targetPort: 0 });
  });

  test('unknown fields are skipped, as protobuf readers must', () => {
    const body = encodeProtobufBody({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'c' }, data: { a: 'b' } });
    const withExtra = Buffer.concat([body, Buffer.from([0xf8, 0x07, 0x01])]); // field 127, varint 1, inside Unknown
    assert.deepEqual(decodeObject(withExtra), { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'c', creationTimestamp: null }, data: { a: 'b' } });
  });

  test('goDuration renders as Go does', () => {
    assert.equal(goDuration(0), '0s');
    assert.equal(goDuration(1.5e9), '1.5s');
    assert.equal(goDuration(3.6e12 + 2 * 6e10 + 3e9), '1h2m3s');
    assert.equal(goDuration(150e6), '150ms');
  });
});

describe('protobuf bodies: bad input', () => {
  const cm = { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'c' }, data: { a: 'b' } };
  const cases: [string, Buffer, RegExp][] = [
    ['no magic', Buffer.from('{"kind":"ConfigMap"}'), /magic/],
    ['empty', Buffer.alloc(0), /magic/],
    ['truncated', encodeProtobufBody(cm).subarray(0, 20), /malformed protobuf/],
    ['a kind without a table', encodeProtobufBody(cm, { kind: 'Frobnicator' }), /no protobuf decoding for v1, Kind=Frobnicator/],
    ['gzip content encoding', encodeProtobufBody(cm, { contentEncoding: 'gzip' }), /unsupported content encoding/],
  ];
  for (const [name, body, want] of cases) {
    test(name, () => {
      assert.throws(() => decodeObject(body), (err: unknown) => err instanceof ProtobufError && want.test(err.message));
    });
  }

  test('a field with the wrong wire type is refused', () => {
    // ConfigMap field 1 (metadata, a message) sent as a varint.
    const raw = Buffer.from([0x08, 0x01]);
    const typeMeta = Buffer.concat([Buffer.from([0x0a, 2]), Buffer.from('v1'), Buffer.from([0x12, 9]), Buffer.from('ConfigMap')]);
    const env = Buffer.concat([Buffer.from([0x0a, typeMeta.length]), typeMeta, Buffer.from([0x12, raw.length]), raw]);
    assert.throws(() => decodeObject(Buffer.concat([Buffer.from('k8s\0'), env])), /ConfigMap\.metadata: wire type 0, expected 2|core\.v1\.ConfigMap\.metadata: wire type 0/);
  });

  test('a megabyte of garbage or of nested groups fails cleanly (no stack overflow escapes)', () => {
    for (const fill of [0xff, 0x0b]) {
      const body = Buffer.concat([Buffer.from('k8s\0'), Buffer.alloc(1 << 20, fill)]);
      assert.throws(() => decodeObject(body), ProtobufError);
    }
  });

  test('the envelope names what the body claims to be', () => {
    const env = decodeEnvelope(encodeProtobufBody(cm));
    assert.equal(env.apiVersion, 'v1');
    assert.equal(env.kind, 'ConfigMap');
    assert.ok(encodeMessage('core.v1.ConfigMap', cm).length > 0);
  });
});
