// Real session processes in the simulated town: a rig whose settings configure
// `runtime.exec_wrapper` gets a long-lived `env GT_...=... <wrapper> <agent>` process per
// polecat session; `gt nudge` types into its stdin, `gt peek` shows its output, its exit is the
// session's death, and nuke kills its process group. Through the real sim/bin/gt.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readEvents } from '../../../sim/src/events.ts';
import { readRecord, processAlive } from '../../../sim/src/session/record.ts';
import { endSession, peekSession } from '../../../sim/src/session/sessions.ts';
import { readState } from '../../../sim/src/store.ts';
import { eventually } from '../../helpers/eventually.ts';
import { SIM_BIN, gt, makeTown, parseJson } from './harness.ts';
import type { TestTown } from './harness.ts';

const ENV = { PATH: `${SIM_BIN}:${process.env['PATH'] ?? ''}` };

function setRuntime(root: string, rig: string, runtime: unknown): void {
  mkdirSync(join(root, rig, 'settings'), { recursive: true });
  writeFileSync(join(root, rig, 'settings', 'config.json'), JSON.stringify({ type: 'rig-settings', version: 1, runtime }));
}

function openBead(root: string, prefix: string): string {
  const bead = Object.values(readState(root).beads).find((b) => b.status === 'open' && b.id.startsWith(`${prefix}-`) && b.issueType === 'task');
  assert.ok(bead, 'an open bead');
  return bead.id;
}

/** Slings a bead to the rig and returns the polecat's name and session. */
async function sling(root: string, rig: string, prefix: string): Promise<{ name: string; session: string }> {
  const bead = openBead(root, prefix);
  const r = await gt(root, ['sling', bead, rig], { env: ENV });
  assert.equal(r.code, 0, r.stderr);
  const p = Object.values(readState(root).polecats).find((x) => x.hookBead === bead);
  assert.ok(p);
  return { name: p.name, session: `${prefix}-${p.name}` };
}

async function peek(root: string, target: string): Promise<string> {
  return (await gt(root, ['peek', target])).stdout;
}

function polecatRow(root: string, rig: string, name: string): Promise<Record<string, unknown> | undefined> {
  return gt(root, ['polecat', 'list', rig, '--json']).then((r) => parseJson<Array<Record<string, unknown>>>(r.stdout).find((p) => p['name'] === name));
}

