// The gt proxy's certificate authority (gastown internal/proxy/ca.go): an ECDSA P-256 CA
// `CN=GasTown CA` valid 10 years, stored as `ca.crt` + `ca.key` (PKCS#8 PEM, mode 0600, dir
// 0700) and created on first use; leaf certificates are P-256 with a random 128-bit serial,
// NotBefore one minute back, key usage digitalSignature and one extended key usage (clientAuth
// for polecats, serverAuth with DNS/IP SANs for the proxy itself). X.509 via @peculiar/x509
// on Node's WebCrypto: no hand-rolled DER, no openssl.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import type { webcrypto } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

const crypto = globalThis.crypto;
x509.cryptoProvider.set(crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const MINUTE = 60_000;
const CA_VALIDITY_MS = 10 * 365 * 24 * 60 * MINUTE;

export interface Ca {
  cert: x509.X509Certificate;
  certPem: string;
  privateKey: webcrypto.CryptoKey;
}

export interface IssuedCert {
  certPem: string;
  keyPem: string;
  /** Lowercase hex without leading zeros (Go's big.Int Text(16)). */
  serial: string;
  notAfter: Date;
}

/** A polecat CN `gt-<rig>-<name>` split at its last `-`; undefined when malformed. */
export function cnToIdentity(cn: string): { rig: string; name: string } | undefined {
  if (!cn.startsWith('gt-')) return undefined;
  const rest = cn.slice(3);
  const idx = rest.lastIndexOf('-');
  if (idx <= 0 || idx === rest.length - 1) return undefined;
  return { rig: rest.slice(0, idx), name: rest.slice(idx + 1) };
}

/** Normalises a serial to Go's big.Int Text(16) form (lowercase, no leading zeros). */
export function normalizeSerial(hex: string): string {
  const s = hex.replace(/:/g, '').toLowerCase().replace(/^0+/, '');
  return s === '' ? '0' : s;
}

function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive DER INTEGER
  return bytes.toString('hex');
}

function pem(der: ArrayBuffer, label: string): string {
  return x509.PemConverter.encode(der, label);
}

function writePrivate(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

async function createCa(dir: string): Promise<void> {
  const keys = await crypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(), name: 'CN=GasTown CA', notBefore: new Date(now - MINUTE), notAfter: new Date(now + CA_VALIDITY_MS),
    keys, signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  writePrivate(join(dir, 'ca.key'), pem(await crypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY'));
  writeFileSync(join(dir, 'ca.crt'), cert.toString('pem'));
}

/** Loads the CA from `dir`, creating it first when either file is missing. */
export async function loadOrCreateCa(dir: string): Promise<Ca> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(join(dir, 'ca.crt')) || !existsSync(join(dir, 'ca.key'))) await createCa(dir);
  const certPem = readFileSync(join(dir, 'ca.crt'), 'utf8');
  const cert = new x509.X509Certificate(certPem);
  if (cert.notAfter.getTime() < Date.now()) throw new Error(`ca cert expired at ${cert.notAfter.toISOString()}; delete ${dir} and restart to regenerate`);
  const keyDer = x509.PemConverter.decodeFirst(readFileSync(join(dir, 'ca.key'), 'utf8'));
  const privateKey = await crypto.subtle.importKey('pkcs8', keyDer, ALG, false, ['sign']);
  return { cert, certPem, privateKey };
}

async function issue(ca: Ca, cn: string, ttlMs: number, usage: x509.ExtendedKeyUsage, sans: x509.JsonGeneralName[]): Promise<IssuedCert> {
  const keys = await crypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const now = Date.now();
  const notAfter = new Date(now + ttlMs);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([usage]),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
  ];
  if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans));
  const serial = randomSerial();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial, subject: `CN=${cn}`, issuer: ca.cert.subject, notBefore: new Date(now - MINUTE), notAfter,
    signingAlgorithm: ALG, publicKey: keys.publicKey, signingKey: ca.privateKey, extensions,
  });
  const keyPem = pem(await crypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  return { certPem: cert.toString('pem'), keyPem, serial: normalizeSerial(serial), notAfter: new Date(Math.floor(notAfter.getTime() / 1000) * 1000) };
}

/** A polecat client certificate; refuses a CN that does not read back as `gt-<rig>-<name>`. */
export function issuePolecat(ca: Ca, cn: string, ttlMs: number): Promise<IssuedCert> {
  if (cnToIdentity(cn) === undefined) return Promise.reject(new Error(`invalid polecat CN "${cn}": must be gt-<rig>-<name> with non-empty rig and name`));
  return issue(ca, cn, ttlMs, x509.ExtendedKeyUsage.clientAuth, []);
}

/** The proxy's own server certificate for the given host names and IP addresses. */
export function issueServer(ca: Ca, hosts: readonly string[], ttlMs: number): Promise<IssuedCert> {
  const sans: x509.JsonGeneralName[] = hosts.map((h) => (isIP(h) !== 0 ? { type: 'ip', value: h } : { type: 'dns', value: h }));
  return issue(ca, 'gt-proxy-server', ttlMs, x509.ExtendedKeyUsage.serverAuth, sans);
}
