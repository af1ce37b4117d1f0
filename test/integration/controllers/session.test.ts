// The operator side of Pod execution, end to end through real processes: the operator
// (startOperator) on its embedded API server with a local node, a simulated town, the
// simulated gt proxy (sim/src/proxy) and a stub admin API that refuses. Session pods are made
// the way the session wrapper makes them (buildSessionPod); everything after that is the
// operator's: certificates issued into Secrets (the init container clones through the proxy
// with them), the proxy down and back, a refused certificate, the NetworkPolicy, OOMKilled
// and deleted pods reported on the Polecat views with an escalation, retirement with the serial
// denied, the sweep of pods and Secrets gt has no polecat for, and a final leak check.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoreV1Api, KubeConfig, type CoreV1Event } from '@kubernetes/client-node';
import { POLECAT_KIND, RIG_KIND, type Polecat, type Rig } from '../../../src/api/index.ts';
import { NETWORK_POLICY_KIND, POD_KIND, SECRET_KIND, type SessionPod } from '../../../src/controllers/session/pod-state.ts';
import { buildSessionPod, sessionPodName, sessionSecretName } from '../../../src/execution/session-pod.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { startOperator, type RunningOperator } from '../../../src/operator/index.ts';
import { KubeClient, type KubeObject } from '../../../src/runtime/k8s.ts';
import { SIM_BD, SIM_GT } from '../../../src/town/select.ts';
import { addBead, readCalls, removePolecatOutside, slingOutside } from '../../../sim/src/control.ts';
import { startProxy, type RunningProxy } from '../../../sim/src/proxy/server.ts';
import { createTown, DEFAULT_RIGS } from '../../../sim/src/town.ts';
import { eventually } from '../../helpers/eventually.ts';
import { freePort } from '../../helpers/process.ts';

const NS = 'sessions';

type SecretObj = KubeObject & { data?: Record<string, string> };

