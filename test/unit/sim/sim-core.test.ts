// Unit tests of the simulator's pure parts: pflag-style parsing, gt's derived polecat states
// and verdicts, event line format, fault rule matching and validation, and the file lock.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseArgs } from '../../../sim/src/args.ts';
import { listState, nukeBlockReasons, polecatsByRig, recoveryStatus, rigPolecats } from '../../../sim/src/domain.ts';
import { formatEvent } from '../../../sim/src/events.ts';
import { parseFaultRules, ruleMatches } from '../../../sim/src/faults.ts';
import { goLocalTime, nextPolecatName, seededRng, shortId } from '../../../sim/src/ids.ts';
import { withLock } from '../../../sim/src/lock.ts';
import { emptyState } from '../../../sim/src/model.ts';
import type { SimPolecat } from '../../../sim/src/model.ts';
import { CommandError } from '../../../sim/src/output.ts';

function polecat(over: Partial<SimPolecat> = {}): SimPolecat {
  return {
    rig: 'gastown', name: 'nux', state: 'idle', sessionRunning: false, worktree: true, branch: 'polecat/nux',
    createdAt: '2026-01-01T00:00:00Z', lastActivity: '2026-01-01T00:00:00Z',
    dirt: { uncommittedFiles: [], unpushedCommits: 0, stashCount: 0 }, ...over,
  };
}

describe('parseArgs', () => {
  const spec = { bools: ['json', 'force'], values: ['message'], optional: { notify: 'mayor/' }, short: { m: 'message', f: 'force' } };
  test('long, short, inline values and positionals in any order', () => {
    const p = parseArgs(['a', '--json', '-m', 'hi', 'b', '--force=false', '--notify'], spec);
    assert.deepEqual(p.positionals, ['a', 'b']);
    assert.equal(p.flags.get('message'), 'hi');
    assert.equal(p.flags.get('force'), 'false');
    assert.equal(p.flags.get('notify'), 'mayor/');
  });
  test('optional-value flags take a value only with =, like pflag NoOptDefVal', () => {
    const p = parseArgs(['--notify', 'x/'], spec);
    assert.equal(p.flags.get('notify'), 'mayor/');
    assert.deepEqual(p.positionals, ['x/']);
  });
  test('unknown flags fail with pflag texts', () => {
    assert.throws(() => parseArgs(['--nope'], spec), new CommandError('unknown flag: --nope'));
    assert.throws(() => parseArgs(['-z'], spec), new CommandError("unknown shorthand flag: 'z' in -z"));
  });
});

