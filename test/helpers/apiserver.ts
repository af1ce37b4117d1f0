// Test bed for every test in the project: an in-memory embedded API server on a random
// loopback port (HTTPS with its self-signed CA trusted) plus a ready client-node KubeConfig
// pointing at it. Close it in `after`.
import { KubeConfig } from '@kubernetes/client-node';
import { startEmbeddedApiServer, type EmbeddedApiServer, type EmbeddedApiServerOptions } from '../../src/apiserver/index.ts';

export interface TestApiServer {
  server: EmbeddedApiServer;
  url: string;
  token: string;
  kubeConfig: KubeConfig;
  close(): Promise<void>;
}

export function kubeConfigFor(url: string, token: string, caPem?: string): KubeConfig {
  const kc = new KubeConfig();
  const cluster = caPem === undefined
    ? { name: 'embedded', server: url, skipTLSVerify: false }
    : { name: 'embedded', server: url, skipTLSVerify: false, caData: Buffer.from(caPem).toString('base64') };
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'embedded', token }],
    contexts: [{ name: 'embedded', cluster: 'embedded', user: 'embedded', namespace: 'default' }],
    currentContext: 'embedded',
  });
  return kc;
}

export async function startTestApiServer(opts: EmbeddedApiServerOptions = {}): Promise<TestApiServer> {
  const server = await startEmbeddedApiServer(opts);
  return {
    server,
    url: server.url,
    token: server.token,
    kubeConfig: kubeConfigFor(server.url, server.token, server.caData),
    close: () => server.close(),
  };
}
