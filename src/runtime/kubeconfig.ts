// Where the API server is, in controller-runtime's order of precedence:
//   1. an explicit --kubeconfig path (an error if it does not exist: the user asked for it);
//   2. KUBECONFIG (a list of files, merged as kubectl does);
//   3. in-cluster: KUBERNETES_SERVICE_HOST/PORT plus the service account token file;
//   4. ~/.kube/config.
// With none of them the answer is { kind: 'none' }: the CLI then starts the embedded API
// server (the runtime does not know about it). Environment and paths are injectable for tests.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export type ResolvedKubeConfig =
  | { kind: 'explicit' | 'env' | 'home'; paths: string[]; kubeConfig: KubeConfig }
  | { kind: 'in-cluster'; server: string; kubeConfig: KubeConfig }
  | { kind: 'none' };

export interface ResolveKubeConfigOptions {
  /** The --kubeconfig flag. */
  explicitPath?: string;
  env?: Record<string, string | undefined>;
  homeDir?: string;
  serviceAccountDir?: string;
}

function loadFiles(paths: string[]): KubeConfig {
  const [first, ...rest] = paths;
  const kc = new KubeConfig();
  kc.loadFromFile(first!);
  for (const p of rest) {
    const more = new KubeConfig();
    more.loadFromFile(p);
    kc.mergeConfig(more);
  }
  return kc;
}

function inCluster(env: Record<string, string | undefined>, saDir: string): { server: string; kubeConfig: KubeConfig } | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const tokenFile = join(saDir, 'token');
  if (!host || !port || !existsSync(tokenFile)) return undefined;
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const kc = new KubeConfig();
  // tokenFile (not a token string): client-node re-reads it, so projected tokens can rotate.
  kc.loadFromOptions({
    clusters: [{ name: 'in-cluster', server, caFile: join(saDir, 'ca.crt'), skipTLSVerify: false }],
    users: [{ name: 'service-account', authProvider: { name: 'tokenFile', config: { tokenFile } } }],
    contexts: [{ name: 'in-cluster', cluster: 'in-cluster', user: 'service-account' }],
    currentContext: 'in-cluster',
  });
  return { server, kubeConfig: kc };
}

export function resolveKubeConfig(options: ResolveKubeConfigOptions = {}): ResolvedKubeConfig {
  const env = options.env ?? process.env;
  if (options.explicitPath) {
    if (!existsSync(options.explicitPath)) throw new Error(`kubeconfig ${options.explicitPath} does not exist`);
    return { kind: 'explicit', paths: [options.explicitPath], kubeConfig: loadFiles([options.explicitPath]) };
  }
  const fromEnv = (env.KUBECONFIG ?? '').split(delimiter).filter((p) => p !== '' && existsSync(p));
  if (fromEnv.length > 0) return { kind: 'env', paths: fromEnv, kubeConfig: loadFiles(fromEnv) };
  const cluster = inCluster(env, options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR);
  if (cluster) return { kind: 'in-cluster', ...cluster };
  const home = join(options.homeDir ?? homedir(), '.kube', 'config');
  if (existsSync(home)) return { kind: 'home', paths: [home], kubeConfig: loadFiles([home]) };
  return { kind: 'none' };
}
