// gt sling, gt convoy and bd through the real executables: outputs, refusals, idempotency,
// the events they write, cross-rig convoys not auto-closing (gastown #3681), bd's shapes.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, beforeEach, afterEach, describe, test } from 'node:test';
import * as control from '../../../sim/src/control.ts';
import { readEvents } from '../../../sim/src/events.ts';
import { GT_VERSIONS, bd, gt, makeTown, parseJson } from './harness.ts';
import type { TestTown } from './harness.ts';

describe('gt sling', () => {
  let town: TestTown;
  beforeEach(async () => {
    town = await makeTown({ polecatsPerRig: 1 });
  });
  afterEach(() => town.cleanup());

  test('spawns a fresh polecat, creates a convoy, logs spawn/hook/sling', async () => {
    const bead = await control.addBead(town.root, { rig: 'gastown', title: 'New work' });
    const r = await gt(town.root, ['sling', bead, 'gastown']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], "Target is rig 'gastown', spawning fresh polecat...");
    assert.equal(lines[1], 'Created polecat: nux');
    assert.ok(lines.includes(`🎯 Slinging ${bead} to gastown/polecats/nux...`));
    assert.ok(lines.some((l) => /^→ Created convoy 🚚 hq-cv-[0-9a-z]{5}$/.test(l)));
    assert.ok(lines.includes('✓ Work attached to hook (status=hooked)'));
    const types = readEvents(town.root).map((e) => e.type);
    assert.deepEqual(types, ['spawn', 'hook', 'sling']);
    const sling = readEvents(town.root)[2]!;
    assert.deepEqual(sling.payload, { bead, target: 'gastown/polecats/nux' });
    assert.match(sling.ts, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  for (const version of GT_VERSIONS) {
    test(`re-sling to the same rig is a no-op with exit 0; after gt done: reuse (1.0) or retired (1.2) [gt ${version}]`, async () => {
      await control.setSettings(town.root, { gtVersion: version });
      const bead = await control.addBead(town.root, { rig: 'gastown', title: 'x' });
      await gt(town.root, ['sling', bead, 'gastown', '--no-convoy']);
      const again = await gt(town.root, ['sling', bead, 'gastown']);
      assert.equal(again.code, 0);
      assert.equal(again.stdout, `○ Bead ${bead} is already hooked to gastown/polecats/nux, no-op\n`);
      await control.finishWork(town.root, 'gastown', 'nux');
      // gt v1.0 keeps the polecat idle; gt v1.2 retires it (its worktree removed) on a clean gt done.
      assert.equal(existsSync(join(town.root, 'gastown', 'polecats', 'nux')), version === '1.0');
      const next = await control.addBead(town.root, { rig: 'gastown', title: 'y' });
      const reuse = await gt(town.root, ['sling', next, 'gastown', '--no-convoy']);
      assert.match(reuse.stdout, version === '1.0' ? /\nReusing idle polecat: nux\n/ : /\nCreated polecat: \w+\n/);
    });
  }

  test('refusals: closed, unknown, parked, hooked elsewhere', async () => {
    const bead = await control.addBead(town.root, { rig: 'gastown', title: 'x' });
    await control.closeBead(town.root, bead);
    const closed = await gt(town.root, ['sling', bead, 'gastown']);
    assert.equal(closed.code, 1);
    assert.equal(closed.stderr.split('\n')[0], `Error: bead ${bead} is closed (work already completed)`);
    const unknown = await gt(town.root, ['sling', 'gt-zzzzz', 'gastown']);
    assert.equal(unknown.stderr.split('\n')[0], "Error: checking bead status: bead 'gt-zzzzz' not found");
    await control.setRigStatus(town.root, 'beads', 'parked');
    const open = await control.addBead(town.root, { rig: 'beads', title: 'y' });
    const parked = await gt(town.root, ['sling', open, 'beads']);
    assert.equal(parked.stderr.split('\n')[0], 'Error: cannot sling to parked rig "beads"');
    await control.setRigStatus(town.root, 'beads', 'operational');
    await gt(town.root, ['sling', open, 'beads']);
    const elsewhere = await gt(town.root, ['sling', open, 'gastown']);
    assert.equal(elsewhere.code, 1);
    assert.match(elsewhere.stderr, /^Error: bead \S+ is already hooked to beads\/polecats\/nux\nUse --force to re-sling\n/);
  });

  test('a bead hooked to a dead session is re-slung to a new polecat', async () => {
    const bead = await control.addBead(town.root, { rig: 'gastown', title: 'x' });
    await gt(town.root, ['sling', bead, 'gastown', '--no-convoy']);
    await control.killSession(town.root, 'gastown', 'nux');
    const r = await gt(town.root, ['sling', bead, 'gastown', '--no-convoy']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^⚠ Hooked agent gastown\/polecats\/nux has no active session, auto-forcing re-sling\.\.\.\n/);
    assert.match(r.stdout, /Created polecat: slit\n/);
  });

  test('scheduler mode only queues; dispatch spawns later', async () => {
    await control.setSettings(town.root, { maxPolecats: 3 });
    const bead = await control.addBead(town.root, { rig: 'gastown', title: 'x' });
    const r = await gt(town.root, ['sling', bead, 'gastown', '--no-convoy']);
    assert.match(r.stdout, new RegExp(`^✓ Scheduled ${bead} → gastown \\(context: hq-[0-9a-z]{5}\\)\\n$`));
    assert.equal(await control.dispatchScheduled(town.root), 1);
    assert.equal(control.readTown(town.root).beads[bead]!.status, 'hooked');
  });

  test('scheduler mode has its own checks (gastown sling_schedule.go scheduleBead)', async () => {
    await control.setSettings(town.root, { maxPolecats: 3 });
    const bead = await control.addBead(town.root, { rig: 'gastown', title: 'y' });
    const first = await gt(town.root, ['sling', bead, 'gastown', '--no-convoy']);
    const ctxId = /context: (hq-[0-9a-z]{5})/.exec(first.stdout)![1]!;
    const again = await gt(town.root, ['sling', bead, 'gastown', '--no-convoy']);
    assert.equal(again.code, 0);
    assert.equal(again.stdout, `○ Bead ${bead} is already scheduled (context: ${ctxId}), no-op\n`);
    const unknown = await gt(town.root, ['sling', 'gt-zzzzz', 'gastown']);
    assert.equal(unknown.stderr.split('\n')[0], "Error: bead 'gt-zzzzz' not found");
    const hooked = Object.values(control.readTown(town.root).beads).find((b) => b.status === 'hooked' && b.id.startsWith('gt-'))!;
    const refused = await gt(town.root, ['sling', hooked.id, 'gastown']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`^Error: bead ${hooked.id} is already hooked to gastown/polecats/furiosa\nUse --force to override\n`));
  });
});

describe('gt convoy', () => {
  let town: TestTown;
  beforeEach(async () => {
    town = await makeTown({ convoys: 0 });
  });
  afterEach(() => town.cleanup());

  test('create, status, list, check and close', async () => {
    const a = await control.addBead(town.root, { rig: 'gastown', title: 'a' });
    const b = await control.addBead(town.root, { rig: 'gastown', title: 'b' });
    const created = await gt(town.root, ['convoy', 'create', 'Ship it', a, b, '--notify']);
    assert.equal(created.code, 0, created.stderr);
    const id = /Created convoy 🚚 (hq-cv-[0-9a-z]{5})/.exec(created.stdout)?.[1];
    assert.ok(id !== undefined, created.stdout);
    assert.match(created.stdout, /\n {2}Notify: {3}mayor\/\n/);
    const status = parseJson<Record<string, unknown>>((await gt(town.root, ['convoy', 'status', id, '--json'])).stdout);
    assert.deepEqual(Object.keys(status), ['id', 'title', 'status', 'owned', 'lifecycle', 'tracked', 'completed', 'total']);
    assert.equal(status['total'], 2);
    const refused = await gt(town.root, ['convoy', 'close', id]);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, 'Error: convoy has 2 open issue(s)\n');
    await bd(town.root, ['close', a, b]);
    const check = await gt(town.root, ['convoy', 'check']);
    assert.match(check.stdout, new RegExp(`✓ Auto-closed 1 convoy\\(s\\):\\n {2}🚚 ${id}: Ship it`));
    assert.deepEqual(parseJson<unknown[]>((await gt(town.root, ['convoy', 'list', '--json'])).stdout), []);
    const all = parseJson<Array<Record<string, unknown>>>((await gt(town.root, ['convoy', 'list', '--json', '--all'])).stdout);
    assert.equal(all[0]!['status'], 'closed');
    assert.equal(readEvents(town.root).filter((e) => e.type === 'mail').length, 1);
  });

  test('cross-rig convoys never auto-close (gastown #3681)', async () => {
    const a = await control.addBead(town.root, { rig: 'gastown', title: 'a' });
    const b = await control.addBead(town.root, { rig: 'beads', title: 'b' });
    const created = await gt(town.root, ['convoy', 'create', 'Cross', a, b]);
    const id = /hq-cv-[0-9a-z]{5}/.exec(created.stdout)?.[0] ?? '';
    await control.closeBead(town.root, a);
    await control.closeBead(town.root, b);
    const check = await gt(town.root, ['convoy', 'check']);
    assert.equal(check.stdout, 'No convoys ready to close.\n');
    const status = parseJson<Record<string, unknown>>((await gt(town.root, ['convoy', 'status', id, '--json'])).stdout);
    assert.equal(status['status'], 'open');
    assert.equal(status['completed'], 2);
  });

  test('tracking failures leave a convoy tracking 0 beads, with warnings', async () => {
    await control.setSettings(town.root, { convoyTrackingFails: true });
    const a = await control.addBead(town.root, { rig: 'gastown', title: 'a' });
    const created = await gt(town.root, ['convoy', 'create', 'Empty', a]);
    assert.equal(created.code, 0);
    assert.match(created.stdout, / {2}Tracking: 0 issues\n/);
    assert.match(created.stderr, /^⚠ Warning: couldn't track /);
    const id = /hq-cv-[0-9a-z]{5}/.exec(created.stdout)?.[0] ?? '';
    const status = parseJson<Record<string, unknown>>((await gt(town.root, ['convoy', 'status', id, '--json'])).stdout);
    assert.equal(status['tracked'], null);
    const nf = await gt(town.root, ['convoy', 'status', 'hq-cv-zzzzz', '--json']);
    assert.equal(nf.stderr, "Error: convoy 'hq-cv-zzzzz' not found\n");
  });
});

describe('bd', () => {
  let town: TestTown;
  after(() => town.cleanup());

  test('show: array, partial misses, none found, envelope', async () => {
    town = await makeTown({ beadsPerRig: 60 });
    const ids = Object.keys(control.readTown(town.root).beads).filter((id) => id.startsWith('gt-')).slice(0, 2);
    const both = await bd(town.root, ['show', ...ids, '--json']);
    assert.equal(both.code, 0);
    const arr = parseJson<Array<Record<string, unknown>>>(both.stdout);
    assert.deepEqual(arr.map((i) => i['id']), ids);
    const partial = await bd(town.root, ['show', ids[0]!, 'gt-zzzzz', '--json']);
    assert.equal(partial.code, 0);
    assert.equal(parseJson<unknown[]>(partial.stdout).length, 1);
    assert.match(partial.stderr, /gt-zzzzz/);
    const none = await bd(town.root, ['show', 'gt-zzzzz', '--json']);
    assert.equal(none.code, 1);
    assert.deepEqual(parseJson(none.stdout), { error: 'no issues found matching the provided IDs', schema_version: 1 });
    const env = await bd(town.root, ['show', ids[0]!, '--json'], { env: { BD_JSON_ENVELOPE: '1' } });
    const wrapped = parseJson<{ schema_version: number; data: unknown[] }>(env.stdout);
    assert.equal(wrapped.schema_version, 1);
    assert.equal(wrapped.data.length, 1);
  });

  test('list: 50 by default, -n 0 for all, closed excluded unless --all', async () => {
    const total = Object.values(control.readTown(town.root).beads).filter((b) => b.status !== 'closed').length;
    assert.ok(total > 50);
    assert.equal(parseJson<unknown[]>((await bd(town.root, ['list', '--json'])).stdout).length, 50);
    assert.equal(parseJson<unknown[]>((await bd(town.root, ['list', '--json', '-n', '0'])).stdout).length, total);
    const first = Object.keys(control.readTown(town.root).beads)[0]!;
    await bd(town.root, ['close', first, '-r', 'done']);
    assert.equal(parseJson<unknown[]>((await bd(town.root, ['list', '--json', '-n', '0'])).stdout).length, total - 1);
    assert.equal(parseJson<unknown[]>((await bd(town.root, ['list', '--json', '-n', '0', '--all'])).stdout).length, Object.keys(control.readTown(town.root).beads).length);
    assert.equal(readEvents(town.root).length, 0, 'bd close writes no event');
  });
});
