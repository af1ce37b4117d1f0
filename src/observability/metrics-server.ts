// GET /metrics: the operator's registry in the Prometheus text format (content type from the
// registry). Everything else is 404; a failing collector answers 500 (and is logged) rather
// than a partial scrape that would silently drop series.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from './logger.ts';
import { silentLogger } from './logger.ts';
import { listen, parseListenAddress, sendText, type RunningServer } from './http-listen.ts';

export interface MetricsServerOptions {
  /** Bind address (`host:port`, `:port`, `0` = disabled). */
  readonly addr: string;
  readonly registry: Registry;
  readonly logger?: Logger;
}

/** Starts the metrics endpoint; resolves to undefined when `addr` is `0`. */
export async function startMetricsServer(options: MetricsServerOptions): Promise<RunningServer | undefined> {
  const address = parseListenAddress(options.addr, '--metrics-addr');
  if (!address) return undefined;
  const log = (options.logger ?? silentLogger()).child({ component: 'metrics' });
  const server = await listen(address, (req, res) => {
    void serve(req, res, options.registry, log);
  });
  log.info({ url: `${server.url}/metrics` }, 'serving metrics');
  return server;
}

async function serve(req: IncomingMessage, res: ServerResponse, registry: Registry, log: Logger): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://metrics').pathname;
  if (path !== '/metrics') return sendText(res, 404, '404 page not found\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return sendText(res, 405, 'method not allowed\n');
  }
  try {
    const body = await registry.metrics();
    res.writeHead(200, { 'Content-Type': registry.contentType, 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch (error) {
    log.error({ err: error }, 'collecting metrics failed');
    sendText(res, 500, `collecting metrics failed: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}
