// Standalone entry of the embedded API server:
//   node src/apiserver/main.ts [--data-dir DIR] [--port N] [--host H] [--kubeconfig FILE] [--token T]
// (standalone.ts says what it prints and how it stops; `gastown-operator apiserver` is the same.)
import { parseArgs } from 'node:util';
import { createLogger } from '../observability/logger.ts';
import type { EmbeddedApiServerOptions } from './index.ts';
import { serveStandalone } from './standalone.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      kubeconfig: { type: 'string' },
      token: { type: 'string' },
      'log-level': { type: 'string' },
    },
    strict: true,
  });
  const level = values['log-level'] === 'debug' || values['log-level'] === 'warn' || values['log-level'] === 'error' ? values['log-level'] : 'info';
  const logger = createLogger({ level, destination: process.stderr });
  const opts: EmbeddedApiServerOptions = { logger };
  if (values['data-dir'] !== undefined) opts.dataDir = values['data-dir'];
  if (values.port !== undefined) opts.port = Number(values.port);
  if (values.host !== undefined) opts.host = values.host;
  if (values.kubeconfig !== undefined) opts.kubeconfigPath = values.kubeconfig;
  if (values.token !== undefined) opts.token = values.token;
  await serveStandalone(opts);
}

main().catch((err: unknown) => {
  process.stderr.write(`apiserver failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
