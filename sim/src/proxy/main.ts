// Entry point of the simulated `gt-proxy-server` (flags as gastown cmd/gt-proxy-server, the
// ones the simulator needs): --listen host:port (default 0.0.0.0:9876), --admin-listen
// host:port (default 127.0.0.1:9877, "" disables), --ca-dir (default <town>/.runtime/ca),
// --town-root (default $GT_TOWN_ROOT, $GT_TOWN, cwd), --extra-san host (repeatable). Prints the
// listening lines, then serves until SIGTERM/SIGINT.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { startProxy } from './server.ts';
import type { ProxyOptions } from './server.ts';

function hostPort(text: string, flag: string): { host: string; port: number } {
  const idx = text.lastIndexOf(':');
  const port = Number(text.slice(idx + 1));
  if (idx < 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${flag}: want host:port, got ${JSON.stringify(text)}`);
  return { host: text.slice(0, idx).replace(/^\[|\]$/g, '') || '0.0.0.0', port };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      listen: { type: 'string', default: '0.0.0.0:9876' },
      'admin-listen': { type: 'string', default: '127.0.0.1:9877' },
      'ca-dir': { type: 'string' },
      'town-root': { type: 'string' },
      'extra-san': { type: 'string', multiple: true, default: [] },
    },
  });
  const townRoot = resolve(values['town-root'] ?? process.env['GT_TOWN_ROOT'] ?? process.env['GT_TOWN'] ?? process.cwd());
  const listen = hostPort(values.listen, '--listen');
  const opts: ProxyOptions = { townRoot, host: listen.host, port: listen.port, sanHosts: values['extra-san'], adminPort: null };
  if (values['admin-listen'] !== '') {
    const admin = hostPort(values['admin-listen'], '--admin-listen');
    Object.assign(opts, { adminHost: admin.host, adminPort: admin.port });
  }
  if (values['ca-dir'] !== undefined) opts.caDir = resolve(values['ca-dir']);
  if (process.env['GT_SIM_NODE'] !== undefined) opts.extraEnv = { GT_SIM_NODE: process.env['GT_SIM_NODE'] };
  const proxy = await startProxy(opts);
  process.stdout.write(`gt-proxy-server: listening  addr=${proxy.url.slice('https://'.length)}  tls=mTLS\n`);
  if (proxy.adminUrl !== undefined) process.stdout.write(`gt-proxy-server: admin  addr=${proxy.adminUrl.slice('http://'.length)}\n`);
  const stop = (): void => {
    void proxy.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

try {
  await main();
} catch (error) {
  process.stderr.write(`gt-proxy-server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
