// `gastown-operator session` run as gt runs it (a child process with gt's env, its stdin and
// stdout the pane) against the embedded API server with its local node, whose "polecat" image
// is a directory with a tiny agent and a clone stand-in: one pod for two wrappers, the agent's
// output in the pane and the pane's input at the agent, exit codes (3, and 137 for SIGKILL),
// the pod deleted when the pane closes, re-attach after the stream is cut, maxPods, and input
// refused before any pod.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { buildCrds } from '../../../src/api/index.ts';
import { RIG_KIND } from '../../../src/api/kinds.ts';
import { startEmbeddedApiServer, type EmbeddedApiServer } from '../../../src/apiserver/index.ts';
import { sessionPodName, sessionSecretName } from '../../../src/execution/session-pod.ts';
import { KubeClient } from '../../../src/runtime/k8s.ts';
import { crdKind } from '../../../src/runtime/crd-watch.ts';
import { kubeConfigFor } from '../../helpers/apiserver.ts';
import { eventually } from '../../helpers/eventually.ts';

const MAIN = join(import.meta.dirname, '../../../src/main.ts');

const AGENT = `#!/bin/sh
echo "agent up $GT_POLECAT"
while IFS= read -r line; do
  case "$line" in
    exit\\ *) echo bye; exit "\${line#exit }" ;;
    kill) kill -KILL $$ ;;
    *) echo "got: $line" ;;
  esac
done
`;
// The init container's \`git clone ... <dir>\`: the image has no proxy to clone from.
const GIT = `#!/bin/sh
for last; do :; done
mkdir -p "$last"
`;

interface Wrapper {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
  say: (line: string) => void;
}

