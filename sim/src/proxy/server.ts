// The simulated gt proxy server (gastown cmd/gt-proxy-server, internal/proxy/server.go):
// mTLS (TLS 1.3 only, client certificates required and verified against the town CA in
// `<town>/.runtime/ca`), `POST /v1/exec` and `/v1/git/<rig>/...` for callers whose certificate
// CN is `gt-<rig>-<name>` and whose serial is not denied (checked at the handshake and again on
// every request, so a denied certificate loses a kept-alive connection too), plus the admin API
// on a separate plain-HTTP listener (loopback by default). See docs/sim-proxy.md.
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { handleAdmin } from './admin.ts';
import { cnToIdentity, issueServer, loadOrCreateCa, normalizeSerial } from './ca.ts';
import { handleExec } from './exec.ts';
import type { ExecPolicy } from './exec.ts';
import { handleGit } from './git.ts';
import { httpError } from './http.ts';
import { Semaphore, TokenBuckets } from './limits.ts';

/** gastown's default allowlists (docs/proxy-server.md, "Allowed commands and subcommands"). */
export const DEFAULT_SUBCOMMANDS: Readonly<Record<string, readonly string[]>> = {
  gt: ['prime', 'hook', 'done', 'mail', 'nudge', 'mol', 'status', 'handoff', 'version', 'convoy', 'sling'],
  bd: ['create', 'update', 'close', 'show', 'list', 'ready', 'dep', 'export', 'prime', 'stats', 'blocked', 'doctor'],
};

export interface ProxyOptions {
  townRoot: string;
  /** Default `<town>/.runtime/ca`. */
  caDir?: string;
  /** mTLS listener; default 0.0.0.0:9876 (port 0 = any free port). */
  host?: string;
  port?: number;
  /** Admin listener; default 127.0.0.1:9877; `adminPort: null` disables it. */
  adminHost?: string;
  adminPort?: number | null;
  /** Binary name -> absolute path (default: the simulator's sim/bin/gt and sim/bin/bd). */
  binaries?: Readonly<Record<string, string>>;
  subcommands?: Readonly<Record<string, readonly string[]>>;
  /** Extra server certificate SANs (host names or IPs) beyond localhost and 127.0.0.1. */
  sanHosts?: readonly string[];
  rate?: number;
  burst?: number;
  maxConcurrent?: number;
  execTimeoutMs?: number;
  /** Environment added to exec'd commands (the simulator's GT_SIM_NODE). */
  extraEnv?: Readonly<Record<string, string>>;
}

export interface RunningProxy {
  /** `https://<host>:<port>` (127.0.0.1 when listening on all addresses). */
  url: string;
  /** `http://127.0.0.1:<port>`, undefined when the admin API is off. */
  adminUrl?: string;
  caCertPath: string;
  /** Serials refused from now on (lowercase hex). */
  deny: Set<string>;
  close(): Promise<void>;
}

const SIM_BIN = join(import.meta.dirname, '..', '..', 'bin');
const SERVER_CERT_TTL_MS = 365 * 24 * 3600_000;

interface PeerCert {
  subject?: { CN?: string | string[] };
  serialNumber?: string;
}

function peer(socket: TLSSocket): { cn: string; serial: string } {
  const cert = socket.getPeerCertificate() as PeerCert;
  const cn = cert.subject?.CN;
  return { cn: Array.isArray(cn) ? (cn[0] ?? '') : (cn ?? ''), serial: normalizeSerial(cert.serialNumber ?? '') };
}

function listen(server: HttpServer | HttpsServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: HttpServer | HttpsServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function execPolicy(opts: ProxyOptions): ExecPolicy {
  const binaries = opts.binaries ?? { gt: join(SIM_BIN, 'gt'), bd: join(SIM_BIN, 'bd') };
  const subs = opts.subcommands ?? DEFAULT_SUBCOMMANDS;
  return {
    townRoot: opts.townRoot,
    binaries: new Map(Object.entries(binaries)),
    subcommands: new Map(Object.entries(subs).map(([k, v]) => [k, new Set(v)])),
    timeoutMs: opts.execTimeoutMs ?? 60_000,
    buckets: new TokenBuckets(opts.rate ?? 10, opts.burst ?? 20),
    slots: new Semaphore(opts.maxConcurrent ?? 32),
    extraEnv: opts.extraEnv ?? {},
  };
}

async function route(req: IncomingMessage, res: ServerResponse, policy: ExecPolicy, deny: ReadonlySet<string>): Promise<void> {
  const { cn, serial } = peer(req.socket as TLSSocket);
  if (deny.has(serial)) {
    res.setHeader('connection', 'close');
    return httpError(res, 403, 'certificate revoked');
  }
  const identity = cnToIdentity(cn);
  if (identity === undefined) return httpError(res, 403, `client certificate CN ${JSON.stringify(cn)} is not a polecat identity (gt-<rig>-<name>)`);
  const url = new URL(req.url ?? '/', 'https://proxy');
  if (url.pathname === '/v1/exec') return handleExec(req, res, policy, `${identity.rig}/${identity.name}`);
  if (url.pathname.startsWith('/v1/git/')) return handleGit(req, res, url, policy.townRoot, identity);
  return httpError(res, 404, '404 page not found');
}

export async function startProxy(opts: ProxyOptions): Promise<RunningProxy> {
  const caDir = opts.caDir ?? join(opts.townRoot, '.runtime', 'ca');
  const ca = await loadOrCreateCa(caDir);
  const host = opts.host ?? '0.0.0.0';
  const sans = ['localhost', '127.0.0.1', ...(host !== '0.0.0.0' && host !== '::' ? [host] : []), ...(opts.sanHosts ?? [])];
  const serverCert = await issueServer(ca, [...new Set(sans)], SERVER_CERT_TTL_MS);
  const deny = new Set<string>();
  const policy = execPolicy(opts);
  const tls = createHttpsServer({
    key: serverCert.keyPem, cert: serverCert.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3',
    headersTimeout: 30_000, requestTimeout: 300_000, keepAliveTimeout: 120_000,
  }, (req, res) => {
    route(req, res, policy, deny).catch((error: unknown) => httpError(res, 500, `internal error: ${error instanceof Error ? error.message : String(error)}`));
  });
  // The revocation check at the handshake (upstream VerifyPeerCertificate): a denied serial
  // never gets to send a request.
  tls.on('secureConnection', (socket: TLSSocket) => {
    if (deny.has(peer(socket).serial)) socket.destroy();
  });
  const port = await listen(tls, opts.port ?? 9876, host);
  let admin: HttpServer | undefined;
  let adminUrl: string | undefined;
  if (opts.adminPort !== null) {
    admin = createHttpServer((req, res) => {
      handleAdmin(req, res, ca, deny).catch((error: unknown) => httpError(res, 500, `internal error: ${error instanceof Error ? error.message : String(error)}`));
    });
    const adminHost = opts.adminHost ?? '127.0.0.1';
    adminUrl = `http://${adminHost}:${await listen(admin, opts.adminPort ?? 9877, adminHost)}`;
  }
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    url: `https://${shownHost}:${port}`,
    ...(adminUrl !== undefined ? { adminUrl } : {}),
    caCertPath: join(caDir, 'ca.crt'),
    deny,
    close: async () => {
      await Promise.all([closeServer(tls), ...(admin !== undefined ? [closeServer(admin)] : [])]);
    },
  };
}
