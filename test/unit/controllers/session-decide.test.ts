// The pure parts of Pod execution: decideSessions (issue / retire / refuse / sweep / deny /
// NetworkPolicy), the failure a pod shows (podFailure), the egress blocks of the NetworkPolicy,
// the SessionCredentials condition, and the Polecat decision for a session pod that failed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Rig } from '../../../src/api/index.ts';
import { decidePolecat, DEFAULT_POLECAT_CONFIG } from '../../../src/controllers/polecat/decide.ts';
import { decideSessions, proxyRetryDelay, type SessionObservation } from '../../../src/controllers/session/decide.ts';
import { CERT_ANNOTATIONS, egressBlock, rigNetworkPolicy, type SecretObject } from '../../../src/controllers/session/objects.ts';
import { podFailure, type SessionPod } from '../../../src/controllers/session/pod-state.ts';
import { credentialsCondition } from '../../../src/controllers/session/reconcile.ts';
import { NOW, cond, iso, item, polecat, town } from './polecat-fixtures.ts';

const RIG: Rig = {
  apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Rig',
  metadata: { name: 'gastown', uid: 'rig-uid' },
  spec: { localPath: '/town/gastown', execution: { mode: 'Pod', proxyURL: 'https://10.0.0.5:9876', pod: { image: 'agent' } } },
};

const annotations = (polecatName: string): Record<string, string> => ({ 'gastown.gastown.io/rig': 'gastown', 'gastown.gastown.io/polecat': polecatName });

function sessionPod(polecatName: string, extra: Partial<SessionPod> = {}, meta: Record<string, unknown> = {}): SessionPod {
  return { metadata: { name: `gt-gastown-${polecatName}-1`, namespace: 'gt', uid: `uid-${polecatName}`, annotations: annotations(polecatName), ...meta }, ...extra };
}

function certSecret(polecatName: string, ownerUid: string, serial = 'ab12'): SecretObject {
  return {
    metadata: {
      name: `gt-gastown-${polecatName}-1-cert`, namespace: 'gt',
      annotations: { ...annotations(polecatName), [CERT_ANNOTATIONS.serial]: serial, [CERT_ANNOTATIONS.expiresAt]: iso(NOW + 3_600_000) },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: `gt-gastown-${polecatName}-1`, uid: ownerUid }],
    },
  };
}

function obs(over: Partial<SessionObservation> = {}): SessionObservation {
  return { rig: RIG, gtName: 'gastown', podMode: true, pods: [], secrets: [], networkPolicy: undefined, desiredPolicy: undefined, polecats: new Set(['nux']), denied: new Set(), admitting: new Set(), now: NOW, ...over };
}

const types = (d: ReturnType<typeof decideSessions>): string[] => d.actions.map((a) => a.type);

