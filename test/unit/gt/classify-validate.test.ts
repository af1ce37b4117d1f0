// Error classification from exit code + first stderr line, and argument validation.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyFailure, firstErrorLine, type FailedExit } from '../../../src/gt/classify.ts';
import { GtError } from '../../../src/gt/errors.ts';
import {
  validateAddress, validateBeadId, validateBeadIds, validateConvoyId, validatePolecatName, validateRigName, validateText,
} from '../../../src/gt/validate.ts';

function exit(stderr: string, exitCode: number | null = 1, extra: Partial<FailedExit> = {}): FailedExit {
  return { command: 'gt x', binName: 'gt', exitCode, signal: null, stdout: '', stderr, ...extra };
}

describe('classifyFailure', () => {
  const cases: readonly [string, string, GtError['kind'], boolean][] = [
    ['rig not found', "Error: rig 'nope' not found\nUsage:\n  gt ...", 'NotFound', false],
    ['polecat not found', "Error: polecat 'nux' not found in rig 'gastown'", 'NotFound', false],
    ['convoy not found (maybe a down db)', "Error: convoy 'hq-cv-abcde' not found", 'NotFound', true],
    // gt's getBeadInfo prints this for any bd failure, a down database too.
    ['sling unknown bead', "Error: checking bead status: bead 'gt-zz999' not found", 'NotFound', true],
    ['scheduled sling unknown bead', "Error: bead 'gt-zz999' not found", 'NotFound', true],
    ['closed bead', 'Error: bead gt-abc12 is closed (work already completed)', 'CLIError', false],
    ['hooked elsewhere', 'Error: bead gt-abc12 is already hooked to other/polecats/x', 'CLIError', false],
    ['parked rig', 'Error: cannot sling to parked rig "gastown"', 'CLIError', false],
    ['concurrent sling', 'Error: bead gt-abc12 is already being slung; retry in a moment', 'Transient', false],
    ['not in a town', 'Error: not in a Gas Town workspace: /tmp', 'Unavailable', false],
    ['database down', 'Error: failed to open database: dial tcp 127.0.0.1:3307: connect: connection refused', 'Unavailable', false],
  ];
  for (const [name, stderr, kind, possiblyTransient] of cases) {
    test(`${name} → ${kind}`, () => {
      const err = classifyFailure(exit(stderr));
      assert.equal(err.kind, kind, err.message);
      assert.equal(err.possiblyTransient, possiblyTransient);
      assert.equal(err.exitCode, 1);
      assert.equal(err.stderr, stderr.split('\n')[0]);
      assert.equal(err.command, 'gt x');
    });
  }

  test('crashes: Go panic exit 2, a signal, any exit code other than 1', () => {
    assert.equal(classifyFailure(exit('panic: runtime error: index out of range\n\ngoroutine 1 [running]:', 2)).kind, 'Unavailable');
    assert.equal(classifyFailure(exit('', null, { signal: 'SIGSEGV' })).kind, 'Unavailable');
    assert.match(classifyFailure(exit('', null, { signal: 'SIGSEGV' })).message, /signal SIGSEGV/);
    assert.equal(classifyFailure(exit('boom', 3)).kind, 'Unavailable');
  });

  test('warnings before the Error line are skipped', () => {
    assert.equal(firstErrorLine("warning: stale binary\nError: rig 'x' not found\n"), "Error: rig 'x' not found");
    assert.equal(firstErrorLine('just text\n'), 'just text');
    assert.equal(classifyFailure(exit('')).kind, 'CLIError');
  });
});

describe('argument validation', () => {
  const reject = (fn: () => void, reason: RegExp): void =>
    assert.throws(fn, (e: unknown) => e instanceof GtError && e.kind === 'InvalidArgument' && reason.test(e.message));

  test('bead ids: prefix (may hold "-") + alnum, optional .n children', () => {
    for (const ok of ['gt-abc12', 'hq-cv-abcde', 'bd-a1b2c.1', 'gt-abc12.1.2', 'my-rig2-x9']) validateBeadId('t', ok);
    reject(() => validateBeadId('t', '--force'), /would be read as a flag/);
    reject(() => validateBeadId('t', 'gt-abc 12'), /whitespace/);
    reject(() => validateBeadId('t', 'gt-abc12;rm'), /metacharacter/);
    reject(() => validateBeadId('t', "gt-'x"), /quote/);
    reject(() => validateBeadId('t', 'gt-$x'), /metacharacter/);
    reject(() => validateBeadId('t', 'GT-abc12'), /expected/);
    reject(() => validateBeadId('t', 'abc12'), /expected/);
    reject(() => validateBeadId('t', ''), /empty/);
    reject(() => validateBeadIds('t', []), /at least one/);
  });

  test('convoy ids are hq-cv- + 5 of [0-9a-z]', () => {
    validateConvoyId('t', 'hq-cv-0a1b2');
    reject(() => validateConvoyId('t', 'hq-cv-ABCDE'), /expected hq-cv-/);
    reject(() => validateConvoyId('t', 'hq-cv-abcdef'), /expected/);
    reject(() => validateConvoyId('t', 'gt-abc12'), /expected/);
  });

  test('rig and polecat names', () => {
    validateRigName('t', 'gastown');
    validatePolecatName('t', 'nux_2-b');
    reject(() => validateRigName('t', 'a/../b'), /path escape/);
    reject(() => validateRigName('t', 'a/b'), /expected/);
    reject(() => validatePolecatName('t', '-rf'), /flag/);
    reject(() => validatePolecatName('t', '..'), /path escape/);
  });

  test('addresses', () => {
    for (const ok of ['mayor/', 'overseer', 'gastown/witness', 'gastown/polecats/nux', 'gastown/nux']) validateAddress('t', ok);
    reject(() => validateAddress('t', 'gastown/polecats/../../etc'), /path escape/);
    reject(() => validateAddress('t', 'a/b/c/d'), /expected/);
  });

  test('free text: anything but NUL and a leading "-"', () => {
    validateText('t', 'body', 'Hello; $HOME "quoted" `tick`\nline 2 -- ok');
    reject(() => validateText('t', 'body', '--help'), /flag/);
    reject(() => validateText('t', 'body', 'a\0b'), /NUL/);
    reject(() => validateText('t', 'subject', 'two\nlines', { singleLine: true }), /single line/);
    reject(() => validateText('t', 'subject', '   '), /empty/);
  });
});
