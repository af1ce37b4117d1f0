// The embedded single-node Kubernetes-compatible API server: public entry point.
//
// startEmbeddedApiServer() wires storage (SQLite in `dataDir`, else memory), the object store
// with its change history, the registry (built-ins + CRDs), the lifecycle rules and the HTTP
// front, ensures the system namespaces exist, and listens (127.0.0.1, random port by default).
// The bearer token is taken from options, else from the data directory, else generated (and
// persisted there); a kubeconfig is written when a path is given.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, lstatSync, mkdtempSync, unlinkSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { silentLogger, type Logger } from '../observability/logger.ts';
import { ApiError, toApiError, unauthorized } from './errors.ts';
import { Core } from './handlers/core.ts';
import { route } from './http/router.ts';
import { LocalNode } from './node/local-node.ts';
import { PodStreams, refuseUpgrade } from './node/streams.ts';
import { Lifecycle } from './handlers/lifecycle.ts';
import { createRequestHandler } from './http/server.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { newUid, nowTimestamp } from './meta.ts';
import { builtinTypes, NAMESPACE_STORAGE_KEY, SYSTEM_NAMESPACES } from './registry/builtins.ts';
import { Registry } from './registry/registry.ts';
import { MemoryPersistence } from './storage/memory.ts';
import { SqlitePersistence } from './storage/sqlite.ts';
import type { Persistence } from './storage/types.ts';
import { ObjectStore } from './store.ts';
import { WatchHub } from './watch/hub.ts';
import { certUsable, generateServingCert, type ServingCert } from './tls.ts';

export interface EmbeddedApiServerOptions {
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /**
   * Serve HTTPS with a self-signed certificate (default true). kubectl sends bearer tokens only
   * over TLS; plain HTTP (false) is for in-process clients that are given the token directly.
   */
  tls?: boolean;
  /** Port; 0 (default) picks a free one. */
  port?: number;
  /** Directory for the SQLite database; undefined = in memory. */
  dataDir?: string;
  /** Bearer token; default: generated at first start and persisted in dataDir. */
  token?: string;
  /** Write a kubeconfig (mode 0600) for this server here. */
  kubeconfigPath?: string;
  /** Changes kept for watch resume and paged lists; default 10000. */
  watchHistory?: number;
  /** Interval of BOOKMARK events on watches that allow them; default 60 s. */
  bookmarkIntervalMs?: number;
  /** Largest accepted request body; default 3 MiB, like Kubernetes. */
  maxBodyBytes?: number;
  logger?: Logger;
  /**
   * Run a local node that executes the pods scheduled to it as host processes (no isolation:
   * tests and demos only). Its pod directories go to `dir` (default `<dataDir>/node`, else a
   * temporary directory); `images` maps image names to directories put first on PATH.
   */
  localNode?: { name?: string; dir?: string; images?: Readonly<Record<string, string>> };
  /**
   * Also serve plain HTTP on this Unix socket, for a client in the same process (the operator
   * on its embedded server): no TLS to pay for on either end, and only the owner can connect
   * (mode 0600; put it in a private directory such as the data directory). The bearer token is
   * required as on the TCP port. A stale socket file from a crash is replaced.
   */
  socketPath?: string;
}

export interface EmbeddedApiServer {
  /** Base URL, e.g. https://127.0.0.1:38121 */
  url: string;
  token: string;
  /** PEM of the self-signed serving certificate (the CA clients must trust); undefined without TLS. */
  caData?: string;
  kubeconfigPath?: string;
  /** The Unix socket served besides the TCP port (options.socketPath). */
  socketPath?: string;
  close(): Promise<void>;
}

const DEFAULTS = { host: '127.0.0.1', port: 0, watchHistory: 10_000, bookmarkIntervalMs: 60_000, maxBodyBytes: 3 * 1024 * 1024 };
const MAX_WATCH_BUFFER = 64 * 1024 * 1024;

function resolveToken(persistence: Persistence, given: string | undefined): string {
  if (given !== undefined && given !== '') return given;
  const stored = persistence.getSetting('token');
  if (stored !== undefined) return stored;
  const token = randomBytes(32).toString('base64url');
  persistence.setSetting('token', token);
  return token;
}

