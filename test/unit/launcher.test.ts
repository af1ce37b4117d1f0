// The launcher (bin/gastown-operator) starts Node with the memory setting measured in
// bench/results/scale.md ("Memory: where the heap goes"): --optimize-for-size, under which V8
// gives back the heap pages a start-up burst grew instead of keeping them resident. Checked
// with a stand-in interpreter (GASTOWN_OPERATOR_NODE) that prints what it was started with.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const LAUNCHER = path.join(ROOT, 'bin', 'gastown-operator');
let dir = '';
let fakeNode = '';

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'launcher-'));
  fakeNode = path.join(dir, 'node');
  writeFileSync(fakeNode, '#!/bin/sh\nprintf "%s\\n" "$@"\n');
  chmodSync(fakeNode, 0o755);
});

after(() => rmSync(dir, { recursive: true, force: true }));

function launch(args: string[], env: Record<string, string> = {}): string[] {
  const { GASTOWN_OPERATOR_NODE_ARGS: _ignored, ...inherited } = process.env;
  const out = execFileSync(LAUNCHER, args, { env: { ...inherited, GASTOWN_OPERATOR_NODE: fakeNode, ...env }, encoding: 'utf8' });
  return out.split('\n').slice(0, -1);
}

test('the launcher runs Node with --optimize-for-size, then the entry point and the arguments unchanged', () => {
  assert.deepEqual(launch(['run', '--town-root', '/a b']), ['--optimize-for-size', path.join(ROOT, 'src', 'main.ts'), 'run', '--town-root', '/a b']);
});

test('GASTOWN_OPERATOR_NODE_ARGS adds Node arguments after the launcher\'s own', () => {
  assert.deepEqual(launch(['inspect'], { GASTOWN_OPERATOR_NODE_ARGS: '--cpu-prof --cpu-prof-dir=/tmp/p' }),
    ['--optimize-for-size', '--cpu-prof', '--cpu-prof-dir=/tmp/p', path.join(ROOT, 'src', 'main.ts'), 'inspect']);
});
