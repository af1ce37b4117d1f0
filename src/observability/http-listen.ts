// Bind addresses of the operator's own HTTP endpoints (metrics, health), in controller-runtime's
// spelling: `host:port`, `:port` (every interface), `[::1]:port`, and `0` to disable the
// endpoint. `:0` asks for a free port (tests).
//
// Defaults follow the kubebuilder layout (`:8080` metrics, `:8081` probes) because the
// Deployment is the primary way to run the operator: the kubelet probes the pod IP and
// Prometheus scrapes it, so both must listen on every interface of the pod. Neither endpoint
// serves anything secret (phases and counters of the views); on a laptop, pass
// `--metrics-addr 127.0.0.1:8080` to keep them local, or `0` to switch them off.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const DEFAULT_METRICS_ADDR = ':8080';
export const DEFAULT_HEALTH_ADDR = ':8081';
/** The address value that disables an endpoint. */
export const DISABLED_ADDR = '0';

export interface ListenAddress {
  /** Interface to bind; undefined = every interface (IPv4 and IPv6 where available). */
  readonly host: string | undefined;
  readonly port: number;
}

/**
 * Parses a bind address; undefined means disabled (`0`). Throws a RangeError naming the
 * flag on anything else that is not `[host]:port` with a port in 0..65535.
 */
export function parseListenAddress(addr: string, flag = 'address'): ListenAddress | undefined {
  const value = addr.trim();
  if (value === DISABLED_ADDR) return undefined;
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || port > 65_535) {
    throw new RangeError(`${flag} must be host:port, :port or 0 (disabled), got ${JSON.stringify(addr)}`);
  }
  const host = match[1] ?? match[2];
  return { host: host === undefined || host === '' ? undefined : host, port };
}

/** A listening endpoint. */
export interface RunningServer {
  /** `http://host:port` with the port actually bound (useful with `:0`). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Listens on `address`; rejects (EADDRINUSE, EACCES...) instead of crashing later. */
export async function listen(address: ListenAddress, handler: RequestHandler): Promise<RunningServer> {
  const server = createServer(handler);
  // Probes and scrapes are short; do not let an idle keep-alive hold shutdown up.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const host = address.host ?? '127.0.0.1';
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${urlHost}:${bound.port}`, port: bound.port, close: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/** Writes a plain-text reply (the only kind these endpoints give besides metrics). */
export function sendText(res: ServerResponse, status: number, body: string, headOnly = false): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(headOnly ? undefined : body);
}