function resolveCert(persistence: Persistence, host: string): ServingCert {
  const certPem = persistence.getSetting('tls.cert');
  const keyPem = persistence.getSetting('tls.key');
  if (certPem !== undefined && keyPem !== undefined && certUsable({ certPem, keyPem }, host)) return { certPem, keyPem };
  const cert = generateServingCert(host);
  persistence.setSetting('tls.cert', cert.certPem);
  persistence.setSetting('tls.key', cert.keyPem);
  return cert;
}

function ensureSystemNamespaces(core: Core): void {
  const missing = SYSTEM_NAMESPACES.filter((name) => core.store.get(NAMESPACE_STORAGE_KEY, '', name) === undefined);
  if (missing.length === 0) return;
  core.commit(
    missing.map((name) => ({
      key: NAMESPACE_STORAGE_KEY,
      namespace: '',
      name,
      object: {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, uid: newUid(), creationTimestamp: nowTimestamp(), labels: { 'kubernetes.io/metadata.name': name } },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      },
    })),
  );
}

function startLocalNode(core: Core, opts: EmbeddedApiServerOptions, logger: Logger): LocalNode | undefined {
  if (opts.localNode === undefined) return undefined;
  const dir = opts.localNode.dir ?? (opts.dataDir !== undefined ? join(opts.dataDir, 'node') : mkdtempSync(join(tmpdir(), 'gastown-local-node-')));
  const node = new LocalNode(core, { ...opts.localNode, dir, logger });
  node.start();
  return node;
}

