// The local node, driven with the real kubectl as a user would: `kubectl run` (protobuf) to
// Succeeded, logs and logs -f, exec (exit codes, stderr, stdin), attach -i, wait for Ready,
// delete killing the process group, cordon, image map, volumes and env, restart policy,
// activeDeadlineSeconds, bad input, and no process left after the server stops.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedApiServer, type EmbeddedApiServer } from '../../../src/apiserver/index.ts';
import { eventually } from '../../helpers/eventually.ts';
import { KUBECTL_BIN, ok, runnerFor } from '../../helpers/kubectl.ts';

type Obj = Record<string, unknown>;

/** Processes (pids) whose process group is `pgid`, from /proc. */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') out.push(Number(entry));
    } catch {
      // exited while listing
    }
  }
  return out;
}

describe('the local node with kubectl', () => {
  let srv: EmbeddedApiServer;
  const dir = mkdtempSync(join(tmpdir(), 'local-node-e2e-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const image = join(dir, 'image-bin');
  const kubectl = runnerFor(KUBECTL_BIN, { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, 'cache'), HOME: dir });

  const pod = async (name: string): Promise<{ status: { phase?: string; reason?: string; conditions?: Obj[]; containerStatuses?: { restartCount: number; state: Obj; lastState: Obj; containerID?: string }[] } }> =>
    JSON.parse(await ok(kubectl, 'get', 'pod', name, '-o', 'json')) as { status: { phase?: string; conditions?: Obj[]; containerStatuses?: { restartCount: number; state: Obj; lastState: Obj; containerID?: string }[] } };
  const phase = (name: string, want: string, timeoutMs = 20_000): Promise<true> =>
    eventually(`pod ${name} ${want}`, async () => ((await pod(name)).status.phase === want ? true : undefined), timeoutMs, 100);
  const pidOf = async (name: string): Promise<number> =>
    Number((await pod(name)).status.containerStatuses?.[0]?.containerID?.replace('local://', '') ?? 'NaN');

  before(async () => {
    mkdirSync(image);
    writeFileSync(join(image, 'hello'), '#!/bin/sh\necho "from-image $*"\n');
    chmodSync(join(image, 'hello'), 0o755);
    srv = await startEmbeddedApiServer({ kubeconfigPath: kubeconfig, localNode: { dir: join(dir, 'node'), images: { demo: image } } });
  });
  after(async () => {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the node is registered and says it does not isolate', async () => {
    const node = JSON.parse(await ok(kubectl, 'get', 'node', 'local-node', '-o', 'json')) as { metadata: { annotations: Record<string, string> }; status: { conditions: Obj[] } };
    assert.equal(node.metadata.annotations['gastown.gastown.io/no-isolation'], 'true');
    assert.ok(node.status.conditions.some((c) => c.type === 'NoIsolation' && c.status === 'True'));
    assert.ok(node.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'));
  });

  test('kubectl run reaches Succeeded; logs shows its output; the status is the kubelet\'s shape', async () => {
    await ok(kubectl, 'run', 'once', '--restart=Never', '--image=busybox', '--', 'sh', '-c', 'echo hi; sleep 1');
    await phase('once', 'Succeeded');
    assert.equal(await ok(kubectl, 'logs', 'once'), 'hi\n');
    const p = await pod('once');
    const terminated = p.status.containerStatuses?.[0]?.state.terminated as Obj;
    assert.equal(terminated.exitCode, 0);
    assert.equal(terminated.reason, 'Completed');
    assert.match(String(terminated.startedAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(p.status.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'True'));
  });

  test('wait --for=condition=Ready, logs -f follows until the container ends', async () => {
    await ok(kubectl, 'run', 'ticker', '--restart=Never', '--image=busybox', '--', 'sh', '-c', 'for i in 1 2 3; do echo line$i; sleep 0.4; done');
    await ok(kubectl, 'wait', '--for=condition=Ready', 'pod/ticker', '--timeout=20s');
    assert.equal(await ok(kubectl, 'logs', '-f', 'ticker'), 'line1\nline2\nline3\n');
    assert.equal(await ok(kubectl, 'logs', '--tail=1', 'ticker'), 'line3\n');
  });

  test('exec: output, stderr, exit code, stdin; attach -i', async () => {
    await ok(kubectl, 'run', 'sleeper', '--image=busybox', '--', 'sleep', '300');
    await ok(kubectl, 'wait', '--for=condition=Ready', 'pod/sleeper', '--timeout=20s');
    const r = await kubectl('exec', 'sleeper', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3');
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'out\n');
    assert.match(r.stderr, /err\n/);
    assert.match(r.stderr, /command terminated with exit code 3/);
    assert.equal(await ok(kubectl.withInput.bind(null, 'from stdin\n'), 'exec', '-i', 'sleeper', '--', 'cat'), 'from stdin\n');

    await ok(kubectl, 'run', 'reader', '-i', '--attach=false', '--restart=Never', '--image=busybox', '--', 'sh', '-c', 'read l; echo "got $l"');
    await ok(kubectl, 'wait', '--for=condition=Ready', 'pod/reader', '--timeout=20s');
    const attached = await kubectl.withInput('hello\n', 'attach', '-i', 'reader');
    assert.match(attached.stdout, /got hello/);
    await phase('reader', 'Succeeded');
  });

  test('delete pod: SIGTERM to the whole process group, then the object goes', async () => {
    await ok(kubectl, 'run', 'family', '--restart=Never', '--image=busybox', '--', 'sh', '-c', 'sleep 300 & sleep 300 & wait');
    await ok(kubectl, 'wait', '--for=condition=Ready', 'pod/family', '--timeout=20s');
    const pgid = await pidOf('family');
    await eventually('the children started', () => (groupMembers(pgid).length >= 3 ? true : undefined));
    await ok(kubectl, 'delete', 'pod', 'family', '--wait=true');
    assert.deepEqual(groupMembers(pgid), [], 'no process of the pod is left');
    assert.notEqual((await kubectl('get', 'pod', 'family')).code, 0);
  });

  test('an image mapped to a directory runs the programs in it', async () => {
    await ok(kubectl, 'run', 'img', '--restart=Never', '--image=demo', '--', 'hello', 'a', 'b');
    await phase('img', 'Succeeded');
    assert.equal(await ok(kubectl, 'logs', 'img'), 'from-image a b\n');
  });

  test('env from values, Secrets, ConfigMaps and fields; secret and configMap volumes with modes; workingDir', async () => {
    await ok(kubectl, 'create', 'secret', 'generic', 'creds', '--from-literal=token=s3cr3t', '--from-literal=tls.crt=CERT');
    await ok(kubectl, 'create', 'configmap', 'cfg', '--from-literal=mode=fast');
    const manifest = {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'wired' },
      spec: {
        restartPolicy: 'Never',
        volumes: [{ name: 'cert', secret: { secretName: 'creds', items: [{ key: 'tls.crt', path: 'client.crt', mode: 0o600 }] } }, { name: 'work', emptyDir: {} }],
        containers: [{
          name: 'main', image: 'busybox', workingDir: '/work',
          command: ['sh', '-c', 'echo "$TOKEN $MODE $POD $NS $PLAIN"; cat "$CERT"; stat -c %a "$CERT"; pwd | grep -q "/work$" && echo in-work'],
          env: [
            { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } },
            { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'mode' } } },
            { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
            { name: 'PLAIN', value: 'v-$(MODE)' },
            { name: 'CERT', value: '/etc/cert/client.crt' },
          ],
          volumeMounts: [{ name: 'cert', mountPath: '/etc/cert', readOnly: true }, { name: 'work', mountPath: '/work' }],
        }],
      },
    };
    await ok(kubectl.withInput.bind(null, JSON.stringify(manifest)), 'apply', '-f', '-');
    await phase('wired', 'Succeeded');
    assert.equal(await ok(kubectl, 'logs', 'wired'), 's3cr3t fast wired default v-fast\nCERT600\nin-work\n');
  });

  test('restartPolicy OnFailure restarts with a count and last state; activeDeadlineSeconds fails the pod', async () => {
    await ok(kubectl, 'run', 'flaky', '--restart=OnFailure', '--image=busybox', '--', 'sh', '-c', 'echo try; exit 2');
    const restarted = await eventually('a restart', async () => {
      const s = (await pod('flaky')).status.containerStatuses?.[0];
      return s !== undefined && s.restartCount >= 1 && s.lastState.terminated !== undefined ? s : undefined;
    }, 20_000, 100);
    assert.equal((restarted.lastState.terminated as Obj).exitCode, 2);
    await ok(kubectl, 'delete', 'pod', 'flaky');
    const manifest = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'late' }, spec: { activeDeadlineSeconds: 1, restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sleep', '60'] }] } };
    await ok(kubectl.withInput.bind(null, JSON.stringify(manifest)), 'apply', '-f', '-');
    await phase('late', 'Failed');
    assert.equal((await pod('late')).status.reason, 'DeadlineExceeded');
  });

  test('a cordoned node leaves new pods Pending and Unschedulable; uncordon runs them', async () => {
    await ok(kubectl, 'cordon', 'local-node');
    await ok(kubectl, 'run', 'waiting', '--restart=Never', '--image=busybox', '--', 'true');
    const cond = await eventually('Unschedulable', async () => (await pod('waiting')).status.conditions?.find((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable'));
    assert.equal(cond.status, 'False');
    assert.equal((await pod('waiting')).status.phase, 'Pending');
    await ok(kubectl, 'uncordon', 'local-node');
    await phase('waiting', 'Succeeded');
  });

  function rawUpgrade(path: string, protocol: string): Promise<{ code: number; body: Obj }> {
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, srv.url), {
        ca: srv.caData,
        headers: { Authorization: `Bearer ${srv.token}`, Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol': protocol },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) as Obj }));
      });
      req.on('upgrade', () => reject(new Error('unexpected upgrade')));
      req.on('error', reject);
      req.end();
    });
  }

  test('bad input gets a Status: unknown stream protocol, exec into a finished container, no upgrade, missing pod', async () => {
    const proto = await rawUpgrade('/api/v1/namespaces/default/pods/sleeper/exec?command=true&stdout=true', 'v1.chat.example');
    assert.equal(proto.code, 400);
    assert.match(String(proto.body.message), /unsupported stream protocol/);
    // kubectl refuses this itself for a completed pod; the server refuses it too.
    const finished = await rawUpgrade('/api/v1/namespaces/default/pods/once/exec?command=true&stdout=true', 'v5.channel.k8s.io');
    assert.equal(finished.code, 400);
    assert.match(String(finished.body.message), /container once is not running in pod once/);
    assert.match((await kubectl('exec', 'once', '--', 'true')).stderr, /cannot exec into a container in a completed pod/);
    const missing = await rawUpgrade('/api/v1/namespaces/default/pods/nope/exec?command=true', 'v5.channel.k8s.io');
    assert.equal(missing.code, 404);
    assert.equal(missing.body.kind, 'Status');
    assert.equal((await kubectl('logs', 'nope')).code, 1);
    await ok(kubectl, 'get', 'pod', 'sleeper'); // the server is still up
  });

  test('no pod process survives the server', async () => {
    const own = await startEmbeddedApiServer({ localNode: { dir: join(dir, 'node2') }, kubeconfigPath: join(dir, 'kc2') });
    const k2 = runnerFor(KUBECTL_BIN, { ...process.env, KUBECONFIG: join(dir, 'kc2'), KUBECACHEDIR: join(dir, 'cache2'), HOME: dir });
    await ok(k2, 'run', 'long', '--image=busybox', '--', 'sleep', '300');
    const pgid = await eventually('a running pod', async () => {
      const p = JSON.parse(await ok(k2, 'get', 'pod', 'long', '-o', 'json')) as { status: { containerStatuses?: { containerID?: string; state: Obj }[] } };
      const s = p.status.containerStatuses?.[0];
      return s?.state.running !== undefined ? Number(s.containerID?.replace('local://', '')) : undefined;
    });
    assert.ok(groupMembers(pgid).length > 0);
    await own.close();
    assert.deepEqual(groupMembers(pgid), []);
    assert.ok(!existsSync(join(dir, 'node2', 'missing')));
  });
});
