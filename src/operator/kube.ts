// Where the operator's API server is: the cluster named by --kubeconfig / KUBECONFIG /
// in-cluster / ~/.kube/config, or — with none of them, or when forced — the embedded
// Kubernetes-compatible API server, started here with its data directory and a kubeconfig
// file that kubectl can use. Either way every request shares one connection pool
// (runtime/connections.ts); to its embedded server the operator speaks plain HTTP over a Unix
// socket in the server's private data directory, while kubectl uses the TLS port. Also
// installs the CRDs when asked (always on the embedded server).
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { buildCrds } from '../api/crd.ts';
import { startEmbeddedApiServer, type EmbeddedApiServer } from '../apiserver/index.ts';
import type { Logger } from '../observability/logger.ts';
import { shareConnections, socketKubeConfig } from '../runtime/connections.ts';
import { crdKind, type CustomResourceDefinition } from '../runtime/crd-watch.ts';
import type { KubeClient } from '../runtime/k8s.ts';
import { isConflict } from '../runtime/k8s.ts';
import { resolveKubeConfig } from '../runtime/kubeconfig.ts';
import type { OperatorConfig } from './config.ts';

export interface KubeConnection {
  readonly kubeConfig: KubeConfig;
  /** Set when the embedded API server was started (close it on shutdown). */
  readonly embedded?: EmbeddedApiServer;
  /** The kubeconfig file kubectl should use (the embedded server's). */
  readonly kubeconfigPath?: string;
  /** Human description for the start-up log: which API server and why. */
  readonly source: string;
}

/** Longest Unix socket path Linux accepts (sun_path is 108 bytes with its terminating NUL). */
const MAX_SOCKET_PATH = 107;

function fromFile(file: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

export async function connectKube(config: OperatorConfig, logger: Logger): Promise<KubeConnection> {
  if (!config.embedded.force) {
    const resolved = resolveKubeConfig(config.kubeconfig === undefined ? {} : { explicitPath: config.kubeconfig });
    if (resolved.kind !== 'none') {
      const server = resolved.kubeConfig.getCurrentCluster()?.server ?? '(unknown server)';
      const from = resolved.kind === 'in-cluster' ? 'in-cluster service account' : `kubeconfig ${resolved.paths.join(':')}`;
      return { kubeConfig: shareConnections(resolved.kubeConfig), source: `${server} (${from})` };
    }
  }
  const kubeconfigPath = path.join(config.embedded.dataDir, 'kubeconfig');
  const dataDir = path.join(config.embedded.dataDir, 'apiserver');
  // The operator talks to its own server over a Unix socket in the (0700) data directory, kubectl
  // over the TLS port; a path too long for a socket address falls back to the TLS port.
  const socketPath = path.join(dataDir, 'api.sock');
  const useSocket = Buffer.byteLength(socketPath) <= MAX_SOCKET_PATH;
  if (!useSocket) logger.info({ socketPath }, 'data directory path too long for a Unix socket: the operator uses the TLS port of its embedded API server');
  const embedded = await startEmbeddedApiServer({
    dataDir,
    ...(useSocket ? { socketPath } : {}),
    host: config.embedded.host,
    port: config.embedded.port,
    kubeconfigPath,
    logger,
    ...(config.embedded.localNode === undefined ? {} : { localNode: { dir: path.join(config.embedded.dataDir, 'node'), images: config.embedded.localNode.images } }),
  });
  const kubeConfig = useSocket ? socketKubeConfig(socketPath, embedded.token) : shareConnections(fromFile(kubeconfigPath));
  const why = config.embedded.force ? 'requested with --embedded' : 'no kubeconfig found';
  return { kubeConfig, embedded, kubeconfigPath, source: `embedded API server ${embedded.url} (${why})` };
}

/**
 * Creates the operator's CRDs, or updates them to this version's schema. Idempotent: an
 * update races nothing but another operator replica, and a conflict is retried once.
 */
export async function installCrds(client: KubeClient, logger: Logger): Promise<void> {
  for (const crd of buildCrds() as unknown as CustomResourceDefinition[]) {
    const name = crd.metadata?.name ?? '';
    for (let attempt = 0; ; attempt++) {
      const existing = await client.get<CustomResourceDefinition>(crdKind, { name });
      try {
        if (existing === undefined) {
          await client.create(crdKind, crd);
          logger.info({ crd: name }, 'CRD installed');
        } else {
          const metadata = { ...crd.metadata, resourceVersion: existing.metadata?.resourceVersion };
          await client.replace(crdKind, { ...crd, metadata });
          logger.debug({ crd: name }, 'CRD updated');
        }
        break;
      } catch (error) {
        if (!isConflict(error) || attempt >= 2) throw error;
      }
    }
  }
}
