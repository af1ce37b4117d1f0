// A plain-HTTP recording proxy in front of the embedded API server (started with tls: false):
// counts and inspects requests (method, path, content type), can cut every open connection
// (a broken watch, as a network drop looks to the client) and can refuse requests for a while
// (an unreachable server), without touching the server's state.
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

export interface RecordedRequest {
  method: string;
  path: string;
  contentType: string | undefined;
}

export interface RecordingProxy {
  url: string;
  requests: RecordedRequest[];
  kubeConfig: KubeConfig;
  /** Destroys every open client and upstream connection. */
  breakConnections(): void;
  /** While true, requests get a 503 and no connection is kept. */
  setRefusing(refusing: boolean): void;
  /** While true, new watch requests are held; false forwards the held ones. */
  holdWatches(hold: boolean): void;
  close(): Promise<void>;
}

export function kubeConfigAt(url: string, token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    // client-node refuses plain http unless skipTLSVerify is set (there is no TLS to verify).
    clusters: [{ name: 'c', server: url, skipTLSVerify: true }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u', namespace: 'default' }],
    currentContext: 'x',
  });
  return kc;
}

export async function startProxy(target: string, token: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  const requests: RecordedRequest[] = [];
  let refusing = false;
  let holding = false;
  const held: (() => void)[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', contentType: req.headers['content-type'] });
    if (holding && (req.url ?? '').includes('watch=true')) {
      req.pause();
      held.push(() => forward(req, res));
      return;
    }
    forward(req, res);
  };
  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    if (refusing) {
      res.writeHead(503, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 503, reason: 'ServiceUnavailable', message: 'proxy refusing' }));
      return;
    }
    const out = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('socket', (s) => {
      if (sockets.has(s)) return;
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  };
  const server = createServer(handle);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const breakConnections = (): void => {
    for (const s of sockets) s.destroy();
  };
  return {
    url,
    requests,
    kubeConfig: kubeConfigAt(url, token),
    breakConnections,
    holdWatches: (hold) => {
      holding = hold;
      if (!hold) for (const release of held.splice(0)) release();
    },
    setRefusing: (r) => {
      refusing = r;
      if (r) breakConnections();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        breakConnections();
      }),
  };
}
