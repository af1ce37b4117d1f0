// Fault injection, the call log, concurrency of many gt/bd processes on one town, and the
// event log's rename-prune, through the real executables.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { afterEach, beforeEach, describe, test } from 'node:test';
import * as control from '../../../sim/src/control.ts';
import { readEvents } from '../../../sim/src/events.ts';
import { readFaultFile } from '../../../sim/src/faults.ts';
import { bd, gt, makeTown, parseJson, runBin } from './harness.ts';
import type { TestTown } from './harness.ts';
import { eventually } from '../../helpers/eventually.ts';

describe('faults', () => {
  let town: TestTown;
  beforeEach(async () => {
    town = await makeTown();
  });
  afterEach(() => town.cleanup());

  test('crash: exit 2 with a Go panic on stderr, nothing on stdout', async () => {
    await control.setFaultRules(town.root, [{ match: 'gt polecat list', crash: true }]);
    const r = await gt(town.root, ['polecat', 'list', '--all', '--json']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^panic: runtime error: invalid memory address or nil pointer dereference\n\[signal SIGSEGV/);
    assert.match(r.stderr, /\n\ngoroutine 1 \[running\]:\n/);
    assert.equal((await gt(town.root, ['rig', 'list', '--json'])).code, 0, 'other commands unaffected');
  });

  test('garbage, truncate and stdout warnings corrupt the reply', async () => {
    await control.setFaultRules(town.root, [{ match: 'gt rig list', garbage: true }]);
    const garbage = await gt(town.root, ['rig', 'list', '--json']);
    assert.throws(() => JSON.parse(garbage.stdout) as unknown);
    await control.setFaultRules(town.root, [{ match: 'gt rig list', truncate: true }]);
    const cut = await gt(town.root, ['rig', 'list', '--json']);
    assert.equal(cut.code, 0);
    assert.throws(() => JSON.parse(cut.stdout) as unknown);
    await control.setFaultRules(town.root, [{ match: 'bd', stdoutWarnings: true }]);
    const warned = await bd(town.root, ['list', '--json']);
    assert.match(warned.stdout, /^warning: /);
    assert.ok(Array.isArray(JSON.parse(warned.stdout.slice(warned.stdout.indexOf('[')))));
  });

  test('dbDown: bd fails fast; gt reads degrade the way gt degrades', async () => {
    await control.setFaultRules(town.root, [{ dbDown: true }]);
    const b = await bd(town.root, ['list', '--json']);
    assert.equal(b.code, 1);
    assert.match(b.stderr, /^Error: .*connection refused/);
    const cv = await gt(town.root, ['convoy', 'status', 'hq-cv-abcde', '--json']);
    assert.equal(cv.stderr, "Error: convoy 'hq-cv-abcde' not found\n");
    // gastown polecat/manager.go loadFromBeads: without beads every polecat is `working`
    // (session alive) or `stalled`, with no issue, and the list exits 0 without a warning.
    const pl = await gt(town.root, ['polecat', 'list', '--all', '--json']);
    assert.equal(pl.code, 0);
    assert.equal(pl.stderr, '');
    const items = parseJson<Array<Record<string, unknown>>>(pl.stdout);
    assert.deepEqual(items[0], { rig: 'beads', name: 'furiosa', state: 'working', session_running: true });
    assert.deepEqual(items[1], { rig: 'beads', name: 'nux', state: 'stalled', session_running: false });
    // hook status swallows the query error: has_work false, exit 0.
    const hook = await gt(town.root, ['hook', 'status', 'beads/polecats/furiosa', '--json']);
    assert.equal(hook.code, 0);
    assert.equal(parseJson<Record<string, unknown>>(hook.stdout)['has_work'], false);
    // check-recovery falls back to git (clean) and cannot search the queue for furiosa's work on
    // its branch: current gt fails closed (NEEDS_RECOVERY / unknown, named); an idle clean
    // worktree has nothing to submit, which git alone tells (SAFE_TO_NUKE / not_required).
    const rec = parseJson<Record<string, unknown>>((await gt(town.root, ['polecat', 'check-recovery', 'beads/furiosa', '--json'])).stdout);
    assert.deepEqual(rec, {
      rig: 'beads', polecat: 'furiosa', cleanup_status: 'clean', needs_recovery: true, verdict: 'NEEDS_RECOVERY', branch: rec['branch'],
      mq_status: 'unknown', reason: 'unsaved-work', reusable: false, safe_to_nuke: false, needs_mq_submit: false, counts_toward_capacity: true,
      blockers: ['mq_status=unknown'],
    });
    assert.match(String(rec['branch']), /^polecat\/furiosa\//);
    const idle = parseJson<Record<string, unknown>>((await gt(town.root, ['polecat', 'check-recovery', 'beads/nux', '--json'])).stdout);
    assert.deepEqual([idle['verdict'], idle['mq_status']], ['SAFE_TO_NUKE', 'not_required']);
    const sling = await gt(town.root, ['sling', 'bd-zzzzz', 'beads']);
    assert.equal(sling.stderr.split('\n')[0], "Error: checking bead status: bead 'bd-zzzzz' not found");
  });

  test('remaining: a one-shot fault applies exactly N times', async () => {
    await control.setFaultRules(town.root, [{ match: 'gt rig list', crash: true, remaining: 2 }]);
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await gt(town.root, ['rig', 'list', '--json'])).code);
    assert.deepEqual(codes, [2, 2, 0]);
  });

  test('GT_SIM_FAULTS env rules and latency', async () => {
    const started = Date.now();
    const r = await gt(town.root, ['rig', 'list', '--json'], { env: { GT_SIM_FAULTS: JSON.stringify([{ match: 'gt rig', latencyMs: 400 }]) } });
    assert.equal(r.code, 0);
    assert.ok(Date.now() - started >= 400);
  });

  test('hang: never answers until killed; SIGTERM still logs the call', async () => {
    await control.setFaultRules(town.root, [{ match: 'gt status', hang: true }]);
    const r = await runBin('gt', town.root, ['status', '--json'], { timeoutMs: 1500 });
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(r.stdout, '');
    control.clearCalls(town.root);
    await control.setFaultRules(town.root, [{ match: 'gt status', hang: true, remaining: 1 }]);
    const { spawn } = await import('node:child_process');
    const child = spawn(`${import.meta.dirname}/../../../sim/bin/gt`, ['status', '--json'], { cwd: town.root, env: { ...process.env, GT_SIM_NODE: process.execPath, GT_TOWN_ROOT: town.root } });
    // Signal only once the sim has taken its one-shot hang rule (its SIGTERM handler is
    // installed before it reads the rules), not after a guessed delay: a slow start would
    // otherwise die before it can log the call.
    await eventually('the hung gt to take its fault rule', () => readFaultFile(town.root).length === 0);
    child.kill('SIGTERM');
    await new Promise((r2) => child.on('close', r2));
    const calls = control.readCalls(town.root);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.exitCode, null);
  });
});

