// Faults injected by the simulator, through the real runner: a hung gt is killed with its
// whole process group, and crashes, garbage, truncation, stdout warnings and a down
// database each give the right outcome. Each test sets its own rules on its own town.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readlinkSync, readdirSync } from 'node:fs';
import { clearFaults, readCalls, setFaultRules, type FaultRule } from '../../../sim/src/control.ts';
import { isGtError, type GtError } from '../../../src/gt/index.ts';
import { simTown, type SimTown } from './sim-town.ts';
import { eventually } from '../../helpers/eventually.ts';

let town: SimTown;

before(async () => {
  town = await simTown();
});
after(() => town.cleanup());
beforeEach(async () => {
  await clearFaults(town.root);
});

const faults = (rules: FaultRule[]): Promise<void> => setFaultRules(town.root, rules);

async function failure(p: Promise<unknown>): Promise<GtError> {
  const err = await p.then(() => assert.fail('expected a rejection'), (e: unknown) => e);
  assert.ok(isGtError(err), String(err));
  return err;
}

/** Processes whose working directory is the town: exactly the calls the runner started. */
function townProcesses(): { pid: number; pgid: number }[] {
  const found: { pid: number; pgid: number }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) !== town.root) continue;
      found.push({ pid: Number(entry), pgid: Number(execFileSync('ps', ['-o', 'pgid=', '-p', entry], { encoding: 'utf8' }).trim()) });
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return found;
}

/** Lines of `ps -eo pid,pgid,stat,args` in process group `pgid`, zombies excluded. */
function groupMembers(pgid: number): string[] {
  return execFileSync('ps', ['-eo', 'pid=,pgid=,stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => Number(f[1]) === pgid && !(f[2] ?? '').startsWith('Z'))
    .map((f) => f.join(' '));
}


describe('hung gt', () => {
  test('is killed within timeout + 1 s and leaves no process of its group behind', async () => {
    await faults([{ match: 'gt polecat list', hang: true }]);
    const timeoutMs = 2_000;
    const gt = town.client({ timeoutMs });
    const started = Date.now();
    const pending = failure(gt.polecatList('gastown'));
    const proc = await eventually('the hung call in the process table', () => townProcesses()[0], timeoutMs);
    assert.ok(proc, 'the hung call was seen in the process table');
    assert.ok(groupMembers(proc.pgid).length > 0);
    const err = await pending;
    const elapsed = Date.now() - started;
    assert.equal(err.kind, 'Transient');
    assert.match(err.message, /timed out/);
    assert.ok(elapsed < timeoutMs + 1_000, `rejected after ${elapsed} ms`);
    const leftovers = await eventually('the process group to be empty', () => (groupMembers(proc.pgid).length === 0 ? [] : undefined), 2_000);
    assert.deepEqual(leftovers, [], `still running: ${groupMembers(proc.pgid).join(' | ')}`);
  });
});

describe('faults give the right error kind', () => {
  test('a crash (exit 2, Go panic) is Unavailable', async () => {
    await faults([{ match: 'gt polecat list', crash: true }]);
    const err = await failure(town.client().polecatList('gastown'));
    assert.equal(err.kind, 'Unavailable');
    assert.equal(err.exitCode, 2);
    assert.match(err.stderr, /^panic: /);
  });

  test('garbage output is a ParseError with an excerpt', async () => {
    await faults([{ match: 'gt rig list', garbage: true }]);
    const err = await failure(town.client().rigList());
    assert.equal(err.kind, 'ParseError');
    assert.ok(err.excerpt.length > 0);
  });

  test('truncated JSON is a ParseError', async () => {
    await faults([{ match: 'gt status', truncate: true }]);
    assert.equal((await failure(town.client().townStatus())).kind, 'ParseError');
  });

  test('warning lines on stdout before the JSON are skipped', async () => {
    await faults([{ match: 'bd show', stdoutWarnings: true }, { match: 'gt convoy list', stdoutWarnings: true }]);
    const gt = town.client();
    const [convoy] = await gt.convoyList();
    const shown = await gt.beadShow(convoy!.tracked.map((t) => t.id));
    assert.equal(shown.found.length, convoy!.tracked.length);
  });

  test('a down database: bd is Unavailable, convoy and sling not-found are flagged possibly transient, polecat list degrades silently', async () => {
    await faults([{ dbDown: true }]);
    const gt = town.client();
    const bd = await failure(gt.beadShow(['gt-abcde']));
    assert.equal(bd.kind, 'Unavailable');
    assert.match(bd.message, /database is unavailable/);
    const convoy = await failure(gt.convoyStatus('hq-cv-abcde'));
    assert.equal(convoy.kind, 'NotFound');
    assert.equal(convoy.possiblyTransient, true);
    const sling = await failure(gt.sling('gt-abcde', 'gastown'));
    assert.equal(sling.kind, 'NotFound');
    assert.equal(sling.possiblyTransient, true);
    // Real gt (polecat/manager.go loadFromBeads) answers exit 0 without a warning: every
    // polecat `working` or `stalled`, no issue. Nothing in the output tells the outage apart.
    const polecats = await gt.polecatListAll();
    assert.equal(polecats.length, 4);
    assert.ok(polecats.every((p) => p.issue === undefined && (p.state.kind === 'working' || p.state.kind === 'stalled')));
  });

  test('repeated crashes open the breaker; an open breaker spawns nothing', async () => {
    await faults([{ match: 'gt rig list', crash: true }]);
    const gt = town.client({ breakerFailureThreshold: 2, breakerHalfOpenAfterMs: 60_000 });
    const before = readCalls(town.root).length;
    for (let i = 0; i < 2; i++) assert.equal((await failure(gt.rigList())).kind, 'Unavailable');
    assert.equal(gt.breakerState(), 'open');
    const refused = await failure(gt.rigList());
    assert.equal(refused.kind, 'Transient');
    assert.match(refused.message, /circuit breaker is open/);
    assert.equal(readCalls(town.root).length - before, 2);
  });
});
