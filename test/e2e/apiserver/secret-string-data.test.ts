// Secret `stringData` on the embedded API server, as a real API server treats it: write-only,
// base64-merged into `data` on create, update and patch (a key in both takes the stringData
// value), never stored or returned. Driven by kubectl (create --from-literal, client-side and
// server-side apply) and client-node (create, replace, merge patch), plus a bad key (422).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1Secret } from '@kubernetes/client-node';
import { startEmbeddedApiServer, type EmbeddedApiServer } from '../../../src/apiserver/index.ts';
import { KUBECTL_BIN, ok, runnerFor } from '../../helpers/kubectl.ts';

const NS = 'default';
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

describe('Secret stringData (kubectl and client-node)', () => {
  let srv: EmbeddedApiServer;
  let core: CoreV1Api;
  const dir = mkdtempSync(join(tmpdir(), 'apiserver-stringdata-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const kubectl = runnerFor(KUBECTL_BIN, { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, 'cache'), HOME: dir });
  const stored = async (name: string): Promise<V1Secret> => JSON.parse(await ok(kubectl, 'get', 'secret', name, '-n', NS, '-o', 'json')) as V1Secret;

  before(async () => {
    srv = await startEmbeddedApiServer({ kubeconfigPath: kubeconfig });
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
  });
  after(async () => {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('kubectl create secret generic --from-literal: data holds the base64 values, no stringData', async () => {
    await ok(kubectl, 'create', 'secret', 'generic', 'literal', '--from-literal=user=bob', '--from-literal=token=s3cr3t', '-n', NS);
    const s = await stored('literal');
    assert.deepEqual(s.data, { user: b64('bob'), token: b64('s3cr3t') });
    assert.equal(s.stringData, undefined);
  });

  test('kubectl apply of a Secret with stringData, then a changed apply: merged into data, stringData wins, never returned', async () => {
    const manifest = (stringData: Record<string, string>): string => JSON.stringify({
      apiVersion: 'v1', kind: 'Secret', metadata: { name: 'applied', namespace: NS },
      data: { kept: b64('from-data'), both: b64('data-loses') }, stringData,
    });
    await kubectl.withInput(manifest({ both: 'string-wins', plain: 'hello world' }), 'apply', '-f', '-');
    let s = await stored('applied');
    assert.deepEqual(s.data, { kept: b64('from-data'), both: b64('string-wins'), plain: b64('hello world') });
    assert.equal(s.stringData, undefined, 'stringData is not stored');
    const apply = await kubectl.withInput(manifest({ both: 'string-wins', plain: 'changed' }), 'apply', '-f', '-');
    assert.equal(apply.code, 0, apply.stderr);
    s = await stored('applied');
    assert.equal(s.data?.plain, b64('changed'));
    assert.equal(s.stringData, undefined);
    const ssa = await kubectl.withInput(JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'server-side', namespace: NS }, stringData: { k: 'v' } }), 'apply', '--server-side', '-f', '-');
    assert.equal(ssa.code, 0, ssa.stderr);
    const server = await stored('server-side');
    assert.deepEqual(server.data, { k: b64('v') });
    assert.equal(server.stringData, undefined);
  });

  test('client-node create, replace and merge patch with stringData; the answers carry data only', async () => {
    const created = await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'client' }, stringData: { a: 'one' } } });
    assert.deepEqual(created.data, { a: b64('one') });
    assert.equal(created.stringData, undefined, 'the create answer has no stringData');
    const replaced = await core.replaceNamespacedSecret({ namespace: NS, name: 'client', body: { ...created, stringData: { b: 'two' } } });
    assert.deepEqual(replaced.data, { a: b64('one'), b: b64('two') });
    assert.equal(replaced.stringData, undefined);
    const patched = await core.patchNamespacedSecret({ namespace: NS, name: 'client', body: { stringData: { a: 'uno' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    assert.deepEqual(patched.data, { a: b64('uno'), b: b64('two') });
    assert.equal(patched.stringData, undefined);
    const listed = await core.listNamespacedSecret({ namespace: NS });
    assert.ok(listed.items.every((x) => x.stringData === undefined), 'no listed Secret carries stringData');
  });

  test('a stringData key a Secret cannot carry is refused (422) and nothing is stored', async () => {
    await assert.rejects(
      core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'bad-key' }, stringData: { 'no/slash': 'x' } } }),
      (error: unknown) => (error as { code?: number }).code === 422,
    );
    const r = await kubectl('get', 'secret', 'bad-key', '-n', NS);
    assert.notEqual(r.code, 0);
  });
});