describe('decideSessions', () => {
  test('a pod without its Secret gets a certificate issued', () => {
    const d = decideSessions(obs({ pods: [sessionPod('nux')] }));
    assert.deepEqual(types(d), ['issue']);
    assert.deepEqual(d.execution, { sessionPods: 1 });
  });

  test('a pod with its Secret (same owner uid) needs nothing; a Secret of an earlier pod of that name is replaced', () => {
    assert.deepEqual(types(decideSessions(obs({ pods: [sessionPod('nux')], secrets: [certSecret('nux', 'uid-nux')] }))), []);
    const stale = decideSessions(obs({ pods: [sessionPod('nux')], secrets: [certSecret('nux', 'uid-old', 'cd34')] }));
    assert.deepEqual(types(stale), ['issue', 'deleteSecret', 'deny']);
    assert.deepEqual(stale.execution.retiredSerials?.map((r) => r.serial), ['cd34']);
  });

  test('gt no longer has the polecat: pod and Secret deleted, the serial retired and denied, a Normal Event', () => {
    const d = decideSessions(obs({ pods: [sessionPod('toast')], secrets: [certSecret('toast', 'uid-toast')] }));
    assert.deepEqual(types(d), ['deletePod', 'deleteSecret', 'deny']);
    assert.deepEqual(d.execution.retiredSerials, [{ serial: 'ab12', polecat: 'toast', expiresAt: iso(NOW + 3_600_000) }]);
    assert.equal(d.events[0]?.reason, 'SessionRetired');
  });

  test('the town cannot be read: nothing is retired (the operator never invents that a polecat is gone)', () => {
    const d = decideSessions(obs({ pods: [sessionPod('toast')], secrets: [certSecret('toast', 'uid-toast')], polecats: undefined }));
    assert.deepEqual(types(d), []);
  });

  test('ended or deleting pods are left alone; a name the CN cannot carry deletes the pod with a Warning', () => {
    const ended = sessionPod('nux', { status: { phase: 'Succeeded' } });
    assert.deepEqual(types(decideSessions(obs({ pods: [ended] }))), []);
    const deleting = sessionPod('nux', {}, { deletionTimestamp: iso(NOW) });
    assert.deepEqual(types(decideSessions(obs({ pods: [deleting] }))), []);
    const bad = { metadata: { name: 'gt-gastown-a-b-1', namespace: 'gt', uid: 'u', annotations: annotations('a-b') } };
    const d = decideSessions(obs({ pods: [bad], polecats: new Set(['a-b']) }));
    assert.deepEqual(types(d), ['deletePod']);
    assert.equal(d.events[0]?.reason, 'InvalidIdentity');
    assert.equal(d.events[0]?.type, 'Warning');
  });

  test('a Secret without its pod is deleted and its serial retired', () => {
    const d = decideSessions(obs({ secrets: [certSecret('nux', 'uid-gone')] }));
    assert.deepEqual(types(d), ['deleteSecret', 'deny']);
    assert.equal(d.events[0]?.reason, 'OrphanSecretDeleted');
  });

  test('remembered serials are denied again unless this process denied them since the proxy was last down; expired ones are forgotten', () => {
    const rig: Rig = { ...RIG, status: { execution: { retiredSerials: [{ serial: 'aa', expiresAt: iso(NOW + 1000) }, { serial: 'bb', expiresAt: iso(NOW - 1000) }, { serial: 'cc' }] } } };
    const d = decideSessions(obs({ rig, denied: new Set(['cc']) }));
    assert.deepEqual(d.actions, [{ type: 'deny', serial: 'aa' }]);
    assert.deepEqual(d.execution.retiredSerials?.map((r) => r.serial), ['aa', 'cc']);
  });

  test('the NetworkPolicy: created when wanted and missing, left when equal, deleted when no longer wanted; a bad CIDR is a problem', () => {
    const wanted = rigNetworkPolicy({ rig: RIG, gtName: 'gastown', namespace: 'gt', proxy: { addresses: ['10.0.0.5'], port: 9876 }, modelEndpoints: [] });
    assert.ok(wanted.ok);
    assert.deepEqual(types(decideSessions(obs({ desiredPolicy: wanted }))), ['applyNetworkPolicy']);
    assert.deepEqual(types(decideSessions(obs({ desiredPolicy: wanted, networkPolicy: wanted.policy }))), []);
    assert.deepEqual(types(decideSessions(obs({ networkPolicy: wanted.policy }))), ['deleteNetworkPolicy']);
    const bad = rigNetworkPolicy({ rig: RIG, gtName: 'gastown', namespace: 'gt', proxy: { addresses: [], port: 1 }, modelEndpoints: [{ cidr: '169.254.169.254/32' }] });
    assert.equal(bad.ok, false);
    assert.match(decideSessions(obs({ desiredPolicy: bad })).problems[0] ?? '', /link-local/);
  });

  test('retry backoff while the proxy is down doubles from 1 s to its cap', () => {
    assert.deepEqual([1, 2, 3, 6, 7, 20].map((n) => proxyRetryDelay(n)), [1000, 2000, 4000, 30000, 30000, 30000]);
    assert.equal(proxyRetryDelay(5, 2000), 2000);
  });

  test('capacity: gated pods are admitted oldest first up to maxPods; the rest wait; ended and deleting pods count for nothing', () => {
    const gate = { schedulingGates: [{ name: 'gastown.gastown.io/capacity' }] };
    const at = (polecatName: string, minute: number, extra: Partial<SessionPod> = {}): SessionPod =>
      sessionPod(polecatName, { spec: gate, ...extra }, { creationTimestamp: iso(NOW + minute * 60_000) });
    const rig: Rig = { ...RIG, spec: { ...RIG.spec, execution: { ...RIG.spec.execution!, maxPods: 2 } } };
    const running = sessionPod('run', { spec: {} });
    const ended = sessionPod('ended', { spec: {}, status: { phase: 'Succeeded' } });
    const pods = [at('late', 3), at('first', 1), at('second', 2), running, ended];
    const polecats = new Set(['late', 'first', 'second', 'run', 'ended']);
    const d = decideSessions(obs({ rig, pods, polecats, secrets: pods.map((p) => certSecret(p.metadata!.annotations!['gastown.gastown.io/polecat']!, p.metadata!.uid!)) }));
    const admitted = d.actions.flatMap((a) => (a.type === 'admit' ? [a.pod.metadata?.name] : []));
    assert.deepEqual(admitted, ['gt-gastown-first-1'], 'one slot free (one runs, the ended one does not count): the oldest gated pod');
    assert.deepEqual(d.capacity, { running: 2, waiting: 2, maxPods: 2 });
    assert.deepEqual([d.execution.runningPods, d.execution.waitingPods, d.execution.maxPods], [2, 2, 2]);
    assert.equal(d.events.filter((e) => e.reason === 'CapacityAdmitted').length, 1);
    // A pod this process admitted whose cache copy still shows the gate counts as running: no second admission.
    const again = decideSessions(obs({ rig, pods, polecats, admitting: new Set(['uid-first']) }));
    assert.deepEqual(again.actions.filter((a) => a.type === 'admit'), []);
    assert.deepEqual(again.capacity, { running: 2, waiting: 2, maxPods: 2 });
    // Without maxPods every gated pod is admitted.
    const open = decideSessions(obs({ pods, polecats }));
    assert.equal(open.actions.filter((a) => a.type === 'admit').length, 3);
    assert.equal(open.capacity, undefined);
  });

});

