// The pod streams the API server serves for the local node: `pods/log` over HTTP (follow,
// tailLines, container, previous) and `pods/exec` / `pods/attach` over WebSocket with the
// channel protocols kubectl 1.32 and @kubernetes/client-node speak (`v5.channel.k8s.io`, then
// `v4.channel.k8s.io`): one leading byte per frame names the stream — 0 stdin, 1 stdout,
// 2 stderr, 3 error (a Status; the exit code as a NonZeroExitCode cause), 4 resize
// ({"Width","Height"}); v5 adds 255 = close a stream. Every refusal is a Status, never a crash.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { ApiError, badRequest } from '../errors.ts';
import { resizeTty, spawnContainerProcess, type ContainerProcess } from './container.ts';
import type { LocalNode } from './local-node.ts';
import type { PodWorker } from './pod-worker.ts';

export const STREAM_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;
const FOLLOW_POLL_MS = 100;

function notFoundPod(namespace: string, name: string): ApiError {
  return new ApiError(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' }, );
}

function workerOf(node: LocalNode | undefined, namespace: string, name: string, exists: boolean): PodWorker {
  if (!exists) throw notFoundPod(namespace, name);
  const worker = node?.worker(namespace, name);
  if (worker === undefined) throw badRequest(`pod ${name} is not running on a node of this server${node === undefined ? ' (start it with --local-node)' : ''}`);
  return worker;
}

function containerName(worker: PodWorker, requested: string | null): string {
  const names = worker.containerNames();
  if (requested !== null && requested !== '') {
    if (!names.includes(requested)) throw badRequest(`container ${requested} is not valid for pod ${worker.name}`);
    return requested;
  }
  const mains = names.filter((n) => worker.container(n)?.slot.init === false);
  if (mains.length === 1 && mains[0] !== undefined) return mains[0];
  throw badRequest(`a container name must be specified for pod ${worker.name}, choose one of: [${mains.join(' ')}]`);
}

/** `GET pods/<name>/log`: the container's output as text, optionally followed. */
export function servePodLog(node: LocalNode | undefined, exists: boolean, namespace: string, name: string, query: URLSearchParams, res: ServerResponse): void {
  const worker = workerOf(node, namespace, name, exists);
  const container = containerName(worker, query.get('container'));
  const current = worker.restartCountOf(container);
  const previous = query.get('previous') === 'true';
  if (previous && current === 0) throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
  const path = worker.logPath(container, previous ? current - 1 : current);
  let offset = 0;
  let text: Buffer;
  try {
    text = readFrom(path, 0);
  } catch {
    throw badRequest(`container "${container}" in pod "${name}" is waiting to start`);
  }
  const tail = query.get('tailLines');
  if (tail !== null) {
    const n = Number(tail);
    if (!Number.isInteger(n) || n < 0) throw badRequest(`invalid tailLines ${JSON.stringify(tail)}`);
    const lines = text.toString('utf8').split(/(?<=\n)/);
    offset = text.length;
    text = Buffer.from(lines.slice(Math.max(0, lines.length - n)).join(''));
  } else {
    offset = text.length;
  }
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.write(text);
  const proc = worker.container(container)?.process;
  if (query.get('follow') !== 'true' || previous || proc === undefined || !proc.running) {
    res.end();
    return;
  }
  let done = false;
  void proc.exited.then(() => {
    done = true;
  });
  const timer = setInterval(() => {
    const more = readFrom(path, offset);
    offset += more.length;
    if (more.length > 0) res.write(more);
    if (done && more.length === 0) {
      clearInterval(timer);
      res.end();
    }
  }, FOLLOW_POLL_MS);
  res.on('close', () => clearInterval(timer));
}

function readFrom(path: string, offset: number): Buffer {
  const size = statSync(path).size;
  if (size <= offset) return Buffer.alloc(0);
  const buf = Buffer.alloc(size - offset);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, buf.length, offset);
  } finally {
    closeSync(fd);
  }
  return buf;
}

function exitStatus(code: number): string {
  if (code === 0) return JSON.stringify({ metadata: {}, status: 'Success' });
  return JSON.stringify({
    metadata: {}, status: 'Failure', message: `command terminated with non-zero exit code: exit status ${code}`, reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  });
}

function frame(channel: number, data: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from([channel]), typeof data === 'string' ? Buffer.from(data) : data]);
}

