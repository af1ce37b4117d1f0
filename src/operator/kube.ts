// Where the operator's API server is: the cluster named by --kubeconfig / KUBECONFIG /
// in-cluster / ~/.kube/config, or — with none of them, or when forced — the embedded
// Kubernetes-compatible API server, started here with its data directory and a kubeconfig
// file that kubectl can use. Either way every request shares one connection pool
// (runtime/connections.ts); to its embedded server the operator speaks plain HTTP over a Unix
// socket in the server's private data directory, while kubectl uses the TLS port. Also
// installs the CRDs when asked (always on the embedded server).
import path from 'node:path';
import { KubeConfig, VersionApi } from '@kubernetes/client-node';
import { buildCrds } from '../api/crd.ts';
import { startEmbeddedApiServer, type EmbeddedApiServer } from '../apiserver/index.ts';
import type { Logger } from '../observability/logger.ts';
import { shareConnections, socketKubeConfig } from '../runtime/connections.ts';
import { crdKind, type CustomResourceDefinition } from '../runtime/crd-watch.ts';
import type { KubeClient } from '../runtime/k8s.ts';
import { isConflict, statusCodeOf } from '../runtime/k8s.ts';
import { resolveKubeConfig, type ResolvedKubeConfig } from '../runtime/kubeconfig.ts';
import type { OperatorConfig } from './config.ts';

export interface KubeConnection {
  readonly kubeConfig: KubeConfig;
  /** Set when the embedded API server was started (close it on shutdown). */
  readonly embedded?: EmbeddedApiServer;
  /** The kubeconfig file kubectl should use (the embedded server's). */
  readonly kubeconfigPath?: string;
  /** Human description for the start-up log: which API server and why. */
  readonly source: string;
  /** Where an external API server was found (for the hint when it does not answer); absent for the embedded one. */
  readonly origin?: KubeOrigin;
}

/** Which setting named the external API server. */
export type KubeOrigin = { readonly server: string } & (
  | { readonly kind: 'explicit' | 'env' | 'home'; readonly paths: readonly string[] }
  | { readonly kind: 'in-cluster' }
);

/** How long the start-up check waits for the external API server's /version. */
const REACHABLE_TIMEOUT_MS = 5_000;

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
      return { kubeConfig: shareConnections(resolved.kubeConfig), source: `${server} (${from})`, origin: originOf(resolved, server) };
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

function originOf(resolved: Exclude<ResolvedKubeConfig, { kind: 'none' }>, server: string): KubeOrigin {
  return resolved.kind === 'in-cluster' ? { kind: 'in-cluster', server } : { kind: resolved.kind, paths: resolved.paths, server };
}

/**
 * What to tell someone whose external API server does not answer: which setting named it and,
 * where they may simply have left it set, how to get the embedded API server instead. A
 * KUBECONFIG still exported from an earlier session is the usual case: `run` then uses that
 * cluster (controller-runtime's order), and its informers retry it quietly.
 */
export function unreachableHint(origin: KubeOrigin): string {
  const embedded = 'pass --embedded to run on the embedded API server instead';
  switch (origin.kind) {
    case 'env':
      return `KUBECONFIG=${origin.paths.join(':')} names it: unset KUBECONFIG, or ${embedded}`;
    case 'home':
      return `${origin.paths.join(':')} names it (no KUBECONFIG set): ${embedded}`;
    case 'explicit':
      return `--kubeconfig ${origin.paths.join(':')} names it`;
    case 'in-cluster':
      return "the pod's service account names it (KUBERNETES_SERVICE_HOST/PORT)";
  }
}

/**
 * Asks an external API server for /version once at start-up. When it does not answer within
 * REACHABLE_TIMEOUT_MS, or answers with an error status, one warning says so with unreachableHint; the operator keeps running
 * (a cluster may be down for a while) and its informers keep retrying. Never rejects.
 */
export async function checkApiServer(kube: KubeConnection, logger: Logger, timeoutMs = REACHABLE_TIMEOUT_MS): Promise<boolean> {
  const { origin } = kube;
  if (origin === undefined) return true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
  });
  try {
    const version = await Promise.race([kube.kubeConfig.makeApiClient(VersionApi).getCode(), timeout]);
    logger.info({ server: origin.server, version: version.gitVersion }, 'API server reachable');
    return true;
  } catch (error) {
    // An HTTP status means it answered, but not to these credentials (401, 403) or not well.
    const code = statusCodeOf(error);
    const what = code === undefined ? `does not answer (${describeFailure(error)})` : `answered /version with HTTP ${code}`;
    logger.warn({ server: origin.server, err: error }, `API server ${origin.server} ${what}; the operator keeps retrying it. ${unreachableHint(origin)}`);
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** fetch says only "fetch failed"; the cause says why (connect ECONNREFUSED 127.0.0.1:6443, ...). */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause === undefined || error.message.includes(cause) ? error.message : `${error.message}: ${cause}`;
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
