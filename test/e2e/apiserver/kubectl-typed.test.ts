// kubectl's typed commands against the embedded API server. They send built-in kinds as
// protobuf (client-go's typed clients), so each object is created twice: once by the typed
// command (protobuf on the wire) and once from the same command's `--dry-run=client -o json`
// output through `kubectl create -f` (JSON on the wire); both stored objects must be equal
// field for field. Also `kubectl auth can-i`, and bad protobuf bodies over raw HTTPS.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedApiServer, type EmbeddedApiServer } from '../../../src/apiserver/index.ts';
import { encodeProtobufBody } from '../../helpers/protobuf.ts';
import { KUBECTL_BIN, ok, runnerFor } from '../../helpers/kubectl.ts';

type Obj = Record<string, unknown>;

/** What the server adds or what differs between two creations of the same object. */
function comparable(obj: Obj): Obj {
  const meta = { ...(obj.metadata as Obj) };
  for (const k of ['name', 'uid', 'resourceVersion', 'creationTimestamp', 'managedFields']) delete meta[k];
  const labels = meta.labels as Record<string, string> | undefined;
  // `kubectl create deployment NAME` labels with app=NAME; normalise the name out.
  if (labels !== undefined) meta.labels = Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, v.replace(/-json$/, '')]));
  const copy = JSON.parse(JSON.stringify(obj).replaceAll('-json"', '"')) as Obj;
  if (copy.spec !== undefined && (copy.spec as Obj).clusterIP !== undefined) {
    const spec = copy.spec as Obj;
    delete spec.clusterIP;
    delete spec.clusterIPs;
  }
  return { ...copy, metadata: meta };
}

