// The runner against tiny fake executables: environment, timeout (whole process group),
// output cap, missing binaries, crashes, cancellation, the concurrency limit, the breaker
// and the call observer.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CallEvent } from '../../../src/gt/config.ts';
import { GtError } from '../../../src/gt/errors.ts';
import { GtRunner, requireSuccess, type CompletedCall } from '../../../src/gt/runner.ts';
import { eventually } from '../../helpers/eventually.ts';
import { isAlive, makeFakeDir } from './fake-bin.ts';

const fake = makeFakeDir();
after(() => fake.cleanup());

const stdoutOf = (call: CompletedCall): string => call.stdout;
const ok = (call: CompletedCall, inv: Parameters<typeof requireSuccess>[1]): string => {
  requireSuccess(call, inv);
  return call.stdout;
};

function runner(gtPath: string, extra: ConstructorParameters<typeof GtRunner>[0] = {}): GtRunner {
  return new GtRunner({ gtPath, bdPath: gtPath, townRoot: fake.dir, env: { PATH: process.env.PATH }, ...extra });
}

async function rejectsWith(p: Promise<unknown>, kind: GtError['kind'], message?: RegExp): Promise<GtError> {
  const err = await p.then(() => assert.fail('expected a rejection'), (e: unknown) => e);
  assert.ok(err instanceof GtError, `expected GtError, got ${String(err)}`);
  assert.equal(err.kind, kind, err.message);
  if (message) assert.match(err.message, message);
  return err;
}

describe('GtRunner environment', () => {
  test('cwd and GT_TOWN_ROOT are the town root, NO_COLOR=1, output-changing vars stripped', async () => {
    const gt = fake.script('env-gt', 'echo "cwd=$(pwd)|root=$GT_TOWN_ROOT|nc=$NO_COLOR|env=${BD_JSON_ENVELOPE-unset}|agent=${BD_AGENT_MODE-unset}|cc=${CLAUDE_CODE-unset}|keep=$KEEP_ME|args=$*"');
    const r = new GtRunner({
      gtPath: gt, townRoot: fake.dir,
      env: { PATH: process.env.PATH, BD_JSON_ENVELOPE: '1', BD_AGENT_MODE: '1', CLAUDE_CODE: '1', KEEP_ME: 'yes', NO_COLOR: '0' },
    });
    const out = await r.run({ bin: 'gt', args: ['a b', '$HOME', ';ls'], label: 'gt env' }, stdoutOf);
    assert.equal(out.trim(), `cwd=${fake.dir}|root=${fake.dir}|nc=1|env=unset|agent=unset|cc=unset|keep=yes|args=a b $HOME ;ls`);
  });
});

describe('GtRunner failures', () => {
  test('a hung call is killed with its whole process group within timeout + 1 s', async () => {
    const gt = fake.script('hang-gt', `sleep 60 & echo $! > "${fake.file('grandchild.pid')}"; sleep 60`);
    const started = Date.now();
    await rejectsWith(runner(gt, { timeoutMs: 300 }).run({ bin: 'gt', args: [], label: 'gt hang' }, ok), 'Transient', /timed out after 300 ms/);
    assert.ok(Date.now() - started < 1_300, `took ${Date.now() - started} ms`);
    const pid = Number(fake.read('grandchild.pid'));
    assert.ok(await eventually(`grandchild ${pid} to be gone`, () => !isAlive(pid), 2_000));
  });

  test('output beyond the cap kills the process with a clear ParseError', async () => {
    const gt = fake.script('flood-gt', 'while :; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done');
    await rejectsWith(runner(gt, { maxOutputBytes: 10_000 }).run({ bin: 'gt', args: [], label: 'gt flood' }, ok),
      'ParseError', /more than 10000 bytes; the process was killed/);
  });

  test('a missing binary is Unavailable and names GT_PATH / BD_PATH', async () => {
    const r = runner(fake.file('does-not-exist'));
    const gtErr = await rejectsWith(r.run({ bin: 'gt', args: [], label: 'gt x' }, ok), 'Unavailable', /set GT_PATH/);
    await rejectsWith(r.run({ bin: 'bd', args: [], label: 'bd x' }, ok), 'Unavailable', /set BD_PATH/);
    assert.equal(gtErr.started, false, 'nothing ran: the call provably had no effect');
  });

  test('a missing town root is Unavailable and names GT_TOWN_ROOT', async () => {
    const r = new GtRunner({ gtPath: fake.script('true-gt', 'true'), townRoot: fake.file('no-town') });
    await rejectsWith(r.run({ bin: 'gt', args: [], label: 'gt x' }, ok), 'Unavailable', /GT_TOWN_ROOT/);
  });

  test('a Go panic (exit 2) is Unavailable with the panic line', async () => {
    const gt = fake.script('panic-gt', "echo 'panic: runtime error: invalid memory address or nil pointer dereference' >&2; echo 'goroutine 1 [running]:' >&2; exit 2");
    const err = await rejectsWith(runner(gt).run({ bin: 'gt', args: [], label: 'gt x' }, ok), 'Unavailable', /crashed \(exit 2\)/);
    assert.equal(err.exitCode, 2);
    assert.match(err.stderr, /^panic: runtime error/);
    assert.equal(err.started, true, 'a crash may come after gt acted');
  });

  test('cancellation kills the process and rejects Transient', async () => {
    const gt = fake.script('slow-gt', 'sleep 60');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await rejectsWith(runner(gt).run({ bin: 'gt', args: [], label: 'gt slow', signal: ac.signal }, ok), 'Transient', /cancelled/);
  });

  test('an interpreter crash is a ParseError, never a raw error', async () => {
    const gt = fake.script('ok-gt', 'echo hi');
    await rejectsWith(runner(gt).run({ bin: 'gt', args: [], label: 'gt x' }, () => { throw new TypeError('boom'); }), 'ParseError', /boom/);
  });
});