describe('SessionCredentials', () => {
  const d = decideSessions(obs({ pods: [sessionPod('nux')] }));
  test('proxy down, refused, issued', () => {
    assert.deepEqual(
      [credentialsCondition(d, { unavailable: { kind: 'Unavailable', message: 'ECONNREFUSED' }, refused: [], issued: 0 }, 'http://127.0.0.1:9877')].map((c) => [c.status, c.reason]),
      [['False', 'ProxyUnavailable']],
    );
    assert.match(credentialsCondition(d, { unavailable: { kind: 'Unavailable', message: 'ECONNREFUSED' }, refused: [], issued: 0 }, 'http://127.0.0.1:9877').message, /1 session pod\(s\) wait/);
    assert.equal(credentialsCondition(d, { refused: ['gt/p: HTTP 403'], issued: 0 }, 'http://x').reason, 'CertificateRefused');
    assert.deepEqual(credentialsCondition(d, { refused: [], issued: 1 }, 'http://x').status, 'True');
  });

  test('a refusal stays until a certificate is issued again (its pod is gone at once)', () => {
    const refused = { reason: 'CertificateRefused', message: 'the gt proxy refused certificates, their pods were deleted: gt/p: HTTP 403' };
    const idle = decideSessions(obs());
    assert.deepEqual(credentialsCondition(idle, { refused: [], issued: 0 }, 'http://x', refused), { status: 'False', ...refused });
    assert.equal(credentialsCondition(d, { refused: [], issued: 1 }, 'http://x', refused).reason, 'CertificatesIssued');
    assert.equal(credentialsCondition(idle, { refused: [], issued: 0 }, 'http://x', { reason: 'ProxyUnavailable', message: 'down' }).reason, 'CertificatesIssued', 'the proxy back: True');
  });
});

