// One connection pool per API server for every request made through a KubeConfig.
//
// Why: client-node 2.0.1 builds a new undici Agent for every request it authenticates
// (KubeConfig.applySecurityAuthentication -> createDispatcher), so every API call and every
// watch opens its own TLS connection: a full handshake on both ends, a new SecureContext, and
// a socket (with its native TLS buffers) kept alive by an agent nobody reuses. Measured in
// bench/results/scale.md, that was the largest CPU cost of a start-up with hundreds of views.
//
// Guarantees: requests through the same cluster, user and TLS material (CA, client certificate
// and key, read as client-node reads them, so rotated files are noticed) share one dispatcher
// (undici pools and keeps connections alive per origin). When the material changes, the next
// request gets a fresh dispatcher and the old one is closed gracefully (in-flight requests and
// watches finish first). Authentication headers (tokens) are still applied per request by
// client-node, untouched.
import { createHash } from 'node:crypto';
import { bufferFromFileOrString, KubeConfig, type RequestContext } from '@kubernetes/client-node';
import { Agent } from 'undici';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

interface Pool {
  current?: { identity: string; dispatcher: Dispatcher };
}

const pools = new WeakMap<KubeConfig, Pool>();

/**
 * Identities of material given inline (no file to rotate under us), per cluster and user object:
 * hashing the CA and credentials on every request was 1.4 % of a 10,000-view start-up's CPU.
 */
const inlineIdentities = new WeakMap<object, WeakMap<object, string>>();

/** The identity of the TLS endpoint and client credentials a dispatcher is built for. */
function tlsIdentity(kc: KubeConfig): string {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  const inline = cluster !== null && user !== null && !cluster.caFile && !user.certFile && !user.keyFile;
  if (!inline) return hashIdentity(cluster, user);
  let byUser = inlineIdentities.get(cluster);
  if (byUser === undefined) {
    byUser = new WeakMap();
    inlineIdentities.set(cluster, byUser);
  }
  let identity = byUser.get(user);
  if (identity === undefined) {
    identity = hashIdentity(cluster, user);
    byUser.set(user, identity);
  }
  return identity;
}

function hashIdentity(cluster: ReturnType<KubeConfig['getCurrentCluster']>, user: ReturnType<KubeConfig['getCurrentUser']>): string {
  const hash = createHash('sha256');
  for (const part of [cluster?.name, cluster?.server, String(cluster?.skipTLSVerify ?? ''), cluster?.tlsServerName, user?.name]) {
    hash.update(`${part ?? ''}\0`);
  }
  for (const material of [
    bufferFromFileOrString(cluster?.caFile, cluster?.caData),
    bufferFromFileOrString(user?.certFile, user?.certData),
    bufferFromFileOrString(user?.keyFile, user?.keyData),
  ]) {
    hash.update(material ?? '');
    hash.update('\0');
  }
  return hash.digest('hex');
}

/**
 * Makes every request authenticated by `kc` reuse one pooled dispatcher (see header). Idempotent;
 * returns `kc` itself.
 */
export function shareConnections(kc: KubeConfig): KubeConfig {
  if (pools.has(kc)) return kc;
  const pool: Pool = {};
  pools.set(kc, pool);
  const authenticate = kc.applySecurityAuthentication.bind(kc);
  kc.applySecurityAuthentication = async (context: RequestContext): Promise<void> => {
    await authenticate(context);
    const fresh = context.getDispatcher();
    // No dispatcher: plain HTTP or no TLS material; fetch's global pool already keeps connections.
    if (fresh === undefined) return;
    const identity = tlsIdentity(kc);
    if (pool.current?.identity !== identity) {
      const old = pool.current?.dispatcher;
      pool.current = { identity, dispatcher: fresh };
      void old?.close().catch(() => undefined);
      return;
    }
    // The fresh agent never connected: dropping it costs nothing but garbage.
    context.setDispatcher(pool.current.dispatcher);
  };
  return kc;
}

/**
 * A KubeConfig for an API server that listens on a Unix socket (the embedded one, in this very
 * process): plain HTTP through one kept-alive pool on the socket, with the bearer token on
 * every request. On that path TLS bought nothing (no network, a 0600 socket) and cost a tenth
 * of a 10,000-view start-up's CPU, encrypting every request, response and watch event twice
 * in one process (bench/results/scale.md). client-node refuses an `http:` server unless TLS
 * verification is marked skipped: there is no TLS on the socket to verify, nor any other
 * route to it. The kubeconfig written for kubectl keeps the TLS port.
 */
export function socketKubeConfig(socketPath: string, token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'embedded-socket', server: 'http://localhost', skipTLSVerify: true }],
    users: [{ name: 'embedded-socket', token }],
    contexts: [{ name: 'embedded-socket', cluster: 'embedded-socket', user: 'embedded-socket' }],
    currentContext: 'embedded-socket',
  });
  const dispatcher = new Agent({ connect: { socketPath } });
  pools.set(kc, { current: { identity: `unix:${socketPath}`, dispatcher } });
  kc.applySecurityAuthentication = (context: RequestContext): Promise<void> => {
    context.setHeaderParam('Authorization', `Bearer ${token}`);
    context.setDispatcher(dispatcher);
    return Promise.resolve();
  };
  return kc;
}

/** Closes the shared pool of `kc` at shutdown (idle keep-alive sockets would linger otherwise). */
export async function closeConnections(kc: KubeConfig): Promise<void> {
  const pool = pools.get(kc);
  const dispatcher = pool?.current?.dispatcher;
  if (pool === undefined || dispatcher === undefined) return;
  pool.current = undefined;
  await dispatcher.destroy().catch(() => undefined);
}