/** exec/attach WebSocket upgrades: authenticated like any request, then handed to the node's streams. */
function upgradePodStream(core: Core, token: string, node: LocalNode | undefined, streams: PodStreams, req: IncomingMessage, socket: Socket, head: Buffer): void {
  try {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const given = Buffer.from(/^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim() ?? '');
    const expected = Buffer.from(token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw unauthorized();
    const r = route(url.pathname);
    if (r.kind !== 'resource' || r.group !== '' || r.resource !== 'pods' || r.namespace === undefined || r.name === undefined || (r.subresource !== 'exec' && r.subresource !== 'attach')) {
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    }
    const exists = core.store.get('/pods', r.namespace, r.name) !== undefined;
    streams.upgrade(node, exists, { namespace: r.namespace, name: r.name, subresource: r.subresource }, url.searchParams, req, socket, head);
  } catch (err) {
    refuseUpgrade(socket, toApiError(err));
  }
}

/** Tracks the server's connections in `sockets` (to end them at close), answers malformed requests, routes upgrades. */
function handleConnections(server: Server, sockets: Set<Socket>, upgrade: (req: IncomingMessage, socket: Socket, head: Buffer) => void): void {
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // A malformed request line or header never reaches the handler: answer 400 and drop it.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  server.on('upgrade', upgrade);
}

/** The plain-HTTP server on the Unix socket, when one is asked for (options.socketPath). */
async function serveSocket(
  socketPath: string | undefined,
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  sockets: Set<Socket>,
  upgrade: (req: IncomingMessage, socket: Socket, head: Buffer) => void,
): Promise<Server | undefined> {
  if (socketPath === undefined) return undefined;
  const server = createHttpServer({ keepAliveTimeout: 30_000 }, listener);
  handleConnections(server, sockets, upgrade);
  await listenOnSocket(server, socketPath);
  return server;
}

/** True when something accepts connections on the Unix socket at `socketPath`. */
function socketInUse(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/**
 * Listens on a Unix socket path with mode 0600. A socket file nobody listens on (left by a
 * crash) is replaced; a live one (another server on this data directory) or any other kind of
 * file is an error.
 */
async function listenOnSocket(server: Server, socketPath: string): Promise<void> {
  const existing = lstatSync(socketPath, { throwIfNoEntry: false });
  if (existing !== undefined) {
    if (!existing.isSocket()) throw new Error(`${socketPath} exists and is not a socket: refusing to replace it`);
    if (await socketInUse(socketPath)) throw new Error(`${socketPath} is in use: another API server runs on this data directory`);
    unlinkSync(socketPath);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(socketPath, 0o600);
}

function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

export async function startEmbeddedApiServer(opts: EmbeddedApiServerOptions = {}): Promise<EmbeddedApiServer> {
  const logger = (opts.logger ?? silentLogger()).child({ component: 'apiserver' });
  const persistence: Persistence = opts.dataDir === undefined ? new MemoryPersistence() : new SqlitePersistence(opts.dataDir);
  try {
    const hub = new WatchHub();
    const store = new ObjectStore(persistence, hub, opts.watchHistory ?? DEFAULTS.watchHistory);
    const registry = new Registry(builtinTypes());
    const core = new Core(registry, store, hub, logger, {
      bookmarkIntervalMs: opts.bookmarkIntervalMs ?? DEFAULTS.bookmarkIntervalMs,
      maxWatchBufferBytes: MAX_WATCH_BUFFER,
    });
    const lifecycle = new Lifecycle(core);
    lifecycle.resume();
    ensureSystemNamespaces(core);
    const token = resolveToken(persistence, opts.token);
    const node = startLocalNode(core, opts, logger);
    const streams = new PodStreams();

    let address = '';
    const handler = createRequestHandler(core, {
      token,
      maxBodyBytes: opts.maxBodyBytes ?? DEFAULTS.maxBodyBytes,
      serverAddress: () => address,
      logger,
      ...(node === undefined ? {} : { node }),
    });
    const host = opts.host ?? DEFAULTS.host;
    const cert = opts.tls === false ? undefined : resolveCert(persistence, host);
    const listener = handler;
    const server: Server = cert === undefined
      ? createHttpServer({ keepAliveTimeout: 30_000 }, listener)
      : createHttpsServer({ keepAliveTimeout: 30_000, key: cert.keyPem, cert: cert.certPem }, listener);
    const sockets = new Set<Socket>();
    const upgrade = (req: IncomingMessage, socket: Socket, head: Buffer): void => upgradePodStream(core, token, node, streams, req, socket, head);
    handleConnections(server, sockets, upgrade);
    const info = await listen(server, host, opts.port ?? DEFAULTS.port);
    const socketServer = await serveSocket(opts.socketPath, listener, sockets, upgrade).catch((err: unknown) => {
      server.close();
      throw err;
    });
    const servers = [server, socketServer].filter((srv): srv is Server => srv !== undefined);
    address = `${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port}`;
    const url = `${cert === undefined ? 'http' : 'https'}://${address}`;
    if (opts.kubeconfigPath !== undefined) {
      writeKubeconfig(opts.kubeconfigPath, { server: url, token, caPem: cert?.certPem });
      logger.info({ kubeconfig: opts.kubeconfigPath, url }, `kubeconfig written to ${opts.kubeconfigPath}`);
    }
    logger.info({ url, durable: persistence.durable, version: store.version }, 'embedded API server listening');

    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        streams.close();
        // The node's pods are stopped first, so no process outlives the server.
        await node?.stop();
        const closed = servers.map((srv) => new Promise<void>((resolve) => srv.close(() => resolve())));
        // Watches are long-lived: end them so close() does not wait for their timeouts.
        for (const socket of sockets) socket.destroy();
        await Promise.all(closed);
        // The server removes its socket file on close; the last writes (the node's, the
        // lifecycle's) reach the disk before the database closes.
        await store.durable().catch((err: unknown) => logger.error({ err }, 'the last writes could not be synced before closing'));
        persistence.close();
      })();
      return closing;
    };
    const result: EmbeddedApiServer = { url, token, close, ...(socketServer === undefined ? {} : { socketPath: opts.socketPath }) };
    if (cert !== undefined) result.caData = cert.certPem;
    if (opts.kubeconfigPath !== undefined) result.kubeconfigPath = opts.kubeconfigPath;
    return result;
  } catch (err) {
    persistence.close();
    throw err;
  }
}