describe('gt derived states', () => {
  test('list rewrites by session liveness; zombies untouched', () => {
    assert.equal(listState(polecat({ state: 'idle', sessionRunning: true })), 'working');
    assert.equal(listState(polecat({ state: 'done', sessionRunning: true })), 'working');
    assert.equal(listState(polecat({ state: 'working', sessionRunning: false })), 'stalled');
    assert.equal(listState(polecat({ state: 'stuck' })), 'stuck');
    assert.equal(listState(polecat({ state: 'zombie', worktree: false, sessionRunning: true })), 'zombie');
  });
  test('check-recovery: the cleanup self-report, then current gastown applyMQCheck', () => {
    const state = emptyState('t');
    const base = { rig: 'gastown', polecat: 'nux', branch: 'polecat/nux' };
    // No self-report on the agent bead (gt done never ran): cleanup_status "" -> NEEDS_RECOVERY, named.
    assert.deepEqual(recoveryStatus(state, polecat()), {
      ...base, cleanup_status: '', needs_recovery: true, verdict: 'NEEDS_RECOVERY', blockers: ['cleanup_status=<missing>'],
    });
    assert.deepEqual(recoveryStatus(state, polecat({ cleanupStatus: 'has_uncommitted' })).blockers, ['cleanup_status=has_uncommitted']);
    // Clean and nothing ahead of the integration branch (idle after gt done, or never worked): not_required.
    assert.deepEqual(recoveryStatus(state, polecat({ cleanupStatus: 'clean' })), {
      ...base, cleanup_status: 'clean', needs_recovery: false, verdict: 'SAFE_TO_NUKE', mq_status: 'not_required',
    });
    // Pushed but never submitted: NEEDS_MQ_SUBMIT / not_submitted, named.
    const pushed = { uncommittedFiles: [], unpushedCommits: 0, stashCount: 0, needsMqSubmit: true };
    assert.deepEqual(recoveryStatus(state, polecat({ cleanupStatus: 'clean', dirt: pushed })), {
      ...base, cleanup_status: 'clean', needs_recovery: true, verdict: 'NEEDS_MQ_SUBMIT', mq_status: 'not_submitted', blockers: ['mq_status=not_submitted'],
    });
    // Work on the branch (a hooked bead) and no MR for it: NEEDS_MQ_SUBMIT too.
    state.beads['gt-abc12'] = {
      id: 'gt-abc12', title: 'Work', description: '', status: 'hooked', priority: 2, issueType: 'task',
      assignee: 'gastown/polecats/nux', owner: '', createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', labels: [],
    };
    const hooked = polecat({ cleanupStatus: 'clean', hookBead: 'gt-abc12', branch: 'polecat/nux/gt-abc12' });
    assert.equal(recoveryStatus(state, hooked).verdict, 'NEEDS_MQ_SUBMIT');
    assert.equal(recoveryStatus(state, hooked).issue, 'gt-abc12');
    // ... unless its bead bypasses the queue (no_merge / review_only / merge_strategy: local): not_required.
    for (const line of ['no_merge: true', 'Review-Only: TRUE', 'merge_strategy: local']) {
      state.beads['gt-abc12'].description = `Do it.\n${line}`;
      assert.deepEqual([recoveryStatus(state, hooked).verdict, recoveryStatus(state, hooked).mq_status], ['SAFE_TO_NUKE', 'not_required'], line);
    }
    state.beads['gt-abc12'].description = 'merge_strategy: mr\nno_merge: false';
    assert.equal(recoveryStatus(state, hooked).verdict, 'NEEDS_MQ_SUBMIT');
    // A closed hooked bead: submitted.
    state.beads['gt-abc12'].status = 'closed';
    assert.deepEqual([recoveryStatus(state, hooked).verdict, recoveryStatus(state, hooked).mq_status], ['SAFE_TO_NUKE', 'submitted']);
    state.beads['gt-abc12'].status = 'hooked';
    // A (merged) MR for the branch: submitted, SAFE_TO_NUKE.
    state.beads['gt-mr001'] = {
      id: 'gt-mr001', title: 'Merge', description: 'branch: polecat/nux/gt-abc12\ntarget: main', status: 'closed', priority: 2, issueType: 'merge-request',
      assignee: '', owner: '', createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', labels: ['gt:merge-request'],
    };
    const safe = recoveryStatus(state, hooked);
    assert.deepEqual([safe.verdict, safe.needs_recovery, safe.mq_status, safe.blockers], ['SAFE_TO_NUKE', false, 'submitted', undefined]);
    // Unpushed commits on a polecat that self-reported clean are work on its branch too.
    const unpushed = polecat({ cleanupStatus: 'clean', dirt: { uncommittedFiles: [], unpushedCommits: 1, stashCount: 0 } });
    assert.equal(recoveryStatus(state, unpushed).verdict, 'NEEDS_MQ_SUBMIT');
  });
  test('nuke reasons come from the agent bead, then the hook, then open MRs of the branch', () => {
    const state = emptyState('t');
    assert.deepEqual(nukeBlockReasons(state, polecat()), ['cleanup status unknown']);
    assert.deepEqual(nukeBlockReasons(state, polecat({ cleanupStatus: 'has_unpushed' })), ['has unpushed commits']);
    assert.deepEqual(nukeBlockReasons(state, polecat({ cleanupStatus: 'clean' })), []);
    assert.deepEqual(nukeBlockReasons(state, polecat({ cleanupStatus: 'clean', hookBead: 'gt-gone1' })), ['has work on hook (gt-gone1, unverified)']);
    state.beads['gt-mr002'] = {
      id: 'gt-mr002', title: 'Merge', description: 'branch: polecat/nux\n', status: 'open', priority: 2, issueType: 'merge-request',
      assignee: '', owner: '', createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', labels: [],
    };
    assert.deepEqual(nukeBlockReasons(state, polecat({ cleanupStatus: 'clean' })), ['has open MR (gt-mr002)']);
  });
});

