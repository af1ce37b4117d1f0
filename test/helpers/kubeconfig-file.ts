// A kubeconfig file naming one API server (a bearer token, TLS not verified), for tests of what
// the operator does with a server that is down, silent or failing: written as a user's would be.
import { writeFileSync } from 'node:fs';

export function writeKubeconfig(file: string, server: string): string {
  writeFileSync(file, [
    'apiVersion: v1', 'kind: Config', 'current-context: c',
    `clusters: [{name: s, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]`,
    'users: [{name: u, user: {token: t}}]', 'contexts: [{name: c, context: {cluster: s, user: u}}]', '',
  ].join('\n'));
  return file;
}