describe('sim sessions through exec_wrapper', () => {
  let town: TestTown;
  before(async () => {
    town = await makeTown({ rigs: [{ name: 'gastown', prefix: 'gt' }], beadsPerRig: 6 });
  });
  after(async () => {
    const dir = join(town.root, '.runtime', 'sessions');
    const sessions = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
    await Promise.all(sessions.map((s) => endSession(town.root, s, 'now', 5000)));
    town.cleanup();
  });

  test('the session is `env <gt exports> <wrapper> <agent>`; nudges reach stdin; exit = session death', async () => {
    const script = 'echo "role=$GT_ROLE rig=$GT_RIG polecat=$GT_POLECAT actor=$BD_ACTOR agent=$GT_AGENT session=$GT_SESSION wrapped=$WRAPPED cwd=$(pwd)"; '
      + 'while read l; do echo "got: $l"; [ "$l" = quit ] && exit 4; done';
    setRuntime(town.root, 'gastown', { exec_wrapper: ['env', 'WRAPPED=yes'], command: 'sh', args: ['-c', script] });
    const { name, session } = await sling(town.root, 'gastown', 'gt');
    const record = readRecord(town.root, session);
    assert.ok(record !== undefined && processAlive(record.pid), 'the session process runs');
    await eventually('the banner', () => (peekSession(town.root, session, 100).includes('role=') ? true : undefined));
    const banner = await peek(town.root, `gastown/${name}`);
    const cwd = join(town.root, 'gastown', 'polecats', name, 'gastown');
    assert.equal(banner, `role=gastown/polecats/${name} rig=gastown polecat=${name} actor=gastown/polecats/${name} agent=sh session=${session} wrapped=yes cwd=${cwd}\n`);
    assert.equal((await polecatRow(town.root, 'gastown', name))?.['session_running'], true);

    const nudged = await gt(town.root, ['nudge', `gastown/${name}`, 'hello polecat']);
    assert.equal(nudged.stdout, `✓ Nudged gastown/${name} (wait-idle)\n`);
    await eventually('the nudge on stdin', () => (peekSession(town.root, session, 100).includes('got: hello polecat\n') ? true : undefined));
    assert.match(await peek(town.root, `gastown/${name}`), /got: hello polecat\n$/);

    assert.equal((await gt(town.root, ['nudge', `gastown/${name}`, '-m', 'quit'])).code, 0);
    await eventually('the session death', () => (readState(town.root).polecats[`gastown/${name}`]?.sessionRunning === false ? true : undefined));
    assert.equal((await polecatRow(town.root, 'gastown', name))?.['state'], 'stalled');
    const death = readEvents(town.root).filter((e) => e.type === 'session_death');
    assert.deepEqual(death.map((e) => e.payload), [{ agent: `gastown/polecats/${name}`, caller: 'daemon', reason: 'session process exited with code 4', session }]);
    assert.equal(readRecord(town.root, session), undefined, 'the record is gone with the process');
    const refused = await gt(town.root, ['nudge', `gastown/${name}`, 'anyone?']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /session "gt-\w+" not found/);
  });

  test('nuke kills the whole process group and logs no death', async () => {
    setRuntime(town.root, 'gastown', { exec_wrapper: ['env'], command: 'sh', args: ['-c', 'sleep 300 & echo "child=$!"; wait'] });
    const { name, session } = await sling(town.root, 'gastown', 'gt');
    const out = await eventually('the child pid', () => /child=(\d+)/.exec(peekSession(town.root, session, 10))?.[1]);
    const record = readRecord(town.root, session);
    assert.ok(record);
    const deathsBefore = readEvents(town.root).filter((e) => e.type === 'session_death').length;
    const nuke = await gt(town.root, ['polecat', 'nuke', '--force', `gastown/${name}`]);
    assert.equal(nuke.code, 0, nuke.stderr);
    assert.match(nuke.stdout, /✓ killed session/);
    await eventually('the group gone', () => (!processAlive(Number(out)) && !processAlive(record.pid) && !processAlive(record.supervisorPid) ? true : undefined));
    assert.equal(readEvents(town.root).filter((e) => e.type === 'session_death').length, deathsBefore);
  });

  test('the default agent is the scripted agent: it pushes its polecat branch and runs gt done', async () => {
    setRuntime(town.root, 'gastown', { exec_wrapper: ['env', 'WRAPPED=yes'] });
    const { name, session } = await sling(town.root, 'gastown', 'gt');
    await eventually('gt done', () => (readEvents(town.root).some((e) => e.type === 'done' && e.actor === `gastown/polecats/${name}`) ? true : undefined));
    await eventually('the session gone', () => (readRecord(town.root, session) === undefined ? true : undefined));
    // gt v1.2 (the town's default) retires a polecat whose gt done was clean: record and worktree gone.
    assert.equal(readState(town.root).polecats[`gastown/${name}`], undefined);
    assert.equal(existsSync(join(town.root, 'gastown', 'polecats', name)), false);
    const { execFileSync } = await import('node:child_process');
    const branches = execFileSync('git', ['for-each-ref', '--format=%(refname)', 'refs/heads/'], { cwd: join(town.root, 'gastown', '.repo.git') }).toString();
    assert.match(branches, new RegExp(`refs/heads/polecat/${name}-[a-z0-9]+\\n`));
  });

  test('malformed runtime settings refuse the sling', async () => {
    setRuntime(town.root, 'gastown', { exec_wrapper: 'exitbox run --' });
    const r = await gt(town.root, ['sling', openBead(town.root, 'gt'), 'gastown']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /runtime\.exec_wrapper must be an array of strings/);
  });
});
