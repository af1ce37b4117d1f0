// `gastown-operator apiserver`: the embedded API server (and its optional local node) alone.
import type { ApiServerFlags } from '../cli.ts';
import type { EmbeddedApiServerOptions } from '../apiserver/index.ts';
import { serveStandalone } from '../apiserver/standalone.ts';
import { createLogger } from '../observability/logger.ts';

export async function runApiServerCommand(flags: ApiServerFlags): Promise<void> {
  const opts: EmbeddedApiServerOptions = {
    host: flags.host,
    port: flags.port,
    logger: createLogger({ level: flags.logLevel, destination: process.stderr }),
  };
  if (flags.dataDir !== undefined) opts.dataDir = flags.dataDir;
  if (flags.kubeconfig !== undefined) opts.kubeconfigPath = flags.kubeconfig;
  if (flags.localNode) opts.localNode = { images: flags.localNodeImage };
  await serveStandalone(opts);
}
