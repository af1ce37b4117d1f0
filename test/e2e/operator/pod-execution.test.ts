// Polecats on the cluster, end to end with real processes only: the embedded API server with
// its local node (`gastown-operator apiserver --local-node`, the "cluster": pods run as host
// processes, image `agent` = sim/image/bin with the scripted agent and the proxy client as
// gt/bd), the simulated gt proxy (`gt-proxy-server`), the operator (`gastown-operator run
// --pod-execution`) and a simulated town whose rigs start sessions through the session wrapper
// (`runtime.exec_wrapper`). Driven like a user would: the simulated `gt` CLI (sling, nudge, peek,
// polecat list, nuke) and kubectl. The operator is a process of its own, as on a cluster: the
// wrapper's attach stream goes to the API server, so restarting the operator (kill -9) touches
// neither the stream nor the pods (re-attaching after a dropped stream is the wrapper's own test,
// test/integration/execution/session-command.test.ts).
//
// One town, one operator, one proxy for the whole file; the steps run in order and share state:
// the proxy starts down (bad input: admin API unreachable), two slings make two pods, the proxy
// comes up, the agents push and wait for a nudge; the operator is killed and started again
// mid-session; a third polecat's pod is deleted; the nudges go in, `gt done` retires both
// polecats; OOMKilled, a refused certificate, a rig name the CN cannot carry and a template the
// API rejects run beside; a leak sweep ends it.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sessionPodName, sessionSecretName } from '../../../src/execution/session-pod.ts';
import { SIM_BD, SIM_GT } from '../../../src/town/select.ts';
import { readCalls } from '../../../sim/src/control.ts';
import { endSession } from '../../../sim/src/session/sessions.ts';
import { readState } from '../../../sim/src/store.ts';
import { createTown } from '../../../sim/src/town.ts';
import { eventually } from '../../helpers/eventually.ts';
import { KUBECTL_BIN, ok, runnerFor } from '../../helpers/kubectl.ts';
import { freePort, spawnLogged, type LoggedProcess } from '../../helpers/process.ts';
import { gt } from '../../integration/sim/harness.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const MAIN = path.join(ROOT, 'src/main.ts');
const NS = 'polecats';
/** The test "image": the scripted agent, and the proxy client installed as gt and bd. */
const IMAGE = path.join(ROOT, 'sim/image/bin');

/** Whole processes on a shared 2-core machine: 90 s of patience, checked every 200 ms. */
const patiently = <T>(what: string, check: () => T | Promise<T>, timeoutMs = 90_000): Promise<Exclude<T, undefined | false>> =>
  eventually(what, check, timeoutMs, 200);

interface Named { metadata: { name: string; uid: string; annotations?: Record<string, string>; ownerReferences?: { kind: string; name: string; uid: string }[] } }
type PodJson = Named & { spec: { nodeName?: string }; status: { phase?: string; containerStatuses?: { name: string; state?: { running?: { startedAt?: string } } }[] } };
type SecretJson = Named & { data: Record<string, string> };
interface EventJson { reason: string; type: string; message: string; count?: number; involvedObject: { kind: string; name: string } }
interface ConditionJson { type: string; status: string; reason: string; message: string }
interface PolecatRow { name: string; state: string; issue?: string; session_running: boolean }