describe('podFailure', () => {
  const agent = (state: object, extra: object = {}) => ({ status: { phase: 'Failed', containerStatuses: [{ name: 'agent', state, ...extra }] } });
  const rows: readonly [string, SessionPod, string | undefined][] = [
    ['OOM kill', { metadata: { name: 'p' }, ...agent({ terminated: { exitCode: 137, reason: 'OOMKilled' } }) }, 'OOMKilled'],
    ['deadline', { metadata: { name: 'p' }, status: { phase: 'Failed', reason: 'DeadlineExceeded' } }, 'DeadlineExceeded'],
    ['evicted', { metadata: { name: 'p' }, status: { phase: 'Failed', reason: 'Evicted', message: 'low on memory' } }, 'Evicted'],
    ['image', { metadata: { name: 'p' }, status: { phase: 'Pending', containerStatuses: [{ name: 'agent', state: { waiting: { reason: 'ImagePullBackOff' } } }] } }, 'ImagePullBackOff'],
    ['unschedulable', { metadata: { name: 'p' }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes' }] } }, 'Unschedulable'],
    ['exit code', { metadata: { name: 'p' }, ...agent({ terminated: { exitCode: 2, reason: 'Error' } }) }, 'Error'],
    ['deleting', { metadata: { name: 'p', deletionTimestamp: iso(NOW) } }, 'PodDeleted'],
    ['completed', { metadata: { name: 'p' }, status: { phase: 'Succeeded', containerStatuses: [{ name: 'agent', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] } }, undefined],
    ['running', { metadata: { name: 'p' }, status: { phase: 'Running', containerStatuses: [{ name: 'agent', state: { running: {} } }] } }, undefined],
    ['creating', { metadata: { name: 'p' }, status: { phase: 'Pending', containerStatuses: [{ name: 'agent', state: { waiting: { reason: 'ContainerCreating' } } }] } }, undefined],
  ];
  for (const [name, pod, reason] of rows) test(`${name} -> ${reason ?? 'none'}`, () => assert.equal(podFailure(pod)?.reason, reason));
  test('the exit code is in the message', () => assert.match(podFailure(rows[5]![1])!.message, /code 2/));
});

describe('egress blocks', () => {
  test('a broad block loses the private and link-local ranges; a private block the user names stays; link-local is refused', () => {
    const all = egressBlock('0.0.0.0/0');
    assert.ok(all.ok);
    assert.deepEqual(all.block.except, ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16']);
    assert.deepEqual(egressBlock('10.1.0.0/16'), { ok: true, block: { cidr: '10.1.0.0/16' } });
    assert.deepEqual(egressBlock('203.0.113.0/24'), { ok: true, block: { cidr: '203.0.113.0/24' } });
    assert.equal(egressBlock('169.254.169.254/32').ok, false);
    const v6 = egressBlock('::/0');
    assert.ok(v6.ok);
    assert.deepEqual(v6.block.except, ['fc00::/7', 'fe80::/10']);
    assert.equal(egressBlock('nonsense').ok, false);
  });
});

describe('decidePolecat with a session', () => {
  const working = { phase: 'Working' as const, gtName: 'nux', beadID: 'gt-abc12', lastActivity: iso(NOW - 60_000) };
  const snapshot = town({ polecats: [item('nux', 'working', { issue: 'gt-abc12' })] });
  const session = { namespace: 'gt', podName: 'gt-gastown-nux-1', certificate: true };

  test('an OOMKilled pod: Failed with the reason, Stuck, an escalation mail, a Warning', () => {
    const pod: SessionPod = { metadata: { name: 'gt-gastown-nux-1', namespace: 'gt' }, spec: { nodeName: 'n1' }, status: { phase: 'Failed', containerStatuses: [{ name: 'agent', restartCount: 0, state: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: iso(NOW) } } }] } };
    const d = decidePolecat({ polecat: polecat({ status: working }), deleting: false, snapshot, session: { ...session, pod } }, NOW, DEFAULT_POLECAT_CONFIG);
    assert.equal(d.status.phase, 'Failed');
    assert.deepEqual(cond(d.status, 'Ready'), { status: 'False', reason: 'OOMKilled' });
    assert.equal(cond(d.status, 'Stuck')?.status, 'True');
    assert.deepEqual(d.status.execution, { mode: 'Pod', podName: 'gt-gastown-nux-1', namespace: 'gt', node: 'n1', podPhase: 'Failed', restarts: 0, lastTerminationReason: 'OOMKilled', lastExitCode: 137, finishedAt: iso(NOW) });
    assert.equal(d.actions[0]?.type, 'escalate');
    // The mail goes through the escalation outbox; its Escalated Event comes when the outbox settles it.
    assert.deepEqual(d.events.map((e) => [e.type, e.reason]), [['Warning', 'OOMKilled']]);
  });

  test('no pod yet: Working, WaitingForPod, and no pod name recorded (so no false PodDeleted later)', () => {
    const d = decidePolecat({ polecat: polecat({ status: working }), deleting: false, snapshot, session: { ...session, certificate: false, pod: undefined } }, NOW, DEFAULT_POLECAT_CONFIG);
    assert.equal(d.status.phase, 'Working');
    assert.deepEqual(cond(d.status, 'SessionAttached'), { status: 'False', reason: 'WaitingForPod' });
    assert.deepEqual(d.status.execution, { mode: 'Pod', namespace: 'gt' });
  });

  test('a pod seen before and gone now: Failed PodDeleted; an idle polecat whose pod is gone is not a failure', () => {
    const seen = { ...working, execution: { mode: 'Pod', podName: 'gt-gastown-nux-1', namespace: 'gt', podPhase: 'Running' } };
    const gone = decidePolecat({ polecat: polecat({ status: seen }), deleting: false, snapshot, session: { ...session, pod: undefined } }, NOW, DEFAULT_POLECAT_CONFIG);
    assert.deepEqual([gone.status.phase, cond(gone.status, 'Ready')?.reason, gone.status.execution?.podPhase], ['Failed', 'PodDeleted', 'Absent']);
    const idle = town({ polecats: [item('nux', 'idle')] });
    const done = decidePolecat({ polecat: polecat({ status: seen }), deleting: false, snapshot: idle, session: { ...session, pod: undefined } }, NOW, DEFAULT_POLECAT_CONFIG);
    assert.equal(done.status.phase, 'Idle');
  });

  test('a running agent with gt\'s session live: SessionAttached and PodScheduled True', () => {
    const pod: SessionPod = { metadata: { name: 'gt-gastown-nux-1', namespace: 'gt' }, spec: { nodeName: 'n1' }, status: { phase: 'Running', containerStatuses: [{ name: 'agent', state: { running: { startedAt: iso(NOW) } } }] } };
    const d = decidePolecat({ polecat: polecat({ status: working }), deleting: false, snapshot: town({ polecats: [item('nux', 'working', { issue: 'gt-abc12', sessionRunning: true })] }), session: { ...session, pod } }, NOW, DEFAULT_POLECAT_CONFIG);
    assert.deepEqual([cond(d.status, 'PodScheduled')?.status, cond(d.status, 'SessionAttached')?.reason], ['True', 'Attached']);
    assert.equal(d.status.phase, 'Working');
  });
});
