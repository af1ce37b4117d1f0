// The serving certificate: a self-signed ECDSA P-256 certificate (CA:true, serverAuth) for
// localhost, 127.0.0.1, ::1 and the listen host, generated at first start and kept with the
// data (so kubeconfigs stay valid across restarts). kubectl/client-go never send a bearer
// token over plain HTTP (kubernetes/kubectl#744), so TLS is what makes token auth work with
// kubectl. Node has no certificate builder, so this module encodes the X.509 DER itself
// (RFC 5280) and signs it with node:crypto; nothing else is parsed or trusted here.
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

export interface ServingCert {
  certPem: string;
  keyPem: string;
}

// ---- minimal DER encoder ---------------------------------------------------------------------

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
}

const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bits = (b: Buffer, unused = 0): Buffer => tlv(0x03, Buffer.concat([Buffer.from([unused]), b]));
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 + n, inner);

function integer(b: Buffer): Buffer {
  // Positive INTEGER: strip leading zeros, keep the sign bit clear.
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i += 1;
  const v = b.subarray(i);
  return tlv(0x02, (v[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * (parts[0] ?? 0) + (parts[1] ?? 0)];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  // UTCTime until 2049, GeneralizedTime after (RFC 5280 4.1.2.5).
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  const [head = '', tail = ''] = ip.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::') ? [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return Buffer.from(groups.flatMap((g) => [(parseInt(g, 16) >> 8) & 0xff, parseInt(g, 16) & 0xff]));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

// ---- certificate -----------------------------------------------------------------------------

function subjectAltNames(host: string): Buffer {
  const names = new Set(['localhost']);
  const ips = new Set(['127.0.0.1', '::1']);
  if (isIP(host) !== 0 && host !== '0.0.0.0' && host !== '::') ips.add(host);
  else if (isIP(host) === 0 && host !== '') names.add(host);
  const entries = [...[...names].map((n) => tlv(0x82, Buffer.from(n, 'ascii'))), ...[...ips].map((ip) => tlv(0x87, ipBytes(ip)))];
  return seq(...entries);
}

export function generateServingCert(host: string, now: Date = new Date()): ServingCert {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const name = seq(set(seq(oid('2.5.4.3'), utf8('gastown-embedded-apiserver'))));
  const signatureAlgorithm = seq(oid('1.2.840.10045.4.3.2'));
  const keyId = createHash('sha1').update(spki).digest();
  const extensions = seq(
    extension('2.5.29.19', true, seq(bool(true))),
    extension('2.5.29.15', true, bits(Buffer.from([0x84]), 2)),
    extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))),
    extension('2.5.29.14', false, octets(keyId)),
    extension('2.5.29.17', false, subjectAltNames(host)),
  );
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(randomBytes(16)),
    signatureAlgorithm,
    name,
    seq(time(new Date(now.getTime() - 3600_000)), time(new Date(now.getTime() + 10 * 365 * 24 * 3600_000))),
    name,
    spki,
    explicit(3, extensions),
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = seq(tbs, signatureAlgorithm, bits(signature));
  const body = der.toString('base64').replace(/(.{64})/g, '$1\n').trimEnd();
  return {
    certPem: `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** True when the stored certificate is usable for `host` for at least another day. */
export function certUsable(cert: ServingCert, host: string): boolean {
  try {
    const x = new X509Certificate(cert.certPem);
    createPrivateKey(cert.keyPem);
    const fresh = new Date(x.validTo).getTime() > Date.now() + 24 * 3600_000;
    const covers = isIP(host) !== 0 ? host === '0.0.0.0' || host === '::' || x.checkIP(host) !== undefined : x.checkHost(host) !== undefined;
    return fresh && covers && x.checkPrivateKey(createPrivateKey(cert.keyPem));
  } catch {
    return false;
  }
}
