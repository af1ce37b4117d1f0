// The embedded API server as a process of its own (`gastown-operator apiserver`, or
// `node src/apiserver/main.ts`): prints one JSON line `{"url":...,"kubeconfig":...}` on stdout
// once listening (tests and scripts wait for it), logs to stderr, and on SIGINT/SIGTERM stops
// its local node's pods and closes cleanly. Run this way, an operator pointed at its kubeconfig
// can be restarted while the pods on the local node keep running.
import { startEmbeddedApiServer, type EmbeddedApiServerOptions } from './index.ts';

export async function serveStandalone(opts: EmbeddedApiServerOptions): Promise<void> {
  const server = await startEmbeddedApiServer(opts);
  process.stdout.write(`${JSON.stringify({ url: server.url, kubeconfig: server.kubeconfigPath ?? null })}\n`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