describe('kubectl typed commands (protobuf bodies)', () => {
  let srv: EmbeddedApiServer;
  const dir = mkdtempSync(join(tmpdir(), 'apiserver-typed-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const kubectl = runnerFor(KUBECTL_BIN, { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, 'cache'), HOME: dir });

  before(async () => {
    srv = await startEmbeddedApiServer({ kubeconfigPath: kubeconfig });
    await ok(kubectl, 'create', 'namespace', 'team-a');
  });
  after(async () => {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // [resource to read back, name, the typed command's arguments after `create` with NAME in place]
  const cases: [string, string, string[]][] = [
    ['namespace', 'team-b', ['namespace', 'NAME']],
    ['configmap', 'cfg', ['configmap', 'NAME', '--from-literal=a=b', '--from-literal=multi=line1\nline2', '-n', 'team-a']],
    ['secret', 'git-creds', ['secret', 'generic', 'NAME', '--from-literal=user=bob', '--from-literal=token=s3cr3t', '-n', 'team-a']],
    ['serviceaccount', 'polecat', ['serviceaccount', 'NAME', '-n', 'team-a']],
    ['deployment', 'web', ['deployment', 'NAME', '--image=nginx:1.27', '--replicas=3', '--port=8080', '-n', 'team-a', '--', 'nginx', '-g', 'daemon off;']],
    ['service', 'web', ['service', 'clusterip', 'NAME', '--tcp=80:8080', '-n', 'team-a']],
    ['role', 'reader', ['role', 'NAME', '--verb=get,list', '--resource=pods,secrets', '-n', 'team-a']],
    ['rolebinding', 'reader', ['rolebinding', 'NAME', '--role=reader', '--serviceaccount=team-a:polecat', '-n', 'team-a']],
    ['clusterrole', 'viewer', ['clusterrole', 'NAME', '--verb=get,watch', '--resource=namespaces,configmaps']],
    ['clusterrolebinding', 'viewer', ['clusterrolebinding', 'NAME', '--clusterrole=viewer', '--user=alice']],
  ];

  for (const [resource, name, args] of cases) {
    test(`kubectl create ${args[0] ?? ''}: the protobuf and JSON forms store the same object`, async () => {
      const ns = args.includes('-n') ? ['-n', 'team-a'] : [];
      await ok(kubectl, 'create', ...args.map((a) => (a === 'NAME' ? name : a)));
      // The dry-run flags go before any `--` (after it they would be the container's arguments).
      const jsonArgs = args.map((a) => (a === 'NAME' ? `${name}-json` : a));
      const dash = jsonArgs.indexOf('--');
      jsonArgs.splice(dash < 0 ? jsonArgs.length : dash, 0, '--dry-run=client', '-o', 'json');
      const json = await ok(kubectl, 'create', ...jsonArgs);
      await ok(kubectl.withInput.bind(null, json), 'create', '-f', '-');
      const viaProtobuf = JSON.parse(await ok(kubectl, 'get', resource, name, ...ns, '-o', 'json')) as Obj;
      const viaJson = JSON.parse(await ok(kubectl, 'get', resource, `${name}-json`, ...ns, '-o', 'json')) as Obj;
      assert.deepEqual(comparable(viaProtobuf), comparable(viaJson));
      assert.equal((viaProtobuf.metadata as Obj).name, name);
    });
  }

  test('secret data arrives intact (bytes through protobuf)', async () => {
    const secret = JSON.parse(await ok(kubectl, 'get', 'secret', 'git-creds', '-n', 'team-a', '-o', 'json')) as { data: Record<string, string> };
    assert.equal(Buffer.from(secret.data.token ?? '', 'base64').toString(), 's3cr3t');
  });

  test('kubectl run creates a Pod (protobuf) that reads back as kubectl rendered it', async () => {
    await ok(kubectl, 'run', 'once', '--image=busybox', '--restart=Never', '--labels=app=once', '-n', 'team-a', '--', 'sh', '-c', 'echo hi');
    const pod = JSON.parse(await ok(kubectl, 'get', 'pod', 'once', '-n', 'team-a', '-o', 'json')) as { spec: { containers: Obj[]; restartPolicy: string } };
    assert.deepEqual(pod.spec.containers[0]?.args, ['sh', '-c', 'echo hi']);
    assert.equal(pod.spec.restartPolicy, 'Never');
  });

  test('kubectl auth can-i answers yes for the token holder', async () => {
    assert.equal((await ok(kubectl, 'auth', 'can-i', 'create', 'pods', '-n', 'team-a')).trim(), 'yes');
    assert.match(await ok(kubectl, 'auth', 'can-i', '--list'), /\*\.\*\s+\[\]\s+\[\]\s+\[\*\]/);
  });

  function post(path: string, body: Buffer): Promise<{ code: number; body: Obj }> {
    return new Promise((resolve, reject) => {
      const url = new URL(path, srv.url);
      const req = request(url, {
        method: 'POST', ca: srv.caData,
        headers: { Authorization: `Bearer ${srv.token}`, 'Content-Type': 'application/vnd.kubernetes.protobuf', Accept: 'application/json' },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) as Obj }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  test('bad protobuf bodies get a 400 Status naming the kind; nothing is stored; the server stays up', async () => {
    const cm = { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'bad' }, data: { a: 'b' } };
    const cases: [Buffer, RegExp][] = [
      [Buffer.from('k8s\0\x0a\xff\xff'), /ConfigMap \(v1\) request cannot be decoded: malformed protobuf/],
      [encodeProtobufBody(cm).subarray(0, 25), /ConfigMap \(v1\) request cannot be decoded/],
      [encodeProtobufBody({ ...cm, kind: 'Secret' }), /protobuf body of a ConfigMap \(v1\) request holds v1, Kind=Secret/],
      [Buffer.from('{"kind":"ConfigMap"}'), /magic prefix/],
    ];
    for (const [body, want] of cases) {
      const res = await post('/api/v1/namespaces/team-a/configmaps', body);
      assert.equal(res.code, 400, JSON.stringify(res.body));
      assert.equal(res.body.kind, 'Status');
      assert.equal(res.body.reason, 'BadRequest');
      assert.match(String(res.body.message), want);
    }
    const get = await kubectl('get', 'configmap', 'bad', '-n', 'team-a');
    assert.notEqual(get.code, 0);
    assert.match(get.stderr, /NotFound|not found/);
    const good = await post('/api/v1/namespaces/team-a/configmaps', encodeProtobufBody(cm));
    assert.equal(good.code, 201);
  });
});