describe('polecats by rig', () => {
  test('one pass groups every rig like rigPolecats does, each rig by name', () => {
    const state = emptyState('town');
    // Inserted out of order and interleaved across rigs, as spawns and nukes leave them.
    for (const [rig, name] of [['b', 'rust'], ['a', 'toast'], ['b', 'ace'], ['a', 'Nux'], ['c', 'max'], ['a', 'fury']] as const) {
      state.polecats[`${rig}/${name}`] = polecat({ rig, name });
    }
    const byRig = polecatsByRig(state);
    assert.deepEqual([...byRig.keys()].sort(), ['a', 'b', 'c']);
    for (const rig of ['a', 'b', 'c']) assert.deepEqual(byRig.get(rig), rigPolecats(state, rig));
    assert.deepEqual(byRig.get('a')?.map((p) => p.name), ['fury', 'Nux', 'toast']);
    assert.equal(byRig.get('none'), undefined);
  });
});

describe('formats', () => {
  test('event lines follow gt: field order, sorted payload, second-precision UTC', () => {
    const line = formatEvent({ type: 'sling', actor: 'mayor', payload: { target: 'r/polecats/n', bead: 'gt-abcde' } }, new Date('2026-04-01T10:20:30.456Z'));
    assert.equal(line, '{"ts":"2026-04-01T10:20:30Z","source":"gt","type":"sling","actor":"mayor","payload":{"bead":"gt-abcde","target":"r/polecats/n"},"visibility":"feed"}');
    assert.equal(formatEvent({ type: 'boot', actor: 'gt' }, new Date(0)), '{"ts":"1970-01-01T00:00:00Z","source":"gt","type":"boot","actor":"gt","visibility":"feed"}');
  });
  test('ids, names and zone-less times', () => {
    assert.match(shortId(seededRng(1)), /^[0-9a-z]{5}$/);
    assert.equal(shortId(seededRng(5)), shortId(seededRng(5)));
    assert.equal(nextPolecatName(new Set(['furiosa'])), 'nux');
    assert.match(goLocalTime('2026-04-01T10:20:30Z'), /^2026-04-0[12] \d{2}:20:30$/);
  });
});

describe('faults and lock', () => {
  test('rules match by command-line prefix and are validated', () => {
    assert.equal(ruleMatches({ match: 'gt polecat list' }, 'gt polecat list --all --json'), true);
    assert.equal(ruleMatches({ match: 'bd' }, 'gt status'), false);
    assert.equal(ruleMatches({}, 'anything'), true);
    assert.throws(() => parseFaultRules([{ crash: 'yes' }]), /crash must be a boolean/);
    assert.throws(() => parseFaultRules({}), /array/);
  });
  test('the lock serialises holders and recovers a lock left by a dead process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-lock-'));
    try {
      const path = join(dir, 'lock');
      writeFileSync(path, `999999999 ${Date.now()}`);
      let inside = 0;
      let maxInside = 0;
      await Promise.all(Array.from({ length: 10 }, () => withLock(path, async () => {
        inside++;
        maxInside = Math.max(maxInside, inside);
        await new Promise((r) => setTimeout(r, 2));
        inside--;
      })));
      assert.equal(maxInside, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
