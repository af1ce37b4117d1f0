// Which gt proxy process answers, and whether it still trusts the certificates we hold.
//
// The proxy keeps its deny list in memory only and makes itself a new server certificate (from
// the town CA) every time it starts (docs/gt-contract.md, "Sandboxed execution"); its admin
// API has no endpoint that says "I restarted". So the operator reads the server certificate the
// mTLS listener (spec.execution.proxyURL) presents: a new fingerprint means a new process, whose
// deny list is empty; a server certificate that the CA in our Secrets did not issue means the
// town CA changed, and the client certificates issued under the old one will be refused.
//
// Guarantees: the probe only completes a TLS handshake and closes (no request is sent, no
// client certificate is offered, nothing is trusted on the strength of it: the fingerprint is a
// change detector, never an authentication); every probe has a timeout; errors are values.
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import type { SecretObject } from './objects.ts';

export interface ProxyServerCertificate {
  /** SHA-256 fingerprint of the server certificate (colon-separated hex, as Node prints it). */
  readonly fingerprint: string;
  readonly certificate: X509Certificate;
}

export type ProxyProbe = (proxyURL: string) => Promise<{ readonly ok: true; readonly value: ProxyServerCertificate } | { readonly ok: false; readonly message: string }>;

const PROBE_TIMEOUT_MS = 5_000;

/** Reads the server certificate the proxy's mTLS listener presents. */
export const tlsProxyProbe: ProxyProbe = (proxyURL) => new Promise((resolve) => {
  const url = new URL(proxyURL);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port === '' ? 443 : Number(url.port);
  const socket = connect({ host, port, rejectUnauthorized: false, ...(/^[\d.:]+$/.test(host) ? {} : { servername: host }), timeout: PROBE_TIMEOUT_MS });
  const done = (result: Awaited<ReturnType<ProxyProbe>>): void => {
    socket.destroy();
    resolve(result);
  };
  socket.once('secureConnect', () => {
    const peer = socket.getPeerCertificate();
    if (peer.raw === undefined || peer.raw.length === 0) return done({ ok: false, message: `${proxyURL} presented no server certificate` });
    const certificate = new X509Certificate(peer.raw);
    done({ ok: true, value: { fingerprint: certificate.fingerprint256, certificate } });
  });
  socket.once('timeout', () => done({ ok: false, message: `${proxyURL}: no TLS handshake within ${PROBE_TIMEOUT_MS} ms` }));
  socket.once('error', (error: Error) => done({ ok: false, message: `${proxyURL}: ${error.message}` }));
});

/**
 * The certificate Secrets whose CA did not issue the proxy's server certificate: their client
 * certificates come from a CA the proxy no longer uses (pure; Secrets without a readable
 * `ca.crt` are not judged).
 */
export function staleCertificates(secrets: readonly SecretObject[], server: X509Certificate): SecretObject[] {
  const byPem = new Map<string, boolean>();
  return secrets.filter((secret) => {
    const pem = secret.data?.['ca.crt'];
    if (pem === undefined) return false;
    let current = byPem.get(pem);
    if (current === undefined) {
      try {
        const ca = new X509Certificate(Buffer.from(pem, 'base64'));
        current = server.checkIssued(ca) && server.verify(ca.publicKey);
      } catch {
        return false;
      }
      byPem.set(pem, current);
    }
    return !current;
  });
}
