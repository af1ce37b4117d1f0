// The session reconcile's acting, with fakes for the proxy admin API and the sinks: while the
// proxy is down it is asked once per pass, yet every pod left waiting gets its Warning Event
// (what `kubectl describe pod` shows for a pod stuck without its certificate).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RigStatus } from '../../../src/api/index.ts';
import type { SecretObject } from '../../../src/controllers/session/objects.ts';
import type { SessionPod } from '../../../src/controllers/session/pod-state.ts';
import type { ProxyAdmin } from '../../../src/controllers/session/proxy-admin.ts';
import { SessionReconciler } from '../../../src/controllers/session/reconcile.ts';
import type { EventSink, StatusSink } from '../../../src/controllers/shared/sinks.ts';
import { FakeClock } from '../../../src/runtime/clock.ts';
import { KubeApiError, type KubeClient, type KubeObject } from '../../../src/runtime/k8s.ts';
import type { WithStatus } from '../../../src/runtime/status.ts';

const rig: WithStatus<RigStatus> = {
  apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Rig', metadata: { name: 'gastown', uid: 'rig-uid', generation: 1 },
  spec: {
    localPath: '/town/gastown',
    execution: { mode: 'Pod', proxyURL: 'https://127.0.0.1:9876', proxyAdminURL: 'http://127.0.0.1:9877', pod: { image: 'agent' }, networkPolicy: { enabled: false } },
  },
} as WithStatus<RigStatus>;

const pod = (polecat: string): SessionPod => ({
  metadata: { name: `gt-gastown-${polecat}-1`, namespace: 'gt', uid: `uid-${polecat}`, annotations: { 'gastown.gastown.io/rig': 'gastown', 'gastown.gastown.io/polecat': polecat } },
});

test('proxy down: asked once, a Warning Event on every waiting pod, ProxyUnavailable, retried with backoff', async () => {
  let asked = 0;
  const proxy: ProxyAdmin = {
    issueCert: () => {
      asked += 1;
      return Promise.resolve({ ok: false, error: { kind: 'Unavailable', message: 'connect ECONNREFUSED 127.0.0.1:9877' } });
    },
    denyCert: () => Promise.resolve({ ok: true, value: undefined }),
  };
  const events: { on: string; type: string; reason: string; message: string }[] = [];
  const sink: EventSink = { event: (obj: KubeObject, type, reason, message) => events.push({ on: obj.metadata?.name ?? '', type, reason, message }) };
  const written: RigStatus[] = [];
  const status: StatusSink<RigStatus> = { write: (obj, s) => { written.push(s); return Promise.resolve(obj); } };
  const reconciler = new SessionReconciler({
    kube: {} as KubeClient, // nothing to create or delete while the proxy is down
    getRig: () => rig,
    pods: () => [pod('nux'), pod('toast')],
    secrets: (): SecretObject[] => [],
    policies: () => [],
    town: { current: () => undefined, requestSync: () => undefined, registerBeadInterest: () => undefined, unregisterBeadInterest: () => undefined },
    proxy, status, events: sink, clock: new FakeClock(0), defaultNamespace: 'gt',
  });

  const result = await reconciler.reconcile('gastown');
  assert.equal(asked, 1, 'a proxy known to be down is not asked again in the same pass');
  assert.deepEqual(events.map((e) => [e.on, e.type, e.reason]), [
    ['gt-gastown-nux-1', 'Warning', 'ProxyUnavailable'],
    ['gt-gastown-toast-1', 'Warning', 'ProxyUnavailable'],
  ]);
  for (const e of events) assert.match(e.message, /no certificate for gt\/gt-gastown-\w+-1 yet: the gt proxy admin API is unreachable \(connect ECONNREFUSED 127\.0\.0\.1:9877\); retrying/);
  const condition = written.at(-1)?.conditions?.find((c) => c.type === 'SessionCredentials');
  assert.equal(condition?.reason, 'ProxyUnavailable');
  assert.match(condition?.message ?? '', /2 session pod\(s\) wait for a certificate/);
  const again = await reconciler.reconcile('gastown');
  assert.ok(result !== undefined && again !== undefined && (again.requeueAfterMs ?? 0) > (result.requeueAfterMs ?? 0), 'the retry backs off');
});

test('a refused certificate whose status write conflicted still shows CertificateRefused on the next pass (the refused pod is gone by then)', async () => {
  const proxy: ProxyAdmin = {
    issueCert: () => Promise.resolve({ ok: false, error: { kind: 'Refused', message: 'HTTP 403 identity not allowed on this proxy' } }),
    denyCert: () => Promise.resolve({ ok: true, value: undefined }),
  };
  let pods = [pod('nux')];
  const written: RigStatus[] = [];
  let conflictNext = true;
  const status: StatusSink<RigStatus> = {
    write: (obj, s) => {
      if (conflictNext) {
        conflictNext = false;
        return Promise.reject(new KubeApiError(409, 'Conflict', 'the object has been modified'));
      }
      written.push(s);
      return Promise.resolve(obj);
    },
  };
  const kube = { delete: () => { pods = []; return Promise.resolve(); } } as unknown as KubeClient;
  const reconciler = new SessionReconciler({
    kube, getRig: () => rig, pods: () => pods, secrets: (): SecretObject[] => [], policies: () => [],
    town: { current: () => undefined, requestSync: () => undefined, registerBeadInterest: () => undefined, unregisterBeadInterest: () => undefined },
    proxy, status, events: { event: () => undefined }, clock: new FakeClock(0), defaultNamespace: 'gt',
  });
  await reconciler.reconcile('gastown');
  assert.equal(pods.length, 0, 'the refused pod was deleted');
  assert.equal(written.length, 0, 'the first status write conflicted');
  await reconciler.reconcile('gastown');
  const condition = written.at(-1)?.conditions?.find((c) => c.type === 'SessionCredentials');
  assert.equal(condition?.reason, 'CertificateRefused');
  assert.match(condition?.message ?? '', /identity not allowed on this proxy/);
});
