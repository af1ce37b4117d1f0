// `gastown-operator inspect` as a user runs it: a real process, the real gt client and the
// bundled simulator (raw values in --json on both gt releases); and the one-line failures when
// gt is missing or failing.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { readTown, setFaultRules, setPolecatState } from '../../../sim/src/control.ts';
import { mutateState } from '../../../sim/src/store.ts';
import { createTown } from '../../../sim/src/town.ts';
import { GT_VERSIONS } from '../../../sim/src/version.ts';

const run = promisify(execFile);
const MAIN = path.resolve(import.meta.dirname, '../../../src/main.ts');
const SIM_GT = path.resolve(import.meta.dirname, '../../../sim/bin/gt');
const SIM_BD = path.resolve(import.meta.dirname, '../../../sim/bin/bd');

interface Outcome { code: number; stdout: string; stderr: string }

async function inspect(args: string[], env: Record<string, string>): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [MAIN, 'inspect', ...args], {
      env: { PATH: '/usr/bin:/bin', GT_SIM_NODE: process.execPath, ...env }, timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('gastown-operator inspect', () => {
  let dir: string;
  let town: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'inspect-'));
    town = path.join(dir, 'town');
    await createTown(town, { rigs: [{ name: 'alpha', prefix: 'al' }, { name: 'beta', prefix: 'be' }], polecatsPerRig: 2, convoys: 1 });
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  test('--json prints rigs, polecats and convoys in camelCase', async () => {
    const out = await inspect(['--json', '--gt-path', SIM_GT, '--bd-path', SIM_BD, '--town-root', town], { HOME: dir });
    assert.equal(out.code, 0, out.stderr);
    const view = JSON.parse(out.stdout) as {
      rigs: Array<{ name: string; status: string }>;
      polecats: Array<{ rig: string; name: string; sessionRunning: boolean }>;
      convoys: Array<{ id: string; progress: string }>;
    };
    assert.deepEqual(view.rigs.map((r) => r.name).sort(), ['alpha', 'beta']);
    assert.ok(view.rigs.every((r) => r.status === 'operational'));
    assert.equal(view.polecats.length, 4);
    assert.ok(view.polecats.every((p) => typeof p.sessionRunning === 'boolean'));
    assert.equal(view.convoys.length, 1);
    assert.match(view.convoys[0]!.id, /^hq-cv-[0-9a-z]{5}$/);
    assert.match(view.convoys[0]!.progress, /^\d+\/\d+$/);
  });

  test('tables by default', async () => {
    const out = await inspect(['--gt-path', SIM_GT, '--bd-path', SIM_BD, '--town-root', town], { HOME: dir });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^RIGS \(2\)\nNAME\s+STATUS/m);
    assert.match(out.stdout, /^POLECATS \(4\)$/m);
    assert.match(out.stdout, /^CONVOYS \(1\)$/m);
  });

  test('no gt on PATH: exit 1 with one line naming GT_PATH', async () => {
    const out = await inspect(['--town-root', town], { HOME: dir });
    assert.equal(out.code, 1);
    assert.equal(out.stderr.trim().split('\n').length, 1);
    assert.match(out.stderr, /GT_PATH/);
    assert.equal(out.stdout, '');
  });

  test('failing gt: exit 1 with the error kind, not an empty town', async () => {
    await setFaultRules(town, [{ match: 'gt polecat list', crash: true }]);
    try {
      const out = await inspect(['--json', '--gt-path', SIM_GT, '--bd-path', SIM_BD, '--town-root', town], { HOME: dir });
      assert.equal(out.code, 1);
      assert.match(out.stderr, /^gastown-operator inspect: Unavailable: /);
      assert.equal(out.stdout, '');
    } finally {
      await setFaultRules(town, []);
    }
  });

  // Machine output keeps gt's raw value and says beside it whether the operator knows it; the
  // same on a town of each gt release (v1.2's review-needed; on v1.0 values of some newer gt).
  for (const version of GT_VERSIONS) {
    test(`--json keeps raw values with <field>Known flags [gt ${version}]`, async () => {
      const state = version === '1.2' ? 'review-needed' : 'hibernating';
      const before = readTown(town);
      const polecat = Object.values(before.polecats).find((p) => p.rig === 'alpha')!;
      const convoy = Object.values(before.beads).find((b) => b.id.startsWith('hq-cv-'))!;
      await setPolecatState(town, 'alpha', polecat.name, state);
      await setStatuses(town, { rig: 'beta', rigStatus: 'maintenance', convoy: convoy.id, convoyStatus: 'staged' });
      try {
        const out = await inspect(['--json', '--gt-path', SIM_GT, '--bd-path', SIM_BD, '--town-root', town], { HOME: dir, GT_SIM_VERSION: version });
        assert.equal(out.code, 0, out.stderr);
        const view = JSON.parse(out.stdout) as {
          rigs: Array<{ name: string; status: string; statusKnown: boolean }>;
          polecats: Array<{ rig: string; name: string; state: string; stateKnown: boolean }>;
          convoys: Array<{ id: string; status: string; statusKnown: boolean }>;
        };
        const p = view.polecats.find((x) => x.rig === 'alpha' && x.name === polecat.name);
        assert.deepEqual(p && [p.state, p.stateKnown], [state, false]);
        assert.ok(view.polecats.filter((x) => x !== p).every((x) => x.stateKnown && !x.state.startsWith('unknown')), JSON.stringify(view.polecats));
        assert.deepEqual(view.rigs.map((r) => [r.name, r.status, r.statusKnown]).sort(), [['alpha', 'operational', true], ['beta', 'maintenance', false]]);
        assert.deepEqual(view.convoys.map((c) => [c.id, c.status, c.statusKnown]), [[convoy.id, 'staged', false]]);
      } finally {
        await setPolecatState(town, 'alpha', polecat.name, polecat.state);
        await setStatuses(town, { rig: 'beta', rigStatus: 'operational', convoy: convoy.id, convoyStatus: 'open' });
      }
    });
  }

  test('--simulate creates and reads its own demo town, announced loudly', async () => {
    const out = await inspect(['--simulate', '--json'], { HOME: dir });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /SIMULATED TOWN/);
    const view = JSON.parse(out.stdout) as { rigs: unknown[] };
    assert.equal(view.rigs.length, 3);
  });
});

/** Sets a rig's and a convoy's status to any value (gt may print values bd and gt rig have no command for). */
async function setStatuses(root: string, to: { rig: string; rigStatus: string; convoy: string; convoyStatus: string }): Promise<void> {
  await mutateState(root, (state) => {
    const rig = state.rigs[to.rig];
    const convoy = state.beads[to.convoy];
    if (rig === undefined || convoy === undefined) throw new Error('no such rig or convoy');
    (rig as { status: string }).status = to.rigStatus;
    convoy.status = to.convoyStatus;
  });
}
