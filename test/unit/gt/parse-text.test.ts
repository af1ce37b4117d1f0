// Text parsers: sling, convoy create/add/check/close, nuke refusals (output as gt prints it).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConvoyAdd, parseConvoyCheck, parseConvoyClose, parseConvoyCreate } from '../../../src/gt/parse/convoy-text.ts';
import { ContractViolation } from '../../../src/gt/parse/json.ts';
import { NUKE_BLOCKED_STDERR, parseNukeBlocked } from '../../../src/gt/parse/nuke.ts';
import { parseSling } from '../../../src/gt/parse/sling.ts';

describe('parseSling', () => {
  test('fresh polecat with a new convoy', () => {
    const out = [
      "Target is rig 'gastown', spawning fresh polecat...",
      'Created polecat: furiosa',
      '🎯 Slinging gt-abc12 to gastown/polecats/furiosa...',
      '→ Created convoy 🚚 hq-cv-x1y2z',
      '✓ Work attached to hook (status=hooked)',
    ].join('\n');
    assert.deepEqual(parseSling(out, 'gt-abc12', 'gastown'), {
      outcome: 'spawned', bead: 'gt-abc12', rig: 'gastown', polecatName: 'furiosa', convoyId: 'hq-cv-x1y2z', convoyCreated: true,
    });
  });

  test('reused idle polecat already tracked by a convoy', () => {
    const out = 'Reusing idle polecat: nux\n🎯 Slinging gt-abc12.1 to gastown/polecats/nux...\n○ Already tracked by convoy hq-cv-aaaaa\n✓ Work attached to hook (status=hooked)\n';
    assert.deepEqual(parseSling(out, 'gt-abc12.1', 'gastown'), {
      outcome: 'reused', bead: 'gt-abc12.1', rig: 'gastown', polecatName: 'nux', convoyId: 'hq-cv-aaaaa', convoyCreated: false,
    });
  });

  test('--no-convoy: no convoy id', () => {
    const r = parseSling('Created polecat: ace\n🎯 Slinging gt-abc12 to gastown/polecats/ace...\n', 'gt-abc12', 'gastown');
    assert.equal(r.outcome, 'spawned');
    assert.equal('convoyId' in r, false);
  });

  test('exit-0 idempotent no-op names the existing polecat', () => {
    const r = parseSling('○ Bead gt-abc12 is already hooked to gastown/polecats/nux, no-op\n', 'gt-abc12', 'gastown');
    assert.deepEqual(r, { outcome: 'already', bead: 'gt-abc12', rig: 'gastown', polecatName: 'nux', beadStatus: 'hooked' });
  });

  test('scheduler mode only queues', () => {
    const r = parseSling('✓ Scheduled gt-abc12 → gastown (context: hq-ctx01)\n', 'gt-abc12', 'gastown');
    assert.deepEqual(r, { outcome: 'scheduled', bead: 'gt-abc12', rig: 'gastown' });
  });

  test("scheduler mode's idempotent no-op reads as scheduled", () => {
    const r = parseSling('○ Bead gt-abc12 is already scheduled (context: hq-ctx01), no-op\n', 'gt-abc12', 'gastown');
    assert.deepEqual(r, { outcome: 'scheduled', bead: 'gt-abc12', rig: 'gastown' });
  });

  test('no recognisable outcome is a contract violation, not a success', () => {
    assert.throws(() => parseSling('Created polecat: ace\n', 'gt-abc12', 'gastown'), /no Slinging line/);
    assert.throws(() => parseSling('', 'gt-abc12', 'gastown'), ContractViolation);
  });
});

describe('convoy text commands', () => {
  test('create: id from `Created convoy 🚚 hq-cv-xxxxx`', () => {
    const out = '✓ Created convoy 🚚 hq-cv-0a1b2\n\n  Name:     Batch\n  Tracking: 2 issues\n';
    assert.deepEqual(parseConvoyCreate(out), { id: 'hq-cv-0a1b2' });
    assert.throws(() => parseConvoyCreate('Warning: could not create\n'), ContractViolation);
    assert.throws(() => parseConvoyCreate('✓ Created convoy 🚚 hq-cv-TOOLONG\n'), ContractViolation);
  });

  test('add: count and reopen', () => {
    const out = '↺ Reopened convoy hq-cv-0a1b2\n\n✓ Added 2 issue(s) to convoy 🚚 hq-cv-0a1b2\n  Issues: gt-a1, gt-b2\n';
    assert.deepEqual(parseConvoyAdd(out, 'hq-cv-0a1b2'), { id: 'hq-cv-0a1b2', added: 2, reopened: true });
    assert.deepEqual(parseConvoyAdd('✓ Added 0 issue(s) to convoy 🚚 hq-cv-0a1b2\n', 'hq-cv-0a1b2').added, 0);
  });

  test('check: single, all, none', () => {
    assert.deepEqual(parseConvoyCheck('✓ Auto-closed convoy 🚚 hq-cv-0a1b2: Work: A\n'), { closed: ['hq-cv-0a1b2'] });
    assert.deepEqual(parseConvoyCheck('✓ Auto-closed 2 convoy(s):\n  🚚 hq-cv-aaaaa: A\n  🚚 hq-cv-bbbbb: B\n'), { closed: ['hq-cv-aaaaa', 'hq-cv-bbbbb'] });
    assert.deepEqual(parseConvoyCheck('No convoys ready to close.\n'), { closed: [] });
    assert.deepEqual(parseConvoyCheck('○ Convoy hq-cv-0a1b2 has 1 open issue(s) remaining\n'), { closed: [] });
  });

  test('close: closed and already closed', () => {
    assert.deepEqual(parseConvoyClose('✓ Closed convoy 🚚 hq-cv-0a1b2: Work: A\n  Reason: done\n', 'hq-cv-0a1b2'), { id: 'hq-cv-0a1b2', outcome: 'closed' });
    assert.deepEqual(parseConvoyClose('○ Convoy hq-cv-0a1b2 is already closed\n', 'hq-cv-0a1b2'), { id: 'hq-cv-0a1b2', outcome: 'already-closed' });
    assert.throws(() => parseConvoyClose('', 'hq-cv-0a1b2'), ContractViolation);
  });
});

describe('nuke refusal', () => {
  test('reasons per polecat from stdout; options block ignored', () => {
    const stdout = [
      'Error: Cannot nuke the following polecats:', '',
      '  gastown/nux:', '    - has unpushed commits', '    - has work on hook (gt-abc12)',
      '  gastown/toast:', '    - cleanup status unknown', '',
      'Safety checks failed. Resolve issues before nuking, or use --force.',
      'Options:', '  1. Complete work: gt done (from polecat session)',
      '  4. Force nuke (LOSES WORK): gt polecat nuke --force gastown/nux gastown/toast', '',
    ].join('\n');
    assert.deepEqual(parseNukeBlocked(stdout), [
      { target: 'gastown/nux', reasons: ['has unpushed commits', 'has work on hook (gt-abc12)'] },
      { target: 'gastown/toast', reasons: ['cleanup status unknown'] },
    ]);
    assert.equal(NUKE_BLOCKED_STDERR.test('Error: blocked: 2 polecat(s) have active work\n'), true);
    assert.deepEqual(parseNukeBlocked('Nuked 1 polecat(s).\n'), []);
  });
});