class CuttableProxy {
  private readonly sockets = new Set<Socket>();
  readonly server: Server;
  constructor(target: number) {
    this.server = createServer((client) => {
      const upstream = createConnection(target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
  }
  listen(): Promise<number> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as { port: number }).port)));
  }
  /** Drops every open connection, as an API server restart or a network blip would. */
  cut(): number {
    const n = this.sockets.size;
    for (const s of this.sockets) s.destroy();
    return n;
  }
  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('gastown-operator session', () => {
  const dir = mkdtempSync(join(tmpdir(), 'session-cmd-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const image = join(dir, 'image');
  let srv: EmbeddedApiServer;
  let core: CoreV1Api;
  let proxy: CuttableProxy;
  const proxyKubeconfig = join(dir, 'kubeconfig-proxy');
  const wrappers: Wrapper[] = [];

  const podNames = async (): Promise<string[]> => (await core.listNamespacedPod({ namespace: 'polecats' })).items.map((p) => p.metadata?.name ?? '').sort();

  function startWrapper(polecat: string, opts: { rig?: string; kubeconfig?: string; args?: string[] } = {}): Wrapper {
    const rig = opts.rig ?? 'demo';
    const child = spawn(process.execPath, [MAIN, 'session', '--branch', `polecat/${polecat}-1`, '--wait-interval', '200ms', ...(opts.args ?? []), '--', 'agent'], {
      env: { ...process.env, KUBECONFIG: opts.kubeconfig ?? kubeconfig, HOME: dir, GT_RIG: rig, GT_POLECAT: polecat, GT_ROLE: `${rig}/polecats/${polecat}`, GT_ROOT: dir },
      stdio: 'pipe',
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const w = { child, out: () => out, err: () => err, exited, say: (line: string) => child.stdin.write(`${line}\n`) };
    wrappers.push(w);
    return w;
  }

  const attached = (w: Wrapper, times = 1): Promise<true> =>
    eventually('the wrapper attached', () => ((w.err().match(/attached to session pod/g) ?? []).length >= times ? true : undefined), 30_000, 50);

  /** Stands in for the operator: the pod's certificate Secret (the local node needs it to start the pod). */
  async function certificateSecret(polecat: string): Promise<void> {
    const name = sessionSecretName(sessionPodName('demo', polecat));
    const data = Object.fromEntries(['tls.crt', 'tls.key', 'ca.crt'].map((k) => [k, Buffer.from(`test ${k}`).toString('base64')]));
    await core.createNamespacedSecret({ namespace: 'polecats', body: { metadata: { name }, data } });
  }

  before(async () => {
    mkdirSync(image);
    for (const [name, text] of [['agent', AGENT], ['git', GIT]] as const) {
      writeFileSync(join(image, name), text);
      chmodSync(join(image, name), 0o755);
    }
    srv = await startEmbeddedApiServer({ kubeconfigPath: kubeconfig, localNode: { dir: join(dir, 'node'), images: { polecat: image } } });
    const kc = kubeConfigFor(srv.url, srv.token, srv.caData);
    core = kc.makeApiClient(CoreV1Api);
    const kube = new KubeClient(kc);
    for (const crd of buildCrds()) await kube.create(crdKind, crd);
    await core.createNamespace({ body: { metadata: { name: 'polecats' } } });
    const rig = (name: string, execution: Record<string, unknown>): Record<string, unknown> => ({
      apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Rig', metadata: { name }, spec: { localPath: join(dir, name), execution },
    });
    const pod = { image: 'polecat' };
    await eventually('rigs served', () => kube.create(RIG_KIND, rig('demo', { mode: 'Pod', namespace: 'polecats', proxyURL: 'https://proxy.invalid:9876', pod })));
    await kube.create(RIG_KIND, rig('capped', { mode: 'Pod', namespace: 'polecats', proxyURL: 'https://proxy.invalid:9876', pod, maxPods: 1 }));
    await kube.create(RIG_KIND, rig('local', { mode: 'Local' }));
    for (const p of ['toast', 'nux', 'slit', 'rex', 'one', 'two']) await certificateSecret(p);
    for (const p of ['one']) {
      const name = sessionSecretName(sessionPodName('capped', p));
      await core.createNamespacedSecret({ namespace: 'polecats', body: { metadata: { name }, data: { 'tls.crt': '', 'tls.key': '', 'ca.crt': '' } } });
    }
    proxy = new CuttableProxy(Number(new URL(srv.url).port));
    const port = await proxy.listen();
    writeFileSync(proxyKubeconfig, readFileSync(kubeconfig, 'utf8').replace(srv.url, `https://127.0.0.1:${port}`), { mode: 0o600 });
  });

  after(async () => {
    for (const w of wrappers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.all(wrappers.map((w) => w.exited));
    await proxy.close();
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('two wrappers of one polecat share one pod; output and input cross it; exit codes come back (3, and 137 for SIGKILL)', async () => {
    const first = startWrapper('toast');
    const second = startWrapper('toast');
    const killed = startWrapper('rex');
    await attached(first);
    await attached(second);
    await attached(killed);
    assert.deepEqual(await podNames(), [sessionPodName('demo', 'rex'), sessionPodName('demo', 'toast')].sort(), 'exactly one session pod per polecat');
    first.say('hello');
    await eventually('both panes show the agent\'s answer', () => (/got: hello/.test(first.out()) && /got: hello/.test(second.out()) ? true : undefined));
    second.say('exit 3');
    assert.equal(await first.exited, 3);
    assert.equal(await second.exited, 3);
    assert.match(first.out(), /bye/);
    killed.say('kill');
    assert.equal(await killed.exited, 137);
  });

  test('the pane closed (SIGTERM) deletes the pod', async () => {
    const w = startWrapper('nux');
    await attached(w);
    const name = sessionPodName('demo', 'nux');
    assert.ok((await podNames()).includes(name));
    w.child.kill('SIGTERM');
    assert.equal(await w.exited, 143);
    await eventually('the pod is gone', async () => ((await podNames()).includes(name) ? undefined : true), 20_000, 100);
  });

  test('a cut stream is re-attached and the agent keeps its state', async () => {
    const w = startWrapper('slit', { kubeconfig: proxyKubeconfig, args: ['--keepalive', '1s'] });
    await attached(w);
    w.say('before');
    await eventually('the agent answered', () => (/got: before/.test(w.out()) ? true : undefined));
    assert.ok(proxy.cut() > 0, 'there was a stream to cut');
    await attached(w, 2);
    assert.match(w.err(), /re-attached to session pod/);
    w.say('after');
    await eventually('the same agent answers after the re-attach', () => (/got: after/.test(w.out()) ? true : undefined));
    assert.equal((w.out().match(/agent up slit/g) ?? []).length <= 1, true, 'the agent was not restarted');
    w.say('exit 0');
    assert.equal(await w.exited, 0);
  });

  test('maxPods: the pod is created behind the capacity gate, not bound while gated; the wrapper waits and attaches once the gate is lifted', async () => {
    const one = startWrapper('one', { rig: 'capped' });
    const name = sessionPodName('capped', 'one');
    const gated = await eventually('the gated pod', async () => {
      const p = (await core.listNamespacedPod({ namespace: 'polecats' })).items.find((x) => x.metadata?.name === name);
      return p;
    }, 30_000, 100);
    assert.deepEqual(gated.spec?.schedulingGates?.map((g) => g.name), ['gastown.gastown.io/capacity']);
    await eventually('the wrapper says it waits for capacity', () => (/waiting: rig capped runs its maxPods \(1\)/.test(one.err()) ? true : undefined), 30_000, 100);
    const held = await core.readNamespacedPod({ namespace: 'polecats', name });
    assert.equal(held.spec?.nodeName, undefined, 'a gated pod is not bound to the node');
    assert.deepEqual(held.status?.conditions?.map((c) => [c.type, c.status, c.reason]), [['PodScheduled', 'False', 'SchedulingGated']]);
    // Standing in for the operator (the gate's only remover): admit the pod.
    await core.replaceNamespacedPod({ namespace: 'polecats', name, body: { ...held, spec: { ...held.spec!, schedulingGates: [] } } });
    await attached(one);
    one.say('exit 5');
    assert.equal(await one.exited, 5);
  });

  test('refused before any pod: a rig name the certificate CN cannot carry, a rig not in Pod mode, no agent', async () => {
    const before = await podNames();
    const badName = startWrapper('toast', { rig: 'my-rig' });
    const local = startWrapper('toast', { rig: 'local' });
    assert.equal(await badName.exited, 2);
    assert.match(badName.err(), /rig name "my-rig" cannot be carried by the proxy certificate CN/);
    assert.equal(await local.exited, 2);
    assert.match(local.err(), /does not set spec.execution.mode: Pod/);
    assert.deepEqual(await podNames(), before, 'no pod was created');
  });
});
