// The simulated gt's read commands against the contract: JSON shapes with snake_case keys,
// exact texts and exit codes, through the real executables.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as control from '../../../sim/src/control.ts';
import { gt, makeTown, parseJson } from './harness.ts';
import type { TestTown } from './harness.ts';

const SNAKE = /^[a-z0-9_]+$/;
function assertSnakeKeys(value: unknown): void {
  if (Array.isArray(value)) value.forEach(assertSnakeKeys);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      assert.match(k, SNAKE, `key ${k}`);
      assertSnakeKeys(v);
    }
  }
}

describe('gt read commands', () => {
  let town: TestTown;
  before(async () => {
    town = await makeTown();
  });
  after(() => town.cleanup());

  test('rig list --json lists rigs with counts', async () => {
    const r = await gt(town.root, ['rig', 'list', '--json']);
    assert.equal(r.code, 0);
    const rigs = parseJson<Array<Record<string, unknown>>>(r.stdout);
    assert.deepEqual(rigs.map((x) => x['name']), ['beads', 'gastown']);
    assert.deepEqual(Object.keys(rigs[0]!), ['name', 'beads_prefix', 'status', 'witness', 'refinery', 'polecats', 'crew']);
    assert.equal(rigs[1]!['status'], 'operational');
    assert.equal(rigs[1]!['polecats'], 2);
    assert.match(r.stdout, /^\[\n {2}\{\n {4}"name"/);
  });

  test('status --json has the town shape; --fast drops mq and hooks', async () => {
    const full = parseJson<Record<string, unknown>>((await gt(town.root, ['status', '--json'])).stdout);
    assertSnakeKeys(full);
    const rig = (full['rigs'] as Array<Record<string, unknown>>)[0]!;
    assert.ok('mq' in rig && 'hooks' in rig);
    assert.equal((full['summary'] as Record<string, number>)['active_hooks'], 2);
    const fast = parseJson<Record<string, unknown>>((await gt(town.root, ['status', '--json', '--fast'])).stdout);
    const fastRig = (fast['rigs'] as Array<Record<string, unknown>>)[0]!;
    assert.ok(!('mq' in fastRig) && !('hooks' in fastRig));
  });

  test('polecat list rewrites states and needs a rig', async () => {
    await control.killSession(town.root, 'gastown', 'furiosa');
    const r = await gt(town.root, ['polecat', 'list', 'gastown', '--json']);
    const items = parseJson<Array<Record<string, unknown>>>(r.stdout);
    assert.equal(items.find((p) => p['name'] === 'furiosa')!['state'], 'stalled');
    const raw = parseJson<Record<string, unknown>>((await gt(town.root, ['polecat', 'status', 'gastown/furiosa', '--json'])).stdout);
    assert.equal(raw['state'], 'working');
    const missing = await gt(town.root, ['polecat', 'list', '--json']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.split('\n')[0], 'Error: rig name required (or use --all)');
    assert.match(missing.stderr, /Usage:/);
    const unknown = await gt(town.root, ['polecat', 'list', 'nope', '--json']);
    assert.equal(unknown.stderr.split('\n')[0], "Error: rig 'nope' not found");
  });

  test('polecat status prints zone-less local times while a session runs', async () => {
    const r = await gt(town.root, ['polecat', 'status', 'beads/furiosa', '--json']);
    const body = parseJson<Record<string, unknown>>(r.stdout);
    assert.match(String(body['created_at']), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    assert.equal(body['session_running'], true);
    assert.equal(body['clone_path'], join(town.root, 'beads', 'polecats', 'furiosa', 'beads'));
    const nf = await gt(town.root, ['polecat', 'status', 'beads/ghost', '--json']);
    assert.equal(nf.code, 1);
    assert.equal(nf.stderr.split('\n')[0], "Error: polecat 'ghost' not found in rig 'beads'");
  });

  test('git-state and check-recovery follow the dirt', async () => {
    await control.makeDirty(town.root, 'beads', 'nux', { unpushedCommits: 2, uncommittedFiles: ['a.go'] });
    const gs = parseJson<Record<string, unknown>>((await gt(town.root, ['polecat', 'git-state', 'beads/nux', '--json'])).stdout);
    assert.deepEqual(gs, { clean: false, uncommitted_files: ['a.go'], unpushed_commits: 2, stash_count: 0 });
    const rec = parseJson<Record<string, unknown>>((await gt(town.root, ['polecat', 'check-recovery', 'beads/nux', '--json'])).stdout);
    assert.equal(rec['verdict'], 'NEEDS_RECOVERY');
    assert.equal(rec['cleanup_status'], 'has_unpushed');
    await control.makeDirty(town.root, 'beads', 'nux', { unpushedCommits: 0, uncommittedFiles: [], needsMqSubmit: true });
    const mq = parseJson<Record<string, unknown>>((await gt(town.root, ['polecat', 'check-recovery', 'beads/nux', '--json'])).stdout);
    assert.equal(mq['verdict'], 'NEEDS_MQ_SUBMIT');
    await control.makeDirty(town.root, 'beads', 'nux', { needsMqSubmit: false });
    const safe = parseJson<Record<string, unknown>>((await gt(town.root, ['polecat', 'check-recovery', 'beads/nux', '--json'])).stdout);
    assert.equal(safe['verdict'], 'SAFE_TO_NUKE');
  });

  test('nuke refuses dirty polecats, is idempotent, and removes the worktree', async () => {
    await control.makeDirty(town.root, 'beads', 'nux', { stashCount: 1 });
    const refused = await gt(town.root, ['polecat', 'nuke', 'beads/nux']);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /^Error: Cannot nuke the following polecats:\n\n {2}beads\/nux:\n {4}- has stashed changes\n/);
    assert.equal(refused.stderr.split('\n')[0], 'Error: blocked: 1 polecat(s) have active work');
    const dry = await gt(town.root, ['polecat', 'nuke', 'beads/nux', '--dry-run']);
    assert.equal(dry.code, 0);
    assert.match(dry.stdout, /^Would nuke beads\/nux:/);
    const forced = await gt(town.root, ['polecat', 'nuke', 'beads/nux', '--force']);
    assert.equal(forced.code, 0);
    assert.equal(existsSync(join(town.root, 'beads', 'polecats', 'nux')), false);
    const again = await gt(town.root, ['polecat', 'nuke', 'beads/nux']);
    assert.equal(again.code, 0);
    assert.equal(again.stdout, 'No polecats to nuke.\n');
  });

  test('witness, refinery and mq report per rig', async () => {
    const w = parseJson<Record<string, unknown>>((await gt(town.root, ['witness', 'status', 'gastown', '--json'])).stdout);
    assert.equal(w['running'], true);
    assert.equal(w['rig_name'], 'gastown');
    const rf = parseJson<Record<string, unknown>>((await gt(town.root, ['refinery', 'status', 'gastown', '--json'])).stdout);
    assert.equal(rf['queue_length'], 0);
    assert.equal((await gt(town.root, ['mq', 'list', 'gastown', '--json'])).stdout, 'null\n');
    await control.makeDirty(town.root, 'gastown', 'nux', { openMr: true });
    const mrs = parseJson<Array<Record<string, unknown>>>((await gt(town.root, ['mq', 'list', 'gastown', '--json'])).stdout);
    assert.equal(mrs.length, 1);
    assert.equal(mrs[0]!['issue_type'], 'merge-request');
    assert.match(String(mrs[0]!['description']), /^branch: polecat\/nux\ntarget: main\n/);
  });

  test('rig status is text; park shows in rig list; unknown rig fails', async () => {
    const s = await gt(town.root, ['rig', 'status', 'gastown']);
    assert.match(s.stdout, /^gastown\n {2}Status: OPERATIONAL\n/);
    const p = await gt(town.root, ['rig', 'park', 'gastown']);
    assert.match(p.stdout, /✓ Rig gastown parked \(local only\)/);
    const rigs = parseJson<Array<Record<string, unknown>>>((await gt(town.root, ['rig', 'list', '--json'])).stdout);
    assert.equal(rigs.find((r) => r['name'] === 'gastown')!['status'], 'parked');
    await gt(town.root, ['rig', 'unpark', 'gastown']);
    const nf = await gt(town.root, ['rig', 'status', 'nope']);
    assert.equal(nf.code, 1);
    assert.equal(nf.stderr.split('\n')[0], "Error: rig 'nope' not found");
  });

  test('unknown commands and town discovery errors', async () => {
    const u = await gt(town.root, ['frobnicate']);
    assert.equal(u.code, 1);
    assert.equal(u.stderr.split('\n')[0], 'Error: unknown command "frobnicate" for "gt"');
    const outside = await gt(town.root, ['rig', 'list', '--json'], { cwd: '/', env: { GT_TOWN_ROOT: '' } });
    assert.equal(outside.code, 1);
    assert.match(outside.stderr, /^Error: not in a Gas Town workspace: /);
  });
});

describe('gt rig list in an empty town', () => {
  let town: TestTown;
  before(async () => {
    town = await makeTown({ rigs: [], convoys: 0 });
  });
  after(() => town.cleanup());

  test('prints the plain text even with --json', async () => {
    const r = await gt(town.root, ['rig', 'list', '--json']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'No rigs configured.\n');
    const c = await gt(town.root, ['convoy', 'status', '--json']);
    assert.equal(c.stdout.split('\n')[0], 'No active convoys.');
  });
});
