// The product CRDs as a user meets them: `kubectl apply -k deploy/crds` on the embedded API
// server, `kubectl get gastown` with the printer columns, `kubectl explain`, and the schema's
// errors for invalid specs as kubectl prints them (field paths, the rule's message).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { startEmbeddedApiServer, type EmbeddedApiServer } from '../../../src/apiserver/index.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');

describe('the product CRDs through kubectl', () => {
  let srv: EmbeddedApiServer;
  const dir = mkdtempSync(path.join(tmpdir(), 'crds-kubectl-'));
  const env = { ...process.env, KUBECONFIG: path.join(dir, 'kubeconfig'), KUBECACHEDIR: path.join(dir, 'cache'), HOME: dir };

  const kubectl = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve, reject) => {
      execFile('/usr/bin/kubectl', args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
        if (err !== null && typeof err.code !== 'number') reject(new Error(`cannot run kubectl: ${err.message}`));
        else resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
      });
    });
  const ok = async (...args: string[]): Promise<string> => {
    const r = await kubectl(...args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}\n${r.stderr}`);
    return r.stdout;
  };
  const applyDoc = (name: string, doc: unknown): Promise<{ code: number; stdout: string; stderr: string }> => {
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(file, stringify(doc));
    return kubectl('apply', '-f', file);
  };
  const polecat = (name: string, spec: Record<string, unknown>): unknown => ({
    apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Polecat', metadata: { name, namespace: 'default' }, spec,
  });

  before(async () => {
    srv = await startEmbeddedApiServer({ kubeconfigPath: path.join(dir, 'kubeconfig') });
    await ok('version', '--client');
    await ok('apply', '-k', path.join(ROOT, 'deploy/crds'));
    await ok('wait', '--for=condition=Established', 'crd/rigs.gastown.gastown.io', 'crd/polecats.gastown.gastown.io', 'crd/convoys.gastown.gastown.io', '--timeout=30s');
  });
  after(async () => {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('applying the CRDs again is a no-op', async () => {
    const out = await ok('apply', '-k', path.join(ROOT, 'deploy/crds'));
    assert.equal(out.trim().split('\n').filter((l) => l.endsWith(' unchanged')).length, 3, out);
  });

  test('short names, the gastown category and the printer columns', async () => {
    const rig = { apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Rig', metadata: { name: 'gastown' }, spec: { localPath: '/srv/gt/gastown', beadsPrefix: 'gt' } };
    const convoy = { apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Convoy', metadata: { name: 'batch', namespace: 'default' }, spec: { trackedBeads: ['gt-abc12'] } };
    for (const [name, doc] of [['rig', rig], ['pc', polecat('worker', { rig: 'gastown', beadID: 'gt-abc12', desiredState: 'Working' })], ['cv', convoy]] as const) {
      assert.equal((await applyDoc(name, doc)).code, 0);
    }
    const all = await ok('get', 'gastown', '-A');
    assert.match(all, /NAME\s+PHASE\s+POLECATS\s+CONVOYS\s+AGE/);
    assert.match(all, /NAMESPACE\s+NAME\s+RIG\s+PHASE\s+BEAD\s+GT NAME\s+AGE/);
    assert.match(all, /NAMESPACE\s+NAME\s+PHASE\s+PROGRESS\s+CONVOY ID\s+AGE/);
    assert.match(all, /polecat\.gastown\.gastown\.io\/worker\s+gastown\s+\S*\s*gt-abc12/);
    assert.match(await ok('get', 'rig'), /^gastown\s/m);
    assert.match(await ok('get', 'pc', '-n', 'default'), /^worker\s+gastown/m);
    assert.match(await ok('get', 'cv', '-n', 'default'), /^batch\s/m);
    const defaulted = await ok('get', 'cv', 'batch', '-n', 'default', '-o', 'jsonpath={.spec.notifyOnComplete} {.spec.notifyAddress}');
    assert.equal(defaulted, 'false mayor/');
  });

  test('kubectl explain shows the schema', async () => {
    const out = await ok('explain', 'polecat.spec');
    assert.match(out, /desiredState/);
    assert.match(out, /beadID/);
  });

  test('invalid specs are refused with field paths and readable messages', async () => {
    const rel = await applyDoc('bad-rig', { apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Rig', metadata: { name: 'bad' }, spec: { localPath: 'relative/dir' } });
    assert.notEqual(rel.code, 0);
    assert.match(rel.stderr, /Rig "bad" is invalid: spec\.localPath: Invalid value: "relative\/dir"/);
    const dots = await applyDoc('dots', { apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Rig', metadata: { name: 'dots' }, spec: { localPath: '/srv/gt/../etc' } });
    assert.match(dots.stderr, /spec\.localPath/);
    const bead = await applyDoc('bad-bead', polecat('bad-bead', { rig: 'gastown', beadID: '--force' }));
    assert.match(bead.stderr, /spec\.beadID/);
    const state = await applyDoc('bad-state', polecat('bad-state', { rig: 'gastown', desiredState: 'Sleeping' }));
    assert.match(state.stderr, /spec\.desiredState: Unsupported value: "Sleeping": supported values: "Idle", "Working", "Terminated"/);
    const empty = await applyDoc('empty-convoy', { apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Convoy', metadata: { name: 'empty', namespace: 'default' }, spec: { trackedBeads: [] } });
    assert.match(empty.stderr, /spec\.trackedBeads/);
    const none = await kubectl('get', 'rig', 'bad');
    assert.notEqual(none.code, 0, 'nothing invalid was stored');
  });

  test('Polecat.spec.rig is immutable', async () => {
    const moved = await applyDoc('moved', polecat('worker', { rig: 'beads', beadID: 'gt-abc12', desiredState: 'Working' }));
    assert.notEqual(moved.code, 0);
    assert.match(moved.stderr, /spec\.rig: Invalid value: "string": rig is immutable/);
    assert.equal(await ok('get', 'pc', 'worker', '-n', 'default', '-o', 'jsonpath={.spec.rig}'), 'gastown');
  });
});