describe('session controller (Pod execution) through the embedded API server, local node and simulated proxy', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gt-session-'));
  const root = path.join(dir, 'town');
  let op: RunningOperator;
  let kube: KubeClient;
  let core: CoreV1Api;
  let proxy: RunningProxy | undefined;
  let refusing: Server;
  let proxyPort: number;
  let adminPort: number;
  const polecats: Record<'cert' | 'oom' | 'deleted' | 'refused', string> = { cert: '', oom: '', deleted: '', refused: '' };
  /** GET requests for pods, Secrets and NetworkPolicies the API server served (its request log). */
  const sessionReads: string[] = [];
  const requestLog = new Writable({
    write(chunk: Buffer, _encoding, done): void {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.includes('"msg":"request"')) continue;
        const entry = JSON.parse(line) as { method?: string; url?: string };
        if (entry.method === 'GET' && /\/(pods|secrets|networkpolicies)\b/.test(entry.url ?? '')) sessionReads.push(entry.url ?? '');
      }
      done();
    },
  });
  /** Polecats of the rig `capped` (maxPods 2). */
  const capped: string[] = [];

  const rig = async (name: string): Promise<Rig> => (await kube.get<Rig>(RIG_KIND, { name }))!;
  const pod = (name: string): Promise<SessionPod | undefined> => kube.get<SessionPod>(POD_KIND, { namespace: NS, name });
  const secret = (name: string): Promise<SecretObj | undefined> => kube.get<SecretObj>(SECRET_KIND, { namespace: NS, name });
  const condition = (r: Rig, type: string) => r.status?.conditions?.find((c) => c.type === type);
  type RigCondition = NonNullable<ReturnType<typeof condition>>;
  /** Waits until the rig's SessionCredentials condition satisfies `is`; returns it. */
  const credentials = (rigName: string, what: string, is: (c: RigCondition) => boolean): Promise<RigCondition> =>
    eventually(what, async () => {
      const c = condition(await rig(rigName), 'SessionCredentials');
      return c !== undefined && is(c) ? c : undefined;
    }, 30_000, 100);
  /** The discovered view of a gastown polecat (names repeat across rigs). */
  const view = async (gtName: string, rigName = 'gastown'): Promise<Polecat | undefined> => {
    const list = await kube.list<Polecat>(POLECAT_KIND, { namespace: 'default' });
    return list.items.find((p) => p.spec.rig === rigName && (p.status?.gtName ?? p.metadata.labels?.['gastown.gastown.io/polecat']) === gtName);
  };
  const events = async (reason: string): Promise<CoreV1Event[]> => (await core.listNamespacedEvent({ namespace: NS })).items.filter((e) => e.reason === reason);

  const execution = (adminURL: string) => ({
    mode: 'Pod' as const,
    namespace: NS,
    proxyURL: `https://127.0.0.1:${proxyPort}`,
    proxyAdminURL: adminURL,
    pod: { image: 'agent' },
    networkPolicy: { enabled: true, modelEndpoints: [{ cidr: '0.0.0.0/0' }, { cidr: '203.0.113.0/24', ports: [8443] }] },
  });

  /** A session pod as the session wrapper makes it. */
  const makePod = async (rigName: string, polecat: string, argv: string[], resources?: object): Promise<string> => {
    const r = await rig(rigName);
    const manifest = buildSessionPod({
      rig: rigName, polecat, namespace: NS, branch: 'main', argv, env: { GT_RIG: rigName, GT_POLECAT: polecat },
      execution: { ...r.spec.execution!, pod: { image: 'agent', ...(resources ? { resources } : {}) }, proxyURL: r.spec.execution!.proxyURL! },
    });
    await kube.create(POD_KIND, manifest);
    return sessionPodName(rigName, polecat);
  };

  before(async () => {
    await createTown(root, { seed: 5, polecatsPerRig: 0, convoys: 0, rigs: [...DEFAULT_RIGS, { name: 'capped', prefix: 'cp' }] });
    for (let i = 0; i < 4; i++) capped.push((await slingOutside(root, await addBead(root, { rig: 'capped', title: `capped ${i}` }), 'capped', { convoy: false })).polecat);
    for (const key of ['cert', 'oom', 'deleted'] as const) {
      const bead = await addBead(root, { rig: 'gastown', title: `session ${key}` });
      polecats[key] = (await slingOutside(root, bead, 'gastown', { convoy: false })).polecat;
    }
    polecats.refused = (await slingOutside(root, await addBead(root, { rig: 'beads', title: 'refused' }), 'beads', { convoy: false })).polecat;
    proxyPort = await freePort();
    adminPort = await freePort();
    refusing = createHttpServer((_req, res) => {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end('identity not allowed on this proxy');
    });
    await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', r));
    op = await startOperator({
      town: { gtPath: SIM_GT, bdPath: SIM_BD, townRoot: root, simulated: false, reason: 'test' },
      simActivityMs: 0,
      embedded: { force: true, dataDir: path.join(dir, 'data'), host: '127.0.0.1', port: 0, localNode: { images: {} } },
      installCrds: true,
      discoveryNamespace: 'default',
      syncIntervalMs: 500,
      gtTimeoutMs: 20_000,
      gtConcurrency: 4,
      stuckThresholdMs: 3_600_000,
      escalationAddress: '{rig}/witness',
      escalationRepeatMs: 600_000,
      escalationMaxIntervalMs: 7_200_000,
      escalationMaxMails: 5,
      workers: 2,
      metricsAddr: '0',
      healthAddr: '0',
      leaderElection: { enabled: false, namespace: 'default', name: 'x', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
      shutdownTimeoutMs: 5_000,
      podExecution: { namespace: NS, proxyRetryMaxMs: 2_000, proxyCheckIntervalMs: 500 },
      // Debug level for the API server's request log only (every other line is dropped unparsed).
      logger: createLogger({ level: 'debug', destination: requestLog }),
    });
    const kc = new KubeConfig();
    kc.loadFromFile(op.kubeconfigPath!);
    kube = new KubeClient(kc);
    core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: NS } } });
    await eventually('CRDs served', async () => (await kube.list(RIG_KIND)) && true, 20_000, 100);
    const address = refusing.address();
    assert.ok(address !== null && typeof address === 'object');
    await kube.create(RIG_KIND, { metadata: { name: 'gastown' }, spec: { localPath: path.join(root, 'gastown'), execution: execution(`http://127.0.0.1:${adminPort}`) } } as KubeObject);
    await kube.create(RIG_KIND, { metadata: { name: 'beads' }, spec: { localPath: path.join(root, 'beads'), execution: execution(`http://127.0.0.1:${address.port}`) } } as KubeObject);
    await kube.create(RIG_KIND, { metadata: { name: 'capped' }, spec: { localPath: path.join(root, 'capped'), execution: { ...execution(`http://127.0.0.1:${adminPort}`), maxPods: 2 } } } as KubeObject);
  });

  after(async () => {
    await op?.stop();
    await proxy?.close();
    await new Promise<void>((r) => refusing.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('proxy down: no Secret, a clear condition and Event, retried; back up: a real certificate with the right CN, and the clone through the proxy works', async () => {
    const name = await makePod('gastown', polecats.cert, ['sleep', '600']);
    const down = await credentials('gastown', 'ProxyUnavailable', (c) => c.reason === 'ProxyUnavailable');
    assert.equal(down.status, 'False');
    assert.match(down.message, new RegExp(`127\\.0\\.0\\.1:${adminPort}`));
    assert.equal(await secret(sessionSecretName(name)), undefined, 'no Secret while the proxy is down');
    assert.ok((await events('ProxyUnavailable')).some((e) => e.involvedObject.name === name), 'a Warning Event on the pod');
    const waiting = await eventually('the Polecat view waits for the certificate', async () => {
      const c = (await view(polecats.cert))?.status?.conditions?.find((x) => x.type === 'SessionAttached');
      return c?.reason === 'CertificatePending' ? c : undefined;
    }, 30_000, 100);
    assert.equal(waiting.status, 'False');

    proxy = await startProxy({ townRoot: root, host: '127.0.0.1', port: proxyPort, adminHost: '127.0.0.1', adminPort });
    const s = await eventually('the certificate Secret', () => secret(sessionSecretName(name)), 40_000, 100);
    assert.deepEqual(Object.keys(s.data ?? {}).sort(), ['ca.crt', 'tls.crt', 'tls.key']);
    const p = (await pod(name))!;
    assert.deepEqual(s.metadata?.ownerReferences?.map((o) => [o.kind, o.name, o.uid]), [['Pod', name, p.metadata?.uid]]);
    const cert = new X509Certificate(Buffer.from(s.data!['tls.crt']!, 'base64'));
    assert.match(cert.subject, new RegExp(`CN=gt-gastown-${polecats.cert}$`, 'm'));
    assert.ok(cert.checkIssued(new X509Certificate(Buffer.from(s.data!['ca.crt']!, 'base64'))), 'issued by the proxy CA');
    // The init container cloned through the proxy with this certificate; the agent runs.
    const running = await eventually('agent running', async () => {
      const x = await pod(name);
      return x?.status?.containerStatuses?.find((c) => c.name === 'agent')?.state?.running ? x : undefined;
    }, 40_000, 100);
    assert.ok(running.spec?.nodeName);
    const ok = await credentials('gastown', 'SessionCredentials True', (c) => c.status === 'True');
    assert.equal(ok.reason, 'CertificatesIssued');
    const v = await eventually('the Polecat view shows the pod', async () => {
      const x = await view(polecats.cert);
      return x?.status?.execution?.node !== undefined && x.status.execution.podPhase === 'Running' ? x : undefined;
    }, 30_000, 100);
    assert.equal(v.status?.execution?.podName, name);
    assert.equal(v.status?.execution?.mode, 'Pod');
    assert.equal(v.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status, 'True');
    assert.equal(v.status?.phase, 'Working');
  });

  test('the NetworkPolicy selects the rig\'s session pods: no ingress; egress to DNS, the proxy and the model CIDRs only', async () => {
    const list = await kube.list<KubeObject & { spec: Record<string, unknown> }>(NETWORK_POLICY_KIND, { namespace: NS, labelSelector: 'gastown.gastown.io/session' });
    const policies = list.items.filter((x) => x.metadata?.annotations?.['gastown.gastown.io/rig'] === 'gastown');
    assert.equal(policies.length, 1);
    const spec = policies[0]!.spec as { podSelector: unknown; policyTypes: string[]; ingress: unknown[]; egress: { to: { ipBlock?: { cidr: string; except?: string[] } }[]; ports: { protocol: string; port: number }[] }[] };
    assert.deepEqual(spec.podSelector, { matchLabels: { 'gastown.gastown.io/session': 'agent', 'gastown.gastown.io/rig': 'gastown' } });
    assert.deepEqual(spec.policyTypes, ['Ingress', 'Egress']);
    assert.deepEqual(spec.ingress, []);
    assert.equal(spec.egress.length, 4);
    assert.deepEqual(spec.egress[0]!.ports, [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }]);
    assert.deepEqual(spec.egress[1], { to: [{ ipBlock: { cidr: '127.0.0.1/32' } }], ports: [{ protocol: 'TCP', port: proxyPort }] });
    const everywhere = spec.egress[2]!.to[0]!.ipBlock!;
    assert.equal(everywhere.cidr, '0.0.0.0/0');
    for (const forbidden of ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16']) assert.ok(everywhere.except?.includes(forbidden), forbidden);
    assert.deepEqual(spec.egress[3], { to: [{ ipBlock: { cidr: '203.0.113.0/24' } }], ports: [{ protocol: 'TCP', port: 8443 }] });
  });

  test('maxPods 2, four sessions started at once: two admitted past the capacity gate, never more; the others wait with a clear condition and one Event; a pod that ends admits the next', async () => {
    const names = await Promise.all(capped.map((p) => makePod('capped', p, ['sleep', '600'])));
    const gatedNow = (p: SessionPod): boolean => (p.spec?.schedulingGates ?? []).some((g) => g.name === 'gastown.gastown.io/capacity');
    const cappedPods = async (): Promise<SessionPod[]> => (await kube.list<SessionPod>(POD_KIND, { namespace: NS, labelSelector: 'gastown.gastown.io/session,gastown.gastown.io/rig=capped' })).items;
    let mostAdmitted = 0;
    const settled = async (admittedWanted: number, waitingWanted: number): Promise<SessionPod[]> => eventually(`${admittedWanted} admitted, ${waitingWanted} waiting`, async () => {
      const pods = (await cappedPods()).filter((p) => p.metadata?.deletionTimestamp === undefined);
      const admitted = pods.filter((p) => !gatedNow(p));
      mostAdmitted = Math.max(mostAdmitted, admitted.length);
      const r = await rig('capped');
      const running = admitted.filter((p) => p.status?.containerStatuses?.find((c) => c.name === 'agent')?.state?.running !== undefined);
      return running.length === admittedWanted && pods.length - admitted.length === waitingWanted && r.status?.execution?.waitingPods === waitingWanted ? pods : undefined;
    }, 60_000, 50);
    const first = await settled(2, 2);
    assert.equal(mostAdmitted, 2, 'never more than maxPods admitted');
    for (const p of first.filter(gatedNow)) assert.equal(p.spec?.nodeName, undefined, 'a gated pod is not bound to a node');
    const r = await rig('capped');
    assert.deepEqual([r.status?.execution?.runningPods, r.status?.execution?.waitingPods, r.status?.execution?.maxPods], [2, 2, 2]);
    const cap = condition(r, 'SessionCapacity');
    assert.deepEqual([cap?.status, cap?.reason], ['False', 'AtMaxPods']);
    assert.match(cap?.message ?? '', /2 of maxPods 2 session pods run; 2 wait/);
    const waitingName = first.find(gatedNow)?.metadata?.annotations?.['gastown.gastown.io/polecat'] ?? '';
    const waiting = await eventually('the waiting Polecat view says why', async () => {
      const v = await view(waitingName, 'capped');
      return v?.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.reason === 'WaitingForCapacity') ? v : undefined;
    }, 30_000, 100);
    const scheduled = waiting.status?.conditions?.find((c) => c.type === 'PodScheduled');
    assert.equal(scheduled?.status, 'False');
    assert.match(scheduled?.message ?? '', /waits for capacity: the rig runs 2 of maxPods 2 session pods/);
    const capacityEvents = async (): Promise<CoreV1Event[]> => (await core.listNamespacedEvent({ namespace: 'default' })).items
      .filter((e) => e.reason === 'WaitingForCapacity' && e.involvedObject.name === waiting.metadata.name);
    await eventually('the WaitingForCapacity Event', async () => ((await capacityEvents()).length > 0 ? true : undefined), 20_000, 100);
    // The pane of an admitted session closes (the wrapper deletes its pod): the oldest waiting one is admitted.
    const ended = first.find((p) => !gatedNow(p))!;
    await kube.delete(POD_KIND, { namespace: NS, name: ended.metadata!.name! });
    await settled(2, 1);
    assert.equal(mostAdmitted, 2, 'still never more than maxPods admitted');
    const events = await capacityEvents();
    assert.equal(events.length, 1, 'one Event per wait');
    assert.equal(events[0]?.type, 'Normal');
    assert.equal(events[0]?.count ?? 1, 1);
    // Leave nothing behind for the leak check.
    for (const name of names) await kube.delete(POD_KIND, { namespace: NS, name }).catch(() => undefined);
    await eventually('capped pods gone', async () => ((await cappedPods()).length === 0 ? true : undefined), 40_000, 100);
  });

  test('a certificate the proxy refuses: condition and Event, the pod deleted, no Secret', async () => {
    const name = await makePod('beads', polecats.refused, ['sleep', '600']);
    const c = await credentials('beads', 'CertificateRefused', (x) => x.reason === 'CertificateRefused');
    assert.match(c.message, /identity not allowed/);
    await eventually('the refused pod is deleted', async () => ((await pod(name)) === undefined ? true : undefined), 30_000, 100);
    assert.equal(await secret(sessionSecretName(name)), undefined);
    assert.ok((await events('CertificateRefused')).some((e) => e.involvedObject.name === name));
  });

  test('an agent over its memory limit: the Polecat is Failed with OOMKilled, Stuck, and escalated to the witness', async () => {
    const hog = 'const a = []; setInterval(() => a.push(Buffer.alloc(16 << 20, 1)), 20);';
    // `node` from PATH: absolute paths under the pod's mounts (/work, /tmp) are rewritten into the pod root.
    const name = await makePod('gastown', polecats.oom, ['node', '-e', hog], { limits: { memory: '128Mi' } });
    const v = await eventually('Failed OOMKilled', async () => {
      const x = await view(polecats.oom);
      return x?.status?.phase === 'Failed' ? x : undefined;
    }, 60_000, 200);
    const ready = v.status?.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.reason, 'OOMKilled');
    assert.equal(v.status?.execution?.lastTerminationReason, 'OOMKilled');
    assert.equal(v.status?.execution?.lastExitCode, 137);
    assert.equal(v.status?.execution?.podName, name);
    assert.equal(v.status?.conditions?.find((c) => c.type === 'Stuck')?.status, 'True');
    await eventually('the escalation mail', () => (readCalls(root).some((c) => c.args[0] === 'mail' && c.args[1] === 'send' && c.args.includes('gastown/witness')) ? true : undefined), 30_000, 200);
  });

  test('deleting the pod under a working polecat shows Failed (PodDeleted), never Working', async () => {
    const name = await makePod('gastown', polecats.deleted, ['sleep', '600']);
    await eventually('the view records the pod', async () => ((await view(polecats.deleted))?.status?.execution?.podName === name ? true : undefined), 40_000, 100);
    await kube.delete(POD_KIND, { namespace: NS, name });
    // While the pod terminates, and after it is gone (phase Absent), the view stays Failed.
    const v = await eventually('Failed PodDeleted, pod gone', async () => {
      const x = await view(polecats.deleted);
      return x?.status?.phase === 'Failed' && x.status.conditions?.find((c) => c.type === 'Ready')?.reason === 'PodDeleted' && x.status.execution?.podPhase === 'Absent' ? x : undefined;
    }, 40_000, 100);
    assert.equal(v.status?.execution?.podName, name);
  });

  test('retirement: gt no longer has the polecat -> pod and Secret deleted, the serial denied and remembered', async () => {
    const name = sessionPodName('gastown', polecats.cert);
    const s = (await secret(sessionSecretName(name)))!;
    const serial = s.metadata?.annotations?.['gastown.gastown.io/certificate-serial'];
    assert.ok(serial);
    await removePolecatOutside(root, 'gastown', polecats.cert);
    await eventually('pod and Secret gone', async () => ((await pod(name)) === undefined && (await secret(sessionSecretName(name))) === undefined ? true : undefined), 40_000, 100);
    await eventually('the serial denied at the proxy', () => (proxy?.deny.has(serial) ? true : undefined), 20_000, 100);
    const remembered = await eventually('the serial remembered in the Rig status', async () => {
      const r = await rig('gastown');
      return r.status?.execution?.retiredSerials?.find((x) => x.serial === serial);
    }, 20_000, 100);
    assert.equal(remembered.polecat, polecats.cert);
    assert.ok((await events('SessionRetired')).some((e) => e.involvedObject.name === name));
  });

  test('a restarted proxy (new server certificate, empty deny list): the remembered serials are denied again, with a ProxyRestarted Event', async () => {
    const remembered = (await rig('gastown')).status?.execution?.retiredSerials?.map((r) => r.serial) ?? [];
    assert.ok(remembered.length > 0, 'the retirement test left a remembered serial');
    await proxy?.close();
    proxy = await startProxy({ townRoot: root, host: '127.0.0.1', port: proxyPort, adminHost: '127.0.0.1', adminPort });
    assert.equal(proxy.deny.size, 0, 'a new proxy process starts with an empty deny list');
    await eventually('every remembered serial denied at the new proxy', () => (remembered.every((s) => proxy?.deny.has(s)) ? true : undefined), 30_000, 100);
    const restarted = await eventually('the ProxyRestarted Event on the Rig', async () => (await core.listNamespacedEvent({ namespace: 'default' })).items
      .find((e) => e.reason === 'ProxyRestarted' && e.involvedObject.name === 'gastown'), 20_000, 100);
    assert.equal(restarted.type, 'Warning');
    assert.match(restarted.message ?? '', /restarted \(it presents a new server certificate\).*denied again/);
  });

  test('sweep: a pod for a polecat gt never had, and a Secret without a pod, are deleted', async () => {
    const ghost = await makePod('gastown', 'ghost', ['sleep', '600']);
    await kube.create(SECRET_KIND, {
      metadata: {
        name: 'gt-gastown-stray-00000000-cert', namespace: NS,
        labels: { 'gastown.gastown.io/session': 'certificate', 'gastown.gastown.io/rig': 'gastown' },
        annotations: { 'gastown.gastown.io/rig': 'gastown', 'gastown.gastown.io/polecat': 'stray' },
      },
      data: { 'tls.crt': '' },
    } as KubeObject);
    await eventually('ghost pod swept', async () => ((await pod(ghost)) === undefined ? true : undefined), 30_000, 100);
    await eventually('stray Secret swept', async () => ((await secret('gt-gastown-stray-00000000-cert')) === undefined ? true : undefined), 30_000, 100);
    assert.ok((await events('SessionRetired')).some((e) => e.involvedObject.name === ghost));
  });

  test('the operator reads session objects only in the pods\' namespace and only with the session label; a labelled pod elsewhere is not its business', async () => {
    await core.createNamespace({ body: { metadata: { name: 'elsewhere' } } });
    const manifest = buildSessionPod({
      rig: 'gastown', polecat: 'ghost2', namespace: 'elsewhere', branch: 'main', argv: ['sleep', '600'], env: {},
      execution: { mode: 'Pod', proxyURL: `https://127.0.0.1:${proxyPort}`, pod: { image: 'agent' } },
    });
    await kube.create(POD_KIND, manifest);
    // A ghost in the pods' namespace is swept; the one elsewhere, created first, is never seen.
    const ghost = await makePod('gastown', 'ghost3', ['sleep', '600']);
    await eventually('the ghost in the pods\' namespace swept', async () => ((await pod(ghost)) === undefined ? true : undefined), 30_000, 100);
    assert.ok(await kube.get(POD_KIND, { namespace: 'elsewhere', name: sessionPodName('gastown', 'ghost2') }), 'the pod outside the pods\' namespace is untouched');
    await kube.delete(POD_KIND, { namespace: 'elsewhere', name: sessionPodName('gastown', 'ghost2') });
    // Every list or watch of these kinds (this test's own lists select the label too).
    const collections = sessionReads.filter((url) => /\/(pods|secrets|networkpolicies)(\?|$)/.test(url));
    const watches = collections.filter((url) => /[?&]watch=(true|1)/.test(url));
    assert.ok(watches.length >= 3, `the operator watches pods, Secrets and NetworkPolicies: ${watches.join(' ')}`);
    for (const url of collections) {
      assert.match(url, new RegExp(`^/(api/v1|apis/networking\\.k8s\\.io/v1)/namespaces/${NS}/(pods|secrets|networkpolicies)\\?`), `namespaced: ${url}`);
      assert.match(decodeURIComponent(url), /labelSelector=gastown\.gastown\.io\/session/, `label-selected: ${url}`);
    }
  });

  test('no leaks: every certificate Secret has its pod, every session pod a polecat gt has', async () => {
    const secrets = (await kube.list<SecretObj>(SECRET_KIND, { namespace: NS, labelSelector: 'gastown.gastown.io/session' })).items;
    const pods = (await kube.list<SessionPod>(POD_KIND, { namespace: NS, labelSelector: 'gastown.gastown.io/session' })).items;
    const known = new Set([polecats.oom, polecats.deleted, polecats.refused]);
    for (const s of secrets) {
      const owner = s.metadata?.ownerReferences?.[0];
      assert.ok(pods.some((p) => p.metadata?.uid === owner?.uid), `Secret ${s.metadata?.name ?? ''} has its pod`);
    }
    for (const p of pods) assert.ok(known.has(p.metadata?.annotations?.['gastown.gastown.io/polecat'] ?? ''), `pod ${p.metadata?.name ?? ''} has a polecat`);
    assert.ok(pods.length >= 1, 'the OOMKilled pod is kept for inspection while gt has its polecat');
  });
});
