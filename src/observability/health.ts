// The probe endpoints, after controller-runtime's healthz package:
//   GET /healthz  liveness: the process answers (and the optional `healthy` check passes);
//   GET /readyz   readiness: the supplied `ready()` check (caches synced, leader or standby).
// A passing check answers 200 `ok`; `?verbose` lists every check (`[+]name ok`). A failing
// check answers 503 with one `[-]reason` line per reason and `<endpoint> check failed`, so
// `kubectl describe pod` shows why a probe fails. (controller-runtime answers 500; the
// kubelet treats every status >= 400 as a failure, and 503 says "not yet" more precisely.)
// Only GET and HEAD are served; anything else is 405, unknown paths 404.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from './logger.ts';
import { silentLogger } from './logger.ts';
import { listen, parseListenAddress, sendText, type RunningServer } from './http-listen.ts';

/** The outcome of a check: `reasons` say what is missing (empty when passing). */
export interface CheckResult {
  readonly ready: boolean;
  readonly reasons: readonly string[];
}

export type Check = () => CheckResult;

export interface HealthServerOptions {
  /** Bind address (`host:port`, `:port`, `0` = disabled). */
  readonly addr: string;
  /** Readiness: caches synced and election running (leader or standby). */
  readonly ready: Check;
  /**
   * Liveness beyond "the event loop answers"; default always passing. Keep it to things a
   * restart would fix: a missing CRD or an unreachable gt is not a reason to be killed.
   */
  readonly healthy?: Check;
  readonly logger?: Logger;
}

const PASSING: Check = () => ({ ready: true, reasons: [] });

/** The reply to a probe, without HTTP: exported for tests and for reuse. */
export function probeReply(endpoint: 'healthz' | 'readyz', result: CheckResult, verbose: boolean): { status: number; body: string } {
  if (result.ready) {
    return { status: 200, body: verbose ? `[+]${endpoint === 'readyz' ? 'ready' : 'ping'} ok\n${endpoint} check passed\n` : 'ok' };
  }
  const reasons = result.reasons.length > 0 ? result.reasons : ['not ready (no reason given)'];
  return { status: 503, body: `${reasons.map((r) => `[-]${r}`).join('\n')}\n${endpoint} check failed\n` };
}

/** Starts the probe server; resolves to undefined when `addr` is `0`. */
export async function startHealthServer(options: HealthServerOptions): Promise<RunningServer | undefined> {
  const address = parseListenAddress(options.addr, '--health-addr');
  if (!address) return undefined;
  const log = (options.logger ?? silentLogger()).child({ component: 'health' });
  const checks: Record<string, Check> = { '/healthz': options.healthy ?? PASSING, '/readyz': options.ready };
  const server = await listen(address, (req, res) => handle(req, res, checks, log));
  log.info({ url: server.url }, 'serving /healthz and /readyz');
  return server;
}

function handle(req: IncomingMessage, res: ServerResponse, checks: Record<string, Check>, log: Logger): void {
  const url = new URL(req.url ?? '/', 'http://probe');
  const check = checks[url.pathname];
  if (!check) return sendText(res, 404, '404 page not found\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return sendText(res, 405, 'method not allowed\n');
  }
  let result: CheckResult;
  try {
    result = check();
  } catch (error) {
    log.warn({ err: error, path: url.pathname }, 'probe check threw');
    result = { ready: false, reasons: [`check threw: ${error instanceof Error ? error.message : String(error)}`] };
  }
  const endpoint = url.pathname === '/readyz' ? 'readyz' : 'healthz';
  const reply = probeReply(endpoint, result, url.searchParams.has('verbose'));
  sendText(res, reply.status, reply.body, req.method === 'HEAD');
}
