// The gt proxy's admin API (gt-contract: plain HTTP on the town host's loopback), the only
// place that mints and revokes polecat certificates: `POST /v1/admin/issue-cert`
// `{"rig","name","ttl"}` -> `{"cn","cert","key","ca","serial","expires_at"}`, and
// `POST /v1/admin/deny-cert` `{"serial"}` -> 204.
//
// Guarantees: errors are values with a kind (`Unavailable`: the proxy did not answer or
// answered 5xx, worth retrying; `Refused`: it said no (4xx), retrying will not help;
// `Invalid`: an answer that is not a certificate); every call has a timeout; the key material
// is returned to the caller and never logged or put in an error message.
import { z } from 'zod';

export type ProxyAdminError = { readonly kind: 'Unavailable' | 'Refused' | 'Invalid'; readonly message: string };
export type ProxyResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ProxyAdminError };

const issuedSchema = z.object({
  cn: z.string().min(1),
  cert: z.string().includes('BEGIN CERTIFICATE'),
  key: z.string().includes('PRIVATE KEY'),
  ca: z.string().includes('BEGIN CERTIFICATE'),
  serial: z.string().regex(/^[0-9a-fA-F]+$/),
  expires_at: z.string().optional(),
});

/** A certificate the proxy issued (PEM). */
export interface IssuedCertificate {
  readonly cn: string;
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
  readonly serial: string;
  readonly expiresAt?: string;
}

export interface ProxyAdmin {
  issueCert(adminURL: string, rig: string, name: string, ttl: string): Promise<ProxyResult<IssuedCertificate>>;
  denyCert(adminURL: string, serial: string): Promise<ProxyResult<void>>;
}

const TIMEOUT_MS = 10_000;

async function post(adminURL: string, path: string, body: object): Promise<ProxyResult<{ status: number; text: string }>> {
  const url = `${adminURL.replace(/\/+$/, '')}${path}`;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await res.text();
    if (res.status >= 500) return { ok: false, error: { kind: 'Unavailable', message: `${url}: HTTP ${res.status} ${text.trim().slice(0, 200)}` } };
    if (res.status >= 400) return { ok: false, error: { kind: 'Refused', message: `${url}: HTTP ${res.status} ${text.trim().slice(0, 300)}` } };
    return { ok: true, value: { status: res.status, text } };
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return { ok: false, error: { kind: 'Unavailable', message: `${url}: ${error instanceof Error ? error.message : String(error)}${cause}` } };
  }
}

/** The admin API over HTTP (fetch). */
export const httpProxyAdmin: ProxyAdmin = {
  async issueCert(adminURL, rig, name, ttl) {
    const res = await post(adminURL, '/v1/admin/issue-cert', { rig, name, ttl });
    if (!res.ok) return res;
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.value.text);
    } catch {
      return { ok: false, error: { kind: 'Invalid', message: 'issue-cert answered with something other than JSON' } };
    }
    const cert = issuedSchema.safeParse(parsed);
    if (!cert.success) return { ok: false, error: { kind: 'Invalid', message: 'issue-cert answered without a certificate, key, CA and serial' } };
    const { expires_at: expiresAt, ...rest } = cert.data;
    return { ok: true, value: { ...rest, serial: rest.serial.toLowerCase(), ...(expiresAt === undefined ? {} : { expiresAt }) } };
  },
  async denyCert(adminURL, serial) {
    const res = await post(adminURL, '/v1/admin/deny-cert', { serial });
    return res.ok ? { ok: true, value: undefined } : res;
  },
};