/** Refuses an upgrade with a Status body (the socket is still plain HTTP here). */
export function refuseUpgrade(socket: Duplex, err: ApiError): void {
  const body = JSON.stringify(err.toStatus());
  socket.end(`HTTP/1.1 ${err.code} ${err.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

interface Session {
  onStdin(data: Buffer): void;
  onCloseStdin(): void;
  onResize(width: number, height: number): void;
  onClientGone(): void;
}

export class PodStreams {
  private readonly wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => STREAM_PROTOCOLS.find((p) => offered.has(p)) ?? false });

  /** Upgrades an exec/attach request whose pod, container and protocol were checked. */
  upgrade(node: LocalNode | undefined, exists: boolean, r: { namespace: string; name: string; subresource: 'exec' | 'attach' }, query: URLSearchParams, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    try {
      const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
      if (!STREAM_PROTOCOLS.some((p) => offered.includes(p))) {
        throw badRequest(`unsupported stream protocol(s) [${offered.join(', ')}]: this server speaks ${STREAM_PROTOCOLS.join(', ')}`);
      }
      const worker = workerOf(node, r.namespace, r.name, exists);
      const container = containerName(worker, query.get('container'));
      const found = worker.container(container);
      if (found?.process === undefined || !found.process.running) throw badRequest(`container ${container} is not running in pod ${r.name}`);
      if (r.subresource === 'exec' && query.getAll('command').length === 0) throw badRequest('you must specify at least one command for the container');
      const proc = found.process;
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        if (r.subresource === 'exec') this.exec(ws, worker, container, query);
        else this.attach(ws, proc, found.slot.spec.stdin, found.slot.spec.tty, query);
      });
    } catch (err) {
      refuseUpgrade(socket, err instanceof ApiError ? err : badRequest(err instanceof Error ? err.message : String(err)));
    }
  }

  private wire(ws: WebSocket, session: Session): void {
    ws.on('message', (raw: RawData) => {
      const data = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as ArrayBuffer);
      const channel = data[0];
      const body = data.subarray(1);
      if (channel === STDIN) session.onStdin(body);
      else if (channel === RESIZE) {
        try {
          // kubectl sends {"Width","Height"}, client-node {"width","height"}: Go's JSON reads both.
          const size = JSON.parse(body.toString()) as { Width?: number; Height?: number; width?: number; height?: number };
          session.onResize(Number(size.Width ?? size.width), Number(size.Height ?? size.height));
        } catch {
          // A malformed resize frame is ignored, as the kubelet does.
        }
      } else if (channel === CLOSE && body[0] === STDIN) session.onCloseStdin();
    });
    ws.on('close', () => session.onClientGone());
    ws.on('error', () => session.onClientGone());
  }

  private exec(ws: WebSocket, worker: PodWorker, container: string, query: URLSearchParams): void {
    const slot = worker.container(container)?.slot;
    if (slot === undefined) return ws.close();
    const tty = query.get('tty') === 'true';
    const stdin = query.get('stdin') === 'true';
    let child: ReturnType<typeof spawnContainerProcess>;
    try {
      const launch = worker.launchFor(slot.spec);
      child = spawnContainerProcess({ argv: query.getAll('command'), env: launch.env, cwd: launch.cwd, tty, stdin });
    } catch (err) {
      ws.send(frame(ERROR, JSON.stringify({ metadata: {}, status: 'Failure', reason: 'InternalError', message: err instanceof Error ? err.message : String(err) })));
      ws.close(1000);
      return;
    }
    child.stdout?.on('data', (d: Buffer) => ws.send(frame(STDOUT, d)));
    child.stderr?.on('data', (d: Buffer) => ws.send(frame(STDERR, d)));
    child.stdin?.on('error', () => undefined);
    child.on('error', (err) => {
      ws.send(frame(ERROR, JSON.stringify({ metadata: {}, status: 'Failure', reason: 'InternalError', message: `exec: ${err.message}` })));
      ws.close(1000);
    });
    child.on('close', (code, signal) => {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(frame(ERROR, exitStatus(code ?? (signal === null ? 0 : 137))), () => ws.close(1000));
    });
    this.wire(ws, {
      onStdin: (d) => child.stdin?.write(d),
      onCloseStdin: () => child.stdin?.end(),
      onResize: (w, h) => resizeTty(child, w, h),
      onClientGone: () => {
        if (child.pid !== undefined && child.exitCode === null) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
      },
    });
  }

  private attach(ws: WebSocket, proc: ContainerProcess, hasStdin: boolean, tty: boolean, query: URLSearchParams): void {
    const wantStdin = query.get('stdin') === 'true';
    if (wantStdin && !hasStdin) {
      ws.send(frame(ERROR, JSON.stringify({ metadata: {}, status: 'Failure', reason: 'BadRequest', message: 'the container was not started with stdin: true' })), () => ws.close(1000));
      return;
    }
    const unsubscribe = proc.subscribe((stream, data) => {
      if (ws.readyState === ws.OPEN) ws.send(frame(stream === 'stderr' && !tty ? STDERR : STDOUT, data));
    });
    void proc.exited.then((exit) => {
      unsubscribe();
      if (ws.readyState === ws.OPEN) ws.send(frame(ERROR, exitStatus(exit.exitCode)), () => ws.close(1000));
    });
    this.wire(ws, {
      onStdin: (d) => {
        if (wantStdin) proc.writeStdin(d);
      },
      onCloseStdin: () => undefined,
      onResize: (w, h) => {
        if (tty) resizeTty(proc.child, w, h);
      },
      onClientGone: unsubscribe,
    });
  }

  close(): void {
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }
}