describe('GtRunner concurrency limit', () => {
  async function maxInFlight(concurrency: number, calls: number): Promise<number> {
    const log = fake.file(`inflight-${concurrency}.log`);
    const gt = fake.script(`conc-${concurrency}-gt`, `echo + >> "${log}"; sleep 0.4; echo - >> "${log}"`);
    const r = runner(gt, { concurrency });
    let observedActive = 0;
    await Promise.all(Array.from({ length: calls }, () =>
      r.run({ bin: 'gt', args: [], label: 'gt conc' }, () => { observedActive = Math.max(observedActive, r.load().active); })));
    assert.ok(observedActive <= concurrency);
    let now = 0;
    let max = 0;
    for (const mark of fake.read(`inflight-${concurrency}.log`).split('\n')) {
      if (mark === '+') max = Math.max(max, ++now);
      if (mark === '-') now -= 1;
    }
    return max;
  }

  test('never more than N processes at once, shared by all callers', async () => {
    assert.ok((await maxInFlight(2, 6)) <= 2);
  });

  test('control: without the limit the same calls do overlap (the check can fail)', async () => {
    assert.ok((await maxInFlight(6, 6)) > 2);
  });
});

describe('GtRunner circuit breaker', () => {
  test('counted failures open it; open refuses without spawning; probe success closes it', async () => {
    let t = 0;
    const mode = fake.file('breaker-mode');
    const calls = fake.file('breaker-calls');
    const gt = fake.script('breaker-gt', `echo x >> "${calls}"; if [ -f "${mode}" ]; then echo ok; exit 0; fi; echo 'panic: boom' >&2; exit 2`);
    const r = runner(gt, { breakerFailureThreshold: 3, breakerHalfOpenAfterMs: 30_000, now: () => t });
    const call = (): Promise<string> => r.run({ bin: 'gt', args: [], label: 'gt b' }, ok);
    for (let i = 0; i < 3; i++) await rejectsWith(call(), 'Unavailable');
    assert.equal(r.breakerState(), 'open');
    const refused = await rejectsWith(call(), 'Transient', /circuit breaker is open/);
    assert.equal(refused.started, false);
    assert.equal(fake.read('breaker-calls').trim().split('\n').length, 3, 'an open breaker spawns nothing');
    t += 30_000;
    assert.equal(r.breakerState(), 'half-open');
    fake.script('breaker-mode', '');
    assert.equal(await call(), 'ok\n');
    assert.equal(r.breakerState(), 'closed');
  });

  test('NotFound and ordinary refusals do not count', async () => {
    const gt = fake.script('nf-gt', `echo "Error: polecat 'x' not found in rig 'r'" >&2; exit 1`);
    const r = runner(gt, { breakerFailureThreshold: 2 });
    for (let i = 0; i < 4; i++) await rejectsWith(r.run({ bin: 'gt', args: [], label: 'gt p' }, ok), 'NotFound');
    assert.equal(r.breakerState(), 'closed');
  });

  test('timeouts count', async () => {
    const gt = fake.script('to-gt', 'sleep 60');
    const r = runner(gt, { breakerFailureThreshold: 2, timeoutMs: 150 });
    for (let i = 0; i < 2; i++) await rejectsWith(r.run({ bin: 'gt', args: [], label: 'gt t' }, ok), 'Transient');
    assert.equal(r.breakerState(), 'open');
  });
});

describe('GtRunner observer', () => {
  test('reports every call once with its label and error kind; a throwing observer is ignored', async () => {
    const events: CallEvent[] = [];
    const gt = fake.script('obs-gt', 'if [ "$1" = bad ]; then echo "Error: rig \'x\' not found" >&2; exit 1; fi; echo ok');
    const r = runner(gt, { onCall: (e) => { events.push(e); throw new Error('observer bug'); } });
    await r.run({ bin: 'gt', args: ['good'], label: 'gt rig list' }, ok);
    await rejectsWith(r.run({ bin: 'gt', args: ['bad'], label: 'gt witness status' }, ok), 'NotFound');
    assert.equal(events.length, 2);
    assert.deepEqual({ ...events[0], durationMs: 0 }, { command: 'gt rig list', durationMs: 0, result: 'success' });
    assert.deepEqual({ ...events[1], durationMs: 0 }, { command: 'gt witness status', durationMs: 0, result: 'error', errorKind: 'NotFound' });
    assert.ok(events[0]!.durationMs > 0);
  });
});
