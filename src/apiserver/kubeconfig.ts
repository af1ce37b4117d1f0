// The kubeconfig the server writes for kubectl and clients: one cluster (HTTPS with the
// server's self-signed certificate as CA, or plain HTTP), one user with the bearer token, one
// context. Written atomically with mode 0600 because it holds the token.
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

export interface KubeconfigInput {
  server: string;
  token: string;
  /** PEM of the CA to trust (the self-signed serving certificate). */
  caPem?: string | undefined;
  name?: string;
}

export function kubeconfigYaml(input: KubeconfigInput): string {
  const name = input.name ?? 'gastown';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{
      name,
      cluster: input.caPem === undefined
        ? { server: input.server }
        : { server: input.server, 'certificate-authority-data': Buffer.from(input.caPem).toString('base64') },
    }],
    users: [{ name, user: { token: input.token } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  });
}

export function writeKubeconfig(path: string, input: KubeconfigInput): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, kubeconfigYaml(input), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}
