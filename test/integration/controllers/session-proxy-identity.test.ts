// Reading the gt proxy's identity (src/controllers/session/proxy-identity.ts) against the
// simulated proxy as a real process would see it: a TLS handshake without a client
// certificate yields the server certificate; a restarted proxy presents a new one; a
// certificate Secret is stale exactly when its CA did not issue the server certificate.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { credentialsCondition } from '../../../src/controllers/session/reconcile.ts';
import { decideSessions } from '../../../src/controllers/session/decide.ts';
import type { SecretObject } from '../../../src/controllers/session/objects.ts';
import { staleCertificates, tlsProxyProbe } from '../../../src/controllers/session/proxy-identity.ts';
import { loadOrCreateCa } from '../../../sim/src/proxy/ca.ts';
import { startProxy } from '../../../sim/src/proxy/server.ts';
import { createTown } from '../../../sim/src/town.ts';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

describe('proxy identity', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gt-proxy-id-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the server certificate: read without a client certificate, new after a restart; unreachable is an error value', async () => {
    const root = path.join(dir, 'town');
    await createTown(root, { seed: 1, polecatsPerRig: 0, convoys: 0 });
    const first = await startProxy({ townRoot: root, host: '127.0.0.1', port: 0, adminPort: null });
    const url = first.url;
    const a = await tlsProxyProbe(url);
    const again = await tlsProxyProbe(url);
    await first.close();
    assert.ok(a.ok && again.ok, 'both probes read a certificate');
    assert.equal(a.value.fingerprint, again.value.fingerprint, 'the same process presents the same certificate');
    assert.match(a.value.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);

    const down = await tlsProxyProbe(url);
    assert.equal(down.ok, false);
    assert.match(down.ok ? '' : down.message, /ECONNREFUSED/);

    const port = Number(new URL(url).port);
    const second = await startProxy({ townRoot: root, host: '127.0.0.1', port, adminPort: null });
    const b = await tlsProxyProbe(url);
    await second.close();
    assert.ok(b.ok);
    assert.notEqual(b.value.fingerprint, a.value.fingerprint, 'a restarted proxy presents a new server certificate');

    // Certificates from the town CA are current; one from another CA is stale.
    const townCa = await loadOrCreateCa(path.join(root, '.runtime', 'ca'));
    const otherCa = await loadOrCreateCa(path.join(dir, 'other-ca'));
    const secret = (name: string, caPem: string): SecretObject => ({ metadata: { name, uid: name }, data: { 'ca.crt': b64(caPem) } });
    const current = secret('current', townCa.certPem);
    const old = secret('old', otherCa.certPem);
    const unreadable: SecretObject = { metadata: { name: 'broken', uid: 'broken' }, data: { 'ca.crt': b64('not a certificate') } };
    assert.deepEqual(staleCertificates([current, old, unreadable, { metadata: { name: 'empty' } }], b.value.certificate).map((s) => s.metadata?.name), ['old']);
  });

  test('SessionCredentials names the pods whose certificates a CA the proxy left issued', () => {
    const d = decideSessions({
      rig: { apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Rig', metadata: { name: 'gastown' }, spec: { localPath: '/x' } },
      gtName: 'gastown', podMode: true, pods: [], secrets: [], networkPolicy: undefined, desiredPolicy: undefined,
      polecats: new Set(), denied: new Set(), admitting: new Set(), now: 0,
    });
    const c = credentialsCondition(d, { refused: [], issued: 0, stale: ['sessions/gt-gastown-nux'] }, 'http://x');
    assert.deepEqual([c.status, c.reason], ['False', 'ProxyCAChanged']);
    assert.match(c.message, /1 session pod\(s\).*sessions\/gt-gastown-nux/);
    assert.equal(credentialsCondition(d, { refused: [], issued: 0, stale: [] }, 'http://x').status, 'True');
  });
});