describe('Polecats on the cluster: gt sling to session pods, through the real processes', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pod-execution-'));
  const town = path.join(dir, 'town');
  const kubeconfig = path.join(dir, 'kubeconfig');
  const env = { ...process.env, HOME: dir, KUBECONFIG: kubeconfig, GT_SIM_NODE: process.execPath };
  const kubectl = runnerFor(KUBECTL_BIN, env);
  let apiserver: LoggedProcess;
  let operator: LoggedProcess;
  let proxy: LoggedProcess | undefined;
  let refusing: Server;
  let proxyPort: number;
  let adminPort: number;
  /** gt names: two slung and finished through the proxy, one whose pod is deleted. */
  const names = { first: '', second: '', deleted: '', hog: '', refused: '' };
  const beads = { first: '', second: '', deleted: '', hog: '', refused: '', badRig: '' };

  // ---- driving and reading ----
  const gtCli = async (...args: string[]): Promise<string> => {
    const r = await gt(town, args, { env: { PATH: process.env['PATH'] ?? '' } });
    assert.equal(r.code, 0, `gt ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const polecats = async (rig: string): Promise<PolecatRow[]> => JSON.parse(await gtCli('polecat', 'list', rig, '--json')) as PolecatRow[];
  const holder = async (rig: string, bead: string): Promise<string> =>
    patiently(`the polecat holding ${bead}`, async () => (await polecats(rig)).find((p) => p.issue === bead)?.name);
  const sessionLog = (prefix: string, name: string): string => {
    try {
      return readFileSync(path.join(town, '.runtime', 'sessions', `${prefix}-${name}.log`), 'utf8');
    } catch {
      return '';
    }
  };
  const json = async <T>(...args: string[]): Promise<T> => JSON.parse(await ok(kubectl, ...args, '-o', 'json')) as T;
  const items = async <T>(...args: string[]): Promise<T[]> => (await json<{ items: T[] }>(...args)).items;
  const sessionPods = (rig: string): Promise<PodJson[]> => items<PodJson>('get', 'pods', '-n', NS, '-l', `gastown.gastown.io/session=agent,gastown.gastown.io/rig=${rig}`);
  const secrets = (): Promise<SecretJson[]> => items<SecretJson>('get', 'secrets', '-n', NS, '-l', 'gastown.gastown.io/session');
  const secretOf = async (pod: string): Promise<SecretJson | undefined> => (await secrets()).find((s) => s.metadata.name === sessionSecretName(pod));
  const events = async (reason: string, ns = NS): Promise<EventJson[]> => (await items<EventJson>('get', 'events', '-n', ns)).filter((e) => e.reason === reason);
  const rigCondition = async (rig: string, type: string): Promise<ConditionJson | undefined> =>
    (await json<{ status?: { conditions?: ConditionJson[] } }>('get', 'rig', rig)).status?.conditions?.find((c) => c.type === type);
  const jsonpath = async (resource: string, expr: string): Promise<string> => ok(kubectl, 'get', resource, '-n', 'default', '-o', `jsonpath=${expr}`);
  /** The discovered Polecat view of a gt polecat (town sync names it; we look it up by its labels). */
  const discovered = async (rig: string, name: string): Promise<string | undefined> => {
    const list = await items<Named & { spec: { rig: string }; status?: { gtName?: string } }>('get', 'polecats', '-n', 'default');
    return list.find((p) => p.spec.rig === rig && p.status?.gtName === name)?.metadata.name;
  };

  // ---- the processes ----
  const startOperator = (): LoggedProcess => spawnLogged(process.execPath, [
    MAIN, 'run', '--kubeconfig', kubeconfig, '--town-root', town, '--gt-path', SIM_GT, '--bd-path', SIM_BD, '--no-simulator',
    '--install-crds', 'true', '--pod-execution', '--pod-namespace', NS, '--proxy-retry-max', '2s', '--sync-interval', '1s', '--stuck-threshold', '1h',
    '--metrics-addr', '0', '--health-addr', '0', '--log-format', 'json',
  ], { env });
  const startProxy = (): LoggedProcess => spawnLogged(path.join(ROOT, 'sim/bin/gt-proxy-server'), [
    '--listen', `127.0.0.1:${proxyPort}`, '--admin-listen', `127.0.0.1:${adminPort}`, '--town-root', town,
  ], { env });

  /** The rig's gt settings (the user's file): sessions through the wrapper, the scripted agent. */
  const wireRig = (rig: string, agentArgs: string[]): void => {
    mkdirSync(path.join(town, rig, 'settings'), { recursive: true });
    writeFileSync(path.join(town, rig, 'settings', 'config.json'), JSON.stringify({
      type: 'rig-settings', version: 1,
      runtime: {
        exec_wrapper: [path.join(ROOT, 'bin/gastown-operator'), 'session', '--branch', 'main', '--kubeconfig', kubeconfig, '--wait-interval', '200ms', '--'],
        command: 'sim-agent', args: agentArgs,
      },
    }));
  };
  const rigView = (rig: string, adminURL: string, pod: Record<string, unknown> = {}): object => ({
    apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Rig', metadata: { name: rig },
    spec: {
      localPath: path.join(town, rig),
      execution: { mode: 'Pod', namespace: NS, proxyURL: `https://127.0.0.1:${proxyPort}`, proxyAdminURL: adminURL, pod: { image: 'agent', ...pod } },
    },
  });
  const apply = (...objects: object[]): Promise<string> =>
    kubectl.withInput(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }), 'apply', '-f', '-').then((r) => {
      assert.equal(r.code, 0, r.stderr);
      return r.stdout;
    });

  before(async () => {
    await ok(kubectl, 'version', '--client'); // fail loudly, never skip, without kubectl
    await createTown(town, {
      seed: 12, polecatsPerRig: 0, convoys: 0, beadsPerRig: 4,
      rigs: [{ name: 'gastown', prefix: 'gt' }, { name: 'hog', prefix: 'hg' }, { name: 'refused', prefix: 'rf' }, { name: 'my-rig', prefix: 'mr' }],
    });
    const open = (prefix: string): string[] => Object.values(readState(town).beads)
      .filter((b) => b.status === 'open' && b.issueType === 'task' && b.id.startsWith(`${prefix}-`)).map((b) => b.id).sort();
    [beads.first, beads.second, beads.deleted] = open('gt') as [string, string, string];
    beads.hog = open('hg')[0]!;
    beads.refused = open('rf')[0]!;
    beads.badRig = open('mr')[0]!;
    // Agents push their branch, try main, then wait for a nudge before `gt done`.
    wireRig('gastown', ['--wait-nudge', '--push-main']);
    wireRig('hog', ['--no-git']);
    wireRig('refused', ['--no-git']);
    wireRig('my-rig', ['--no-git']);
    [proxyPort, adminPort] = [await freePort(), await freePort()];
    refusing = createHttpServer((_req, res) => {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end('identity not allowed on this proxy');
    });
    await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', r));

    apiserver = spawnLogged(process.execPath, [
      MAIN, 'apiserver', '--data-dir', path.join(dir, 'cluster'), '--kubeconfig', kubeconfig, '--local-node', '--local-node-image', `agent=${IMAGE}`, '--log-level', 'warn',
    ], { env });
    await patiently('the API server', () => apiserver.stdout().includes('"kubeconfig"'));
    operator = startOperator();
    await patiently('the CRDs installed', async () => (await kubectl('get', 'rigs')).code === 0);
    await ok(kubectl, 'create', 'namespace', NS);
    const refusingPort = (refusing.address() as { port: number }).port;
    await apply(
      rigView('gastown', `http://127.0.0.1:${adminPort}`),
      rigView('hog', `http://127.0.0.1:${adminPort}`, { resources: { limits: { memory: '32Mi' } } }),
      rigView('refused', `http://127.0.0.1:${refusingPort}`),
      rigView('my-rig', `http://127.0.0.1:${adminPort}`),
    );
  });

  after(async () => {
    // Sessions first (their wrappers talk to the API server), then the servers.
    const sessions = path.join(town, '.runtime', 'sessions');
    const live = existsSync(sessions) ? readdirSync(sessions).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)) : [];
    await Promise.all(live.map((s) => endSession(town, s, 'now', 5000)));
    await Promise.all([operator?.kill(), proxy?.kill()]);
    await apiserver?.kill();
    await new Promise<void>((r) => refusing.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('bad input: a pod template the API rejects is refused at kubectl apply with a clear message', async () => {
    const bad = rigView('gastown', `http://127.0.0.1:${adminPort}`, { env: [{ name: 'GT_PROXY_URL', value: 'https://elsewhere.invalid' }] });
    const r = await kubectl.withInput(JSON.stringify(bad), 'apply', '-f', '-');
    assert.notEqual(r.code, 0, 'the API server refused the Rig');
    assert.match(r.stderr, /spec\.execution\.pod\.env.*GT_PROXY_URL|GT_\*/s);
    const kept = await json<{ spec: { execution: { pod: { env?: unknown } } } }>('get', 'rig', 'gastown');
    assert.equal(kept.spec.execution.pod.env, undefined, 'the stored Rig is unchanged');
  });

  test('proxy down: gt sling of two beads gives two pods and no Secret, a clear condition and Events, retried; the proxy up: one certificate Secret per pod', async () => {
    await Promise.all([gtCli('sling', beads.first, 'gastown'), gtCli('sling', beads.second, 'gastown')]);
    [names.first, names.second] = await Promise.all([holder('gastown', beads.first), holder('gastown', beads.second)]);
    const podNames = [sessionPodName('gastown', names.first), sessionPodName('gastown', names.second)].sort();
    await patiently('two session pods', async () => (await sessionPods('gastown')).map((p) => p.metadata.name).sort().join() === podNames.join());

    const down = await patiently('SessionCredentials ProxyUnavailable', async () => {
      const c = await rigCondition('gastown', 'SessionCredentials');
      return c?.reason === 'ProxyUnavailable' ? c : undefined;
    });
    assert.equal(down.status, 'False');
    assert.match(down.message, new RegExp(`127\\.0\\.0\\.1:${adminPort} is unreachable.*retrying with backoff`));
    // Retried: the Warning on each pod is repeated (one Event, its count going up).
    await patiently('the ProxyUnavailable Events repeated', async () => {
      const seen = await events('ProxyUnavailable');
      return podNames.every((n) => seen.filter((e) => e.involvedObject.name === n).reduce((sum, e) => sum + (e.count ?? 1), 0) >= 2);
    });
    assert.deepEqual(await secrets(), [], 'no certificate Secret while the proxy is down');
    for (const p of await sessionPods('gastown')) assert.equal(p.status.containerStatuses?.find((c) => c.name === 'agent')?.state?.running, undefined, 'the agent does not run without its certificate');
    const pending = await patiently('the Polecat view waits for its certificate', async () => {
      const view = await discovered('gastown', names.first);
      return view === undefined ? undefined : (await jsonpath(`polecat/${view}`, '{.status.conditions[?(@.type=="SessionAttached")].reason}')) === 'CertificatePending';
    });
    assert.ok(pending);

    proxy = startProxy();
    await patiently('the proxy listening', () => proxy!.stdout().includes('admin  addr='));
    const issued = await patiently('a certificate Secret per pod', async () => {
      const all = (await Promise.all(podNames.map(secretOf))).filter((s) => s !== undefined);
      return all.length === podNames.length ? all : undefined;
    });
    const pods = await sessionPods('gastown');
    for (const s of issued) {
      const pod = pods.find((p) => sessionSecretName(p.metadata.name) === s.metadata.name)!;
      assert.deepEqual(s.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.uid]), [['Pod', pod.metadata.name, pod.metadata.uid]]);
      const cert = new X509Certificate(Buffer.from(s.data['tls.crt']!, 'base64'));
      assert.match(cert.subject, new RegExp(`CN=gt-gastown-${pod.metadata.annotations?.['gastown.gastown.io/polecat'] ?? ''}$`, 'm'));
    }
    assert.notEqual(issued[0]!.metadata.annotations?.['gastown.gastown.io/certificate-serial'], issued[1]!.metadata.annotations?.['gastown.gastown.io/certificate-serial'], 'one certificate each');
    await patiently('SessionCredentials True', async () => (await rigCondition('gastown', 'SessionCredentials'))?.status === 'True');
  });

  test('working: the agents pushed their polecat branch through the proxy (main refused); kubectl get polecats -o wide shows NODE and POD', async () => {
    // Follow the two slung polecats with Polecat views of our own (gt slung them: adopted, not slung again).
    await apply(...(['first', 'second'] as const).map((k) => ({
      apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Polecat', metadata: { name: k, namespace: 'default' },
      spec: { rig: 'gastown', desiredState: 'Working', beadID: beads[k] },
    })));
    for (const k of ['first', 'second'] as const) {
      await patiently(`${k} waiting for a nudge`, () => sessionLog('gt', names[k]).includes('sim-agent: waiting for a nudge'));
      const peek = await gtCli('peek', `gastown/${names[k]}`);
      // The agent's terminal (tty: true) ends lines with \r\n.
      assert.match(peek, new RegExp(`sim-agent: pushed polecat/${names[k]}-[a-z0-9]+\\r?\\n`));
      assert.match(peek, /sim-agent: push to main refused\r?\n/);
    }
    const refs = execFileSync('git', ['for-each-ref', '--format=%(refname)'], { cwd: path.join(town, 'gastown', '.repo.git') }).toString();
    for (const k of ['first', 'second'] as const) assert.match(refs, new RegExp(`refs/heads/polecat/${names[k]}-`));
    assert.equal(execFileSync('git', ['log', '--format=%s', 'main'], { cwd: path.join(town, 'gastown', '.repo.git') }).toString(), 'Initial commit of gastown\n', 'main untouched');

    const wide = await patiently('both views Working with node and pod', async () => {
      const out = await ok(kubectl, 'get', 'polecats', '-n', 'default', '-o', 'wide');
      return (['first', 'second'] as const).every((k) => new RegExp(`^${k}\\s+gastown\\s+Working\\s.*\\slocal-node\\s+${sessionPodName('gastown', names[k])}\\s`, 'm').test(out)) ? out : undefined;
    });
    assert.match(wide, /^NAME\s+RIG\s+PHASE\s+BEAD\s+GT NAME\s+DESIRED\s+GT STATE\s+BRANCH\s+NODE\s+POD\s+AGE/m);
    assert.equal(await jsonpath('polecat/first', '{.status.conditions[?(@.type=="SessionAttached")].status}'), 'True');
    // The bad-input sessions start now, beside the working ones.
    await Promise.all([
      gtCli('sling', beads.hog, 'hog'), gtCli('sling', beads.refused, 'refused'), gtCli('sling', beads.badRig, 'my-rig'), gtCli('sling', beads.deleted, 'gastown'),
    ]);
  });

  test('an operator restart (kill -9, started again) mid-session: the sessions keep running (same pods, agents, certificates); the new operator reports a pod deleted under a working polecat as Failed/PodDeleted', async () => {
    const before = await sessionPods('gastown');
    const serials = Object.fromEntries((await secrets()).map((s) => [s.metadata.name, s.metadata.annotations?.['gastown.gastown.io/certificate-serial']]));
    operator.child.kill('SIGKILL');
    await operator.exited;
    operator = startOperator();
    // The new operator is at work when it reports the pod deleted under the third polecat.
    names.deleted = await holder('gastown', beads.deleted);
    const pod = sessionPodName('gastown', names.deleted);
    await patiently('the third polecat\'s agent running', async () => (await sessionPods('gastown')).find((p) => p.metadata.name === pod)?.status.containerStatuses?.find((c) => c.name === 'agent')?.state?.running);
    const view = await patiently('the view of the third polecat shows its pod', async () => {
      const v = await discovered('gastown', names.deleted);
      return v !== undefined && (await jsonpath(`polecat/${v}`, '{.status.execution.podPhase}')) === 'Running' ? v : undefined;
    });
    await ok(kubectl, 'delete', 'pod', pod, '-n', NS, '--wait=false');
    await patiently('Failed/PodDeleted, never Working', async () => (await jsonpath(`polecat/${view}`, '{.status.phase} {.status.conditions[?(@.type=="Ready")].reason}')) === 'Failed PodDeleted');
    await patiently('its pod gone', async () => ((await sessionPods('gastown')).some((p) => p.metadata.name === pod) ? undefined : true));
    assert.equal(await jsonpath(`polecat/${view}`, '{.status.execution.podPhase}'), 'Absent');

    // The two working sessions did not notice: same pods, same certificates, one agent each.
    const after = await sessionPods('gastown');
    const agentStart = (p: PodJson | undefined): string | undefined => p?.status.containerStatuses?.find((c) => c.name === 'agent')?.state?.running?.startedAt;
    for (const p of before.filter((x) => x.metadata.name !== pod)) {
      const now = after.find((x) => x.metadata.name === p.metadata.name);
      assert.equal(now?.metadata.uid, p.metadata.uid, `${p.metadata.name}: the same pod`);
      assert.ok(agentStart(p) !== undefined && agentStart(now) === agentStart(p), `${p.metadata.name}: the same agent process, running since before the restart`);
    }
    for (const s of await secrets()) if (serials[s.metadata.name] !== undefined) assert.equal(s.metadata.annotations?.['gastown.gastown.io/certificate-serial'], serials[s.metadata.name]);
    const running = await polecats('gastown');
    for (const k of ['first', 'second'] as const) {
      assert.equal(running.find((p) => p.name === names[k])?.session_running, true, `${k}: gt still has its session`);
      assert.equal(sessionLog('gt', names[k]).match(/sim-agent: pushed /g)?.length, 1, `${k}: the agent did its work once`);
    }
  });

  test('a nudge with gt nudge reaches the agent in its pod; gt done retires the polecats; pods, Secrets and certificates are gone', async () => {
    const secretsBefore = await secrets();
    const cred = (k: 'first' | 'second'): SecretJson => {
      const s = secretsBefore.find((x) => x.metadata.annotations?.['gastown.gastown.io/polecat'] === names[k]);
      assert.ok(s, `${k} has its certificate Secret`);
      return s;
    };
    const serial = (k: 'first' | 'second'): string => cred(k).metadata.annotations?.['gastown.gastown.io/certificate-serial'] ?? '';
    assert.equal(await proxyAnswers(cred('first'), proxyPort), 200, 'the certificate works before retirement');
    for (const k of ['first', 'second'] as const) await gtCli('nudge', `gastown/${names[k]}`, `please finish ${k}`);
    for (const k of ['first', 'second'] as const) {
      await patiently(`${k}: the nudge echoed by the agent`, () => sessionLog('gt', names[k]).includes(`sim-agent: nudge: please finish ${k}`));
      await patiently(`${k}: gt done through the proxy`, () => /sim-agent: gt done exited 0/.test(sessionLog('gt', names[k])));
    }
    await patiently('gt retired both polecats', async () => {
      const left = (await polecats('gastown')).map((p) => p.name);
      return !left.includes(names.first) && !left.includes(names.second);
    });
    for (const k of ['first', 'second'] as const) {
      const pod = sessionPodName('gastown', names[k]);
      await patiently(`${k}: pod and Secret gone`, async () => ((await sessionPods('gastown')).some((p) => p.metadata.name === pod) || (await secretOf(pod)) !== undefined ? undefined : true));
    }
    const retired = await patiently('both serials remembered as retired', async () => {
      const r = await json<{ status?: { execution?: { retiredSerials?: { serial: string; polecat: string }[] } } }>('get', 'rig', 'gastown');
      const list = r.status?.execution?.retiredSerials ?? [];
      return (['first', 'second'] as const).every((k) => list.some((x) => x.serial === serial(k))) ? list : undefined;
    });
    assert.equal(retired.find((x) => x.serial === serial('first'))?.polecat, names.first);
    await patiently('the retired certificate is denied at the proxy', async () => (await proxyAnswers(cred('first'), proxyPort)) === 'refused');
    for (const k of ['first', 'second'] as const) {
      await patiently(`${k} Idle/Completed`, async () => (await jsonpath(`polecat/${k}`, '{.status.phase} {.status.conditions[?(@.type=="Ready")].reason}')) === 'Idle Completed');
    }
    assert.equal(await jsonpath('polecat/first', '{.status.execution.podName}'), sessionPodName('gastown', names.first), 'the view keeps the pod it ran in');
  });

  test('an agent over its memory limit: its pod exits 137 OOMKilled, the Polecat is Failed with that reason, escalated to the witness', async () => {
    names.hog = await holder('hog', beads.hog);
    const view = await patiently('the hog view Failed', async () => {
      const v = await discovered('hog', names.hog);
      return v !== undefined && (await jsonpath(`polecat/${v}`, '{.status.phase}')) === 'Failed' ? v : undefined;
    });
    assert.equal(await jsonpath(`polecat/${view}`, '{.status.conditions[?(@.type=="Ready")].reason} {.status.execution.lastTerminationReason} {.status.execution.lastExitCode}'), 'OOMKilled OOMKilled 137');
    assert.equal(await jsonpath(`polecat/${view}`, '{.status.conditions[?(@.type=="Stuck")].status}'), 'True');
    await patiently('the escalation mail to hog/witness', () => readCalls(town).some((c) => c.bin === 'gt' && c.args[0] === 'mail' && c.args[1] === 'send' && c.args.includes('hog/witness')));
  });

  test('bad input: a certificate the proxy refuses, a rig name the CN cannot carry: a condition and an Event each, no pod', async () => {
    names.refused = await holder('refused', beads.refused);
    const refused = await patiently('CertificateRefused', async () => {
      const c = await rigCondition('refused', 'SessionCredentials');
      return c?.reason === 'CertificateRefused' ? c : undefined;
    });
    assert.match(refused.message, /identity not allowed on this proxy/);
    const pod = sessionPodName('refused', names.refused);
    assert.ok((await events('CertificateRefused')).some((e) => e.involvedObject.name === pod && e.type === 'Warning'));
    await patiently('the refused pod deleted', async () => ((await sessionPods('refused')).length === 0 ? true : undefined));

    const wired = await patiently('ExecutionWired InvalidIdentity on my-rig', async () => {
      const c = await rigCondition('my-rig', 'ExecutionWired');
      return c?.reason === 'InvalidIdentity' ? c : undefined;
    });
    assert.equal(wired.status, 'False');
    assert.match(wired.message, /rig name "my-rig" cannot be carried by the proxy certificate CN/);
    assert.ok((await events('InvalidIdentity', 'default')).some((e) => e.involvedObject.kind === 'Rig' && e.involvedObject.name === 'my-rig' && e.type === 'Warning'));
    const badName = await holder('my-rig', beads.badRig);
    await patiently('the wrapper refused the session', () => /cannot be carried by the proxy certificate CN/.test(sessionLog('mr', badName)));
    assert.deepEqual(await sessionPods('my-rig'), [], 'no pod for my-rig');
  });

  test('leak sweep: every certificate Secret has its pod, every session pod a polecat gt has; no process left behind', async () => {
    const pods = await items<PodJson>('get', 'pods', '-n', NS, '-l', 'gastown.gastown.io/session');
    const known = new Set<string>();
    for (const rig of ['gastown', 'hog', 'refused', 'my-rig']) for (const p of await polecats(rig)) known.add(`${rig}/${p.name}`);
    for (const p of pods) {
      const a = p.metadata.annotations ?? {};
      assert.ok(known.has(`${a['gastown.gastown.io/rig'] ?? ''}/${a['gastown.gastown.io/polecat'] ?? ''}`), `pod ${p.metadata.name} belongs to a polecat gt has`);
    }
    for (const s of await secrets()) assert.ok(pods.some((p) => p.metadata.uid === s.metadata.ownerReferences?.[0]?.uid), `Secret ${s.metadata.name} has its pod`);
    assert.deepEqual(pods.map((p) => p.metadata.annotations?.['gastown.gastown.io/polecat']), [names.hog], 'only the OOMKilled pod is left, kept for inspection');

    // Shut everything down the way a user would, then nothing may run from the test's directory.
    // Every session has ended by itself (done, OOMKilled, pod deleted, refused); the kept pod goes with its polecat.
    await gtCli('polecat', 'nuke', '--force', `hog/${names.hog}`);
    await patiently('the OOMKilled pod swept once gt nuked its polecat', async () => ((await items<PodJson>('get', 'pods', '-n', NS)).length === 0 ? true : undefined));
    assert.deepEqual(await secrets(), []);
    operator.child.kill('SIGTERM');
    assert.equal(await operator.exited, 0);
    proxy!.child.kill('SIGTERM');
    await proxy!.exited;
    apiserver.child.kill('SIGTERM');
    await apiserver.exited;
    await patiently('no process left in the test directory', () => processesIn(dir).length === 0 || undefined, 20_000)
      .catch(() => assert.deepEqual(processesIn(dir), [], 'processes left behind'));
  });
});

/** Processes whose working directory is under `dir` (sessions, pods, servers the test started). */
function processesIn(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readlinkSync(`/proc/${pid}/cwd`).startsWith(dir)) found.push(`${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')}`);
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

/** A git read through the proxy with a polecat's certificate: the HTTP status, or 'refused' when the proxy drops it. */
function proxyAnswers(secret: SecretJson, port: number): Promise<number | 'refused'> {
  const pem = (k: string): Buffer => Buffer.from(secret.data[k] ?? '', 'base64');
  const rig = secret.metadata.annotations?.['gastown.gastown.io/rig'] ?? '';
  const url = `/v1/git/${rig}/info/refs?service=git-upload-pack`;
  return new Promise((resolve) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: url, cert: pem('tls.crt'), key: pem('tls.key'), ca: pem('ca.crt') }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve('refused'));
    req.end();
  });
}
