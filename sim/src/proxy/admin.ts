// The proxy's local admin API (gastown internal/proxy/server.go handleIssueCert /
// handleDenyCert): plain HTTP, meant for 127.0.0.1 only. `POST /v1/admin/issue-cert`
// `{"rig","name","ttl"?}` (ttl a Go duration, default 720h) -> 200 `{"cn","cert","key","ca",
// "serial","expires_at"}`; `POST /v1/admin/deny-cert` `{"serial":"<hex>"}` -> 204. Bodies are
// capped at 1 KiB. Stricter than upstream: rig must match `[a-zA-Z0-9_-]+` and name
// `[a-zA-Z0-9_]+`, so the CN `gt-<rig>-<name>` always splits back into the same pair.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Ca } from './ca.ts';
import { issuePolecat, normalizeSerial } from './ca.ts';
import { BodyTooLarge, httpError, readLimited } from './http.ts';

const MAX_ADMIN_BODY = 1 << 10;
const DEFAULT_TTL_MS = 720 * 3600_000;
const UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go duration (`720h`, `1h30m`, `90s`, `1.5h`) to milliseconds. */
export function parseGoDuration(text: string): number | undefined {
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let at = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? Number.NaN);
    at = re.lastIndex;
  }
  return text !== '' && at === text.length && Number.isFinite(total) ? total : undefined;
}

async function readJson(req: IncomingMessage, res: ServerResponse): Promise<Record<string, unknown> | undefined> {
  try {
    const body = await readLimited(req, MAX_ADMIN_BODY);
    const value: unknown = JSON.parse(body.toString('utf8'));
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    httpError(res, 400, 'bad request: body must be a JSON object');
  } catch (error) {
    httpError(res, 400, `bad request: ${error instanceof BodyTooLarge || error instanceof SyntaxError ? error.message : 'read error'}`);
  }
  return undefined;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

async function issueCert(req: IncomingMessage, res: ServerResponse, ca: Ca): Promise<void> {
  const body = await readJson(req, res);
  if (body === undefined) return;
  const rig = str(body['rig']);
  const name = str(body['name']);
  if (rig === '') return httpError(res, 400, 'bad request: rig is required');
  if (name === '') return httpError(res, 400, 'bad request: name is required');
  let ttlMs = DEFAULT_TTL_MS;
  if (str(body['ttl']) !== '') {
    const parsed = parseGoDuration(str(body['ttl']));
    if (parsed === undefined) return httpError(res, 400, `bad request: invalid ttl: time: invalid duration ${JSON.stringify(str(body['ttl']))}`);
    if (parsed <= 0) return httpError(res, 400, 'bad request: ttl must be positive');
    ttlMs = parsed;
  }
  const cn = `gt-${rig}-${name}`;
  if (!/^[a-zA-Z0-9_-]+$/.test(rig) || !/^[a-zA-Z0-9_]+$/.test(name)) {
    return httpError(res, 400, `failed to issue certificate: invalid polecat CN ${JSON.stringify(cn)}: rig must match [a-zA-Z0-9_-]+ and name [a-zA-Z0-9_]+`);
  }
  const issued = await issuePolecat(ca, cn, ttlMs);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify({ cn, cert: issued.certPem, key: issued.keyPem, ca: ca.certPem, serial: issued.serial, expires_at: issued.notAfter.toISOString().replace('.000Z', 'Z') })}\n`);
}

async function denyCert(req: IncomingMessage, res: ServerResponse, deny: Set<string>): Promise<void> {
  const body = await readJson(req, res);
  if (body === undefined) return;
  const serial = str(body['serial']);
  if (serial === '') return httpError(res, 400, 'bad request: serial is required');
  if (!/^[0-9a-fA-F]+$/.test(serial)) return httpError(res, 400, 'bad request: serial must be lowercase hex (no 0x prefix)');
  deny.add(normalizeSerial(serial));
  res.writeHead(204);
  res.end();
}

export async function handleAdmin(req: IncomingMessage, res: ServerResponse, ca: Ca, deny: Set<string>): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://admin').pathname;
  if (path !== '/v1/admin/issue-cert' && path !== '/v1/admin/deny-cert') return httpError(res, 404, '404 page not found');
  if (req.method !== 'POST') return httpError(res, 405, 'method not allowed');
  if (path === '/v1/admin/issue-cert') return issueCert(req, res, ca);
  return denyCert(req, res, deny);
}
