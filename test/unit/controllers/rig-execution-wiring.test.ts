// ExecutionWired: Rig.spec.execution.mode against the rig's gt runtime.exec_wrapper, read from
// <rig>/settings/config.json (never written), with the exact fix in the message, both ways.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConditionType, gtRigName, parseRig, Reason, type Rig } from '../../../src/api/index.ts';
import { decideRig } from '../../../src/controllers/rig/decide.ts';
import { executionWiring, isSessionWrapper, readExecWrapper, type WrapperCheck } from '../../../src/controllers/rig/execution-wiring.ts';
import { dataOf, polecat, rig } from './town-sync-fixtures.ts';

const NOW = Date.UTC(2026, 3, 1, 12, 0, 0);
const POD = { mode: 'Pod', proxyURL: 'https://proxy:9876', pod: { image: 'polecat:1' } } as const;
const OURS: WrapperCheck = { kind: 'set', argv: ['gastown-operator', 'session', '--'] };

function rigObject(execution?: unknown): Rig {
  return parseRig({ metadata: { name: 'gastown', generation: 2 }, spec: { localPath: '/town/gastown', ...(execution ? { execution } : {}) } });
}

describe('readExecWrapper', () => {
  const dirs: string[] = [];
  after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });
  async function rigDir(settings?: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'wiring-'));
    dirs.push(dir);
    if (settings !== undefined) {
      await mkdir(join(dir, 'settings'));
      await writeFile(join(dir, 'settings', 'config.json'), settings);
    }
    return dir;
  }

  test('set, unset, missing file and malformed settings', async () => {
    const set = await rigDir(JSON.stringify({ runtime: { exec_wrapper: ['/usr/local/bin/gastown-operator', 'session', '--'], other: 1 } }));
    assert.deepEqual(await readExecWrapper(set), { kind: 'set', argv: ['/usr/local/bin/gastown-operator', 'session', '--'] });
    // Read-only: the user's file is unchanged.
    assert.match(await readFile(join(set, 'settings', 'config.json'), 'utf8'), /"other":1/);
    assert.deepEqual(await readExecWrapper(await rigDir(JSON.stringify({ runtime: {} }))), { kind: 'unset' });
    assert.deepEqual(await readExecWrapper(await rigDir()), { kind: 'unset' });
    assert.equal((await readExecWrapper(await rigDir('{ nope'))).kind, 'unreadable');
    assert.equal((await readExecWrapper(await rigDir(JSON.stringify({ runtime: { exec_wrapper: 'gastown-operator session --' } })))).kind, 'unreadable');
  });
});

describe('executionWiring', () => {
  test('recognises the session wrapper by binary name and shape', () => {
    assert.equal(isSessionWrapper(['gastown-operator', 'session', '--']), true);
    assert.equal(isSessionWrapper(['/opt/bin/gastown-operator', 'session', '--']), true);
    assert.equal(isSessionWrapper(['exitbox', 'run', '--']), false);
    assert.equal(isSessionWrapper(['gastown-operator', 'session']), false);
  });

  test('both directions, with the exact fix', () => {
    const wired = executionWiring(rigObject(POD), OURS);
    assert.deepEqual([wired?.status, wired?.reason], ['True', Reason.PodExecutionWired]);

    const missing = executionWiring(rigObject(POD), { kind: 'unset' });
    assert.deepEqual([missing?.status, missing?.reason], ['False', Reason.ExecWrapperMissing]);
    assert.ok(missing?.message.includes('"runtime": { "exec_wrapper": ["gastown-operator","session","--"] }'), missing?.message);
    assert.ok(missing?.message.includes('/town/gastown/settings/config.json'), missing?.message);

    const foreign = executionWiring(rigObject(POD), { kind: 'set', argv: ['exitbox', 'run', '--'] });
    assert.equal(foreign?.reason, Reason.ExecWrapperMissing);
    assert.ok(foreign?.message.includes('exitbox'));

    const reverse = executionWiring(rigObject(), OURS);
    assert.deepEqual([reverse?.status, reverse?.reason], ['False', Reason.PodModeNotSet]);
    assert.ok(reverse?.message.includes('spec.execution.mode: Pod'));

    assert.equal(executionWiring(rigObject(), { kind: 'unset' }), undefined);
    assert.equal(executionWiring(rigObject({ mode: 'Local' }), { kind: 'set', argv: ['exitbox', 'run', '--'] }), undefined);
    assert.equal(executionWiring(rigObject(POD), { kind: 'unreadable', message: 'EACCES' })?.reason, Reason.RigSettingsUnreadable);
  });

  test('a Pod mode rig whose gt name the certificate CN cannot carry: InvalidIdentity whatever the wrapper', () => {
    const named = (localPath: string, execution?: unknown): Rig =>
      parseRig({ metadata: { name: 'my-rig' }, spec: { localPath, ...(execution ? { execution } : {}) } });
    for (const wrapper of [OURS, { kind: 'unset' } as const]) {
      const bad = executionWiring(named('/town/my-rig', POD), wrapper);
      assert.deepEqual([bad?.status, bad?.reason], ['False', Reason.InvalidIdentity]);
      assert.match(bad?.message ?? '', /rig name "my-rig" cannot be carried by the proxy certificate CN gt-<rig>-<name> \(letters, digits and _ only\).*mode: Local/);
    }
    // `_` is carried; a Local rig is not judged.
    assert.equal(executionWiring(named('/town/my_rig', POD), OURS)?.reason, Reason.PodExecutionWired);
    assert.equal(executionWiring(named('/town/my-rig'), { kind: 'unset' }), undefined);
  });

  test('decideRig sets the condition with an Event on change, and removes it for a plain Local rig', () => {
    const town = { ok: true as const, ...dataOf({ rigs: [rig('gastown', 'operational', 'gt')], polecats: [polecat('gastown', 'nux')], convoys: [], beads: new Map() }, NOW) };
    const podRig = rigObject(POD);
    const first = decideRig({ rig: podRig, gtName: gtRigName(podRig), path: { kind: 'directory' }, town, now: NOW, wrapper: { kind: 'unset' } });
    const condition = first.status.conditions?.find((c) => c.type === ConditionType.ExecutionWired);
    assert.deepEqual([condition?.status, condition?.reason, condition?.observedGeneration], ['False', Reason.ExecWrapperMissing, 2]);
    assert.deepEqual(first.events.filter((e) => e.reason === Reason.ExecWrapperMissing).map((e) => e.type), ['Warning']);
    // Unchanged on the next pass: no repeated Event.
    const again = decideRig({ rig: { ...podRig, status: first.status }, gtName: 'gastown', path: { kind: 'directory' }, town, now: NOW + 1000, wrapper: { kind: 'unset' } });
    assert.equal(again.events.some((e) => e.reason === Reason.ExecWrapperMissing), false);
    // Back to Local without the wrapper: the condition goes away.
    const local = rigObject();
    const gone = decideRig({ rig: { ...local, status: first.status }, gtName: 'gastown', path: { kind: 'directory' }, town, now: NOW, wrapper: { kind: 'unset' } });
    assert.equal(gone.status.conditions?.some((c) => c.type === ConditionType.ExecutionWired), false);
  });
});