describe('call log, concurrency and events', () => {
  let town: TestTown;
  beforeEach(async () => {
    town = await makeTown({ polecatsPerRig: 0 });
  });
  afterEach(() => town.cleanup());

  test('every invocation is logged with args, duration and exit code', async () => {
    await gt(town.root, ['rig', 'list', '--json']);
    await bd(town.root, ['show', 'gt-zzzzz', '--json']);
    const calls = control.readCalls(town.root);
    assert.deepEqual(calls.map((c) => [c.bin, c.args, c.exitCode]), [['gt', ['rig', 'list', '--json'], 0], ['bd', ['show', 'gt-zzzzz', '--json'], 1]]);
    assert.ok(calls.every((c) => typeof c.durationMs === 'number' && !Number.isNaN(Date.parse(c.ts))));
  });

  test('20 parallel slings and bd closes keep the state whole', async () => {
    const beads: string[] = [];
    for (let i = 0; i < 20; i++) beads.push(await control.addBead(town.root, { rig: 'gastown', title: `b${i}` }));
    const extra: string[] = [];
    for (let i = 0; i < 20; i++) extra.push(await control.addBead(town.root, { rig: 'beads', title: `c${i}` }));
    const results = await Promise.all([
      ...beads.map((b) => gt(town.root, ['sling', b, 'gastown'])),
      ...extra.map((b) => bd(town.root, ['close', b])),
    ]);
    assert.ok(results.every((r) => r.code === 0), results.map((r) => r.stderr).join(''));
    const state = control.readTown(town.root);
    assert.equal(Object.values(state.polecats).filter((p) => p.rig === 'gastown').length, 20);
    assert.ok(beads.every((b) => state.beads[b]!.status === 'hooked'));
    assert.ok(extra.every((b) => state.beads[b]!.status === 'closed'));
    const names = new Set(Object.values(state.polecats).map((p) => p.name));
    assert.equal(names.size, 20);
    assert.equal(readEvents(town.root).filter((e) => e.type === 'sling').length, 20);
    assert.equal(control.readCalls(town.root).length, 40);
  });

  test('prune replaces the event log by rename (new inode)', async () => {
    const bead = await control.addBead(town.root, { rig: 'gastown', title: 'x' });
    await gt(town.root, ['sling', bead, 'gastown']);
    await gt(town.root, ['mail', 'send', 'mayor/', '-s', 'hi', '-m', 'there']);
    const before = statSync(`${town.root}/.events.jsonl`).ino;
    assert.equal(await control.pruneEventLog(town.root, 1), 3);
    assert.notEqual(statSync(`${town.root}/.events.jsonl`).ino, before);
    const left = readEvents(town.root);
    assert.equal(left.length, 1);
    assert.deepEqual(left[0], { ...left[0], source: 'gt', type: 'mail', actor: 'overseer', payload: { subject: 'hi', to: 'mayor/' }, visibility: 'feed' });
  });

  test('gt writes no event when run from outside the town', async () => {
    const bead = await control.addBead(town.root, { rig: 'gastown', title: 'x' });
    const r = await gt(town.root, ['sling', bead, 'gastown'], { cwd: '/' });
    assert.equal(r.code, 0);
    assert.equal(readEvents(town.root).length, 0);
    assert.equal(parseJson<Record<string, unknown>>(JSON.stringify(control.readTown(town.root).beads[bead])).status, 'hooked');
  });
});
