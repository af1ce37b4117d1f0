// The client over a scripted fake gt/bd: argv per command, non-zero replies read per the
// contract, and invalid arguments that never reach a process.
import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { GtError, createGtClient, type GtClient } from '../../../src/gt/index.ts';
import { makeFakeDir } from './fake-bin.ts';

const fake = makeFakeDir();
after(() => fake.cleanup());

// Logs its argv (one line per call, args joined by \x1f) and replies with the canned
// stdout/stderr/exit code of the current test.
const fakeBin = fake.script('fake-cli', `
printf '%s' "$(basename "$0")" >> "${fake.file('calls')}"
for a in "$@"; do printf '\\037%s' "$a" >> "${fake.file('calls')}"; done
echo >> "${fake.file('calls')}"
cat "${fake.file('stdout')}"; cat "${fake.file('stderr')}" >&2; exit "$(cat "${fake.file('code')}")"`);
fake.script('gt', `exec "${fakeBin}" "$@"`);
fake.script('bd', `exec "${fakeBin}" "$@"`);

function reply(stdout: string, stderr = '', code = 0): void {
  writeFileSync(fake.file('stdout'), stdout);
  writeFileSync(fake.file('stderr'), stderr);
  writeFileSync(fake.file('code'), String(code));
}

function calls(): string[][] {
  if (!fake.exists('calls')) return [];
  return fake.read('calls').split('\n').filter((l) => l !== '').map((l) => l.split('\x1f'));
}

const client: GtClient = createGtClient({ gtPath: fake.file('gt'), bdPath: fake.file('bd'), townRoot: fake.dir, env: { PATH: process.env.PATH } });

async function rejection(p: Promise<unknown>): Promise<GtError> {
  const err = await p.then(() => assert.fail('expected a rejection'), (e: unknown) => e);
  assert.ok(err instanceof GtError, String(err));
  return err;
}

beforeEach(() => {
  writeFileSync(fake.file('calls'), '');
  reply('');
});

describe('argv per command', () => {
  test('reads', async () => {
    reply('[]');
    await client.polecatList('gastown');
    await client.polecatListAll();
    await client.convoyList({ all: true });
    reply('No rigs configured.\n');
    await client.rigList();
    assert.deepEqual(calls(), [
      ['fake-cli', 'polecat', 'list', 'gastown', '--json'],
      ['fake-cli', 'polecat', 'list', '--all', '--json'],
      ['fake-cli', 'convoy', 'list', '--json', '--all'],
      ['fake-cli', 'rig', 'list', '--json'],
    ]);
  });

  test('sling with options; the real polecat name comes back', async () => {
    reply('Created polecat: furiosa\n🎯 Slinging gt-abc12 to gastown/polecats/furiosa...\n✓ Work attached to hook (status=hooked)\n');
    const r = await client.sling('gt-abc12', 'gastown', { noConvoy: true, force: true, message: 'fix it; $NOW' });
    assert.ok(r.outcome === 'spawned');
    assert.equal(r.polecatName, 'furiosa');
    assert.deepEqual(calls()[0], ['fake-cli', 'sling', 'gt-abc12', 'gastown', '--no-convoy', '--force', '-m', 'fix it; $NOW']);
  });

  test('convoy create: --notify takes its value with "=" (bare --notify means mayor/)', async () => {
    reply('✓ Created convoy 🚚 hq-cv-0a1b2\n');
    assert.deepEqual(await client.convoyCreate('Batch 1', ['gt-a1', 'gt-b2'], { notify: 'gastown/witness', owner: 'mayor/' }), { id: 'hq-cv-0a1b2' });
    await client.convoyCreate('Batch 2', ['gt-a1'], { notify: true });
    assert.deepEqual(calls(), [
      ['fake-cli', 'convoy', 'create', 'Batch 1', 'gt-a1', 'gt-b2', '--notify=gastown/witness', '--owner=mayor/'],
      ['fake-cli', 'convoy', 'create', 'Batch 2', 'gt-a1', '--notify'],
    ]);
  });

  test('mail send and nuke --force', async () => {
    await client.mailSend('mayor/', 'Done', 'All beads closed; bye $USER');
    await client.polecatNuke('gastown', 'nux', { force: true });
    assert.deepEqual(calls(), [
      ['fake-cli', 'mail', 'send', 'mayor/', '-s', 'Done', '-m', 'All beads closed; bye $USER'],
      ['fake-cli', 'polecat', 'nuke', 'gastown/nux', '--force'],
    ]);
  });
});

describe('bd show', () => {
  test('one bd call for many ids (deduplicated); missing ids reported', async () => {
    reply(JSON.stringify([{ id: 'gt-a1', title: 'A', status: 'closed' }]), 'Error: no issue found matching gt-b2\n');
    const r = await client.beadShow(['gt-a1', 'gt-b2', 'gt-a1']);
    assert.deepEqual(r.found.map((b) => b.id), ['gt-a1']);
    assert.deepEqual(r.missing, ['gt-b2']);
    assert.deepEqual(calls(), [['fake-cli', 'show', 'gt-a1', 'gt-b2', '--json']]);
  });

  test('"no issues found" with exit 1 means all missing, not an error', async () => {
    reply('{\n  "error": "no issues found matching the provided IDs",\n  "schema_version": 1\n}\n', '', 1);
    assert.deepEqual(await client.beadShow(['gt-a1', 'gt-b2']), { found: [], missing: ['gt-a1', 'gt-b2'] });
  });

  test('another exit-1 reply is an error; no ids means no call', async () => {
    reply('', 'Error: failed to connect to dolt server: connection refused\n', 1);
    assert.equal((await rejection(client.beadShow(['gt-a1']))).kind, 'Unavailable');
    writeFileSync(fake.file('calls'), '');
    assert.deepEqual(await client.beadShow([]), { found: [], missing: [] });
    assert.deepEqual(calls(), []);
  });
});

describe('non-zero replies', () => {
  test('a refused nuke is a CLIError with the structured reasons', async () => {
    reply('Error: Cannot nuke the following polecats:\n\n  gastown/nux:\n    - has uncommitted changes\n\nSafety checks failed.\n',
      'Error: blocked: 1 polecat(s) have active work\n', 1);
    const err = await rejection(client.polecatNuke('gastown', 'nux'));
    assert.equal(err.kind, 'CLIError');
    assert.deepEqual(err.blocked, [{ target: 'gastown/nux', reasons: ['has uncommitted changes'] }]);
    assert.match(err.message, /gastown\/nux: has uncommitted changes/);
  });

  test('convoy not found is NotFound but possibly transient', async () => {
    reply('', "Error: convoy 'hq-cv-0a1b2' not found\n", 1);
    const err = await rejection(client.convoyStatus('hq-cv-0a1b2'));
    assert.equal(err.kind, 'NotFound');
    assert.equal(err.possiblyTransient, true);
  });

  test('sling refusals: closed bead is a CLIError, a concurrent sling is Transient', async () => {
    reply('', 'Error: bead gt-abc12 is closed (work already completed)\n', 1);
    assert.equal((await rejection(client.sling('gt-abc12', 'gastown'))).kind, 'CLIError');
    reply('', 'Error: bead gt-abc12 is already being slung; retry shortly\n', 1);
    assert.equal((await rejection(client.sling('gt-abc12', 'gastown'))).kind, 'Transient');
  });

  test('a polecat list that skipped a rig (exit 0 + warning) is an error, not a shorter list', async () => {
    reply('[]\n', 'warning: failed to list polecats in gastown: failed to open database: dial tcp 127.0.0.1:3307: connect: connection refused\n');
    const down = await rejection(client.polecatListAll());
    assert.equal(down.kind, 'Unavailable');
    assert.match(down.message, /refusing to return a partial list/);
    reply('[]\n', 'warning: failed to list polecats in gastown: permission denied\n');
    assert.equal((await rejection(client.polecatList('gastown'))).kind, 'CLIError');
  });

  test('garbage is a ParseError with an excerpt', async () => {
    reply('{"rig": "gastown", "name": ');
    const err = await rejection(client.polecatStatus('gastown', 'nux'));
    assert.equal(err.kind, 'ParseError');
    assert.equal(err.command, 'gt polecat status');
    assert.match(err.excerpt, /"rig": "gastown"/);
  });
});

describe('invalid arguments never reach a process', () => {
  const bad: readonly [string, () => Promise<unknown>][] = [
    ['bead flag', () => client.sling('--force', 'gastown')],
    ['rig with space', () => client.polecatList('gas town')],
    ['polecat path escape', () => client.polecatStatus('gastown', '../x')],
    ['rig with $', () => client.witnessStatus('$(reboot)')],
    ['convoy id', () => client.convoyStatus('hq-cv-;ls')],
    ['convoy bead', () => client.convoyAdd('hq-cv-0a1b2', ['gt-a1', '-x'])],
    ['convoy name flag', () => client.convoyCreate('--owner=x', ['gt-a1'])],
    ['notify address', () => client.convoyCreate('ok', ['gt-a1'], { notify: 'a b' })],
    ['bead list quote', () => client.beadShow(['gt-a1', 'gt-"b'])],
    ['mail body NUL', () => client.mailSend('mayor/', 's', 'a\0b')],
    ['mail subject flag', () => client.mailSend('mayor/', '-s', 'b')],
    ['sling message flag', () => client.sling('gt-abc12', 'gastown', { message: '--force' })],
    ['hook target', () => client.hookStatus('gastown/polecats/x y')],
    ['nuke', () => client.polecatNuke('gastown', '-rf')],
  ];
  for (const [name, call] of bad) {
    test(name, async () => {
      const err = await rejection(call());
      assert.equal(err.kind, 'InvalidArgument');
      assert.deepEqual(calls(), [], 'nothing was spawned');
    });
  }

  test('the breaker does not see them', () => {
    assert.equal(client.breakerState(), 'closed');
  });
});

describe('gt mq list --status', () => {
  test('no status: gt default (open only); a status is passed as gt spells the flag', async () => {
    reply('null\n');
    assert.deepEqual(await client.mqList('gastown'), []);
    assert.deepEqual(await client.mqList('gastown', { status: 'closed' }), []);
    assert.deepEqual(calls(), [
      ['fake-cli', 'mq', 'list', 'gastown', '--json'],
      ['fake-cli', 'mq', 'list', 'gastown', '--json', '--status', 'closed'],
    ]);
  });

  test('an unknown status never reaches a process', async () => {
    const err = await rejection(client.mqList('gastown', { status: '--all' as 'all' }));
    assert.equal(err.kind, 'InvalidArgument');
    assert.match(err.message, /invalid status "--all": expected one of open, in_progress, closed, all/);
    assert.deepEqual(calls(), []);
  });
});

describe('whole-town reads: one parse per distinct output (parse/same-output.ts)', () => {
  const rigs = (state: string): string => JSON.stringify([{ name: 'gastown', beads_prefix: 'gt', status: state, witness: 'running', refinery: 'running', polecats: 1, crew: 0 }]);
  const polecats = (state: string): string => JSON.stringify([
    { rig: 'gastown', name: 'nux', state, issue: 'gt-abc12', session_running: true },
    { rig: 'gastown', name: 'toast', state: 'idle', session_running: false },
  ]);

  test('the same output again: gt is still called, the parsed items are the ones handed out before', async () => {
    reply(polecats('working'));
    const first = await client.polecatListAll();
    const second = await client.polecatListAll();
    assert.equal(calls().length, 2, 'every read still runs gt');
    assert.deepEqual(second, first);
    assert.equal(second[0], first[0], 'the same item objects: nothing was parsed again');
    assert.notEqual(second, first, 'but a fresh array: a caller changing its array changes no one else\'s');
    first.pop();
    assert.equal((await client.polecatListAll()).length, 2);
  });

  test('a changed output is parsed again; a failed parse keeps nothing', async () => {
    reply(rigs('operational'));
    const before = await client.rigList();
    reply(rigs('parked'));
    const parked = await client.rigList();
    assert.deepEqual(parked[0]!.status, { kind: 'parked', raw: 'parked' });
    assert.deepEqual(before[0]!.status, { kind: 'operational', raw: 'operational' }, 'what was handed out is never changed');
    reply('{"not": "a rig list"');
    await rejection(client.rigList());
    reply(rigs('parked'));
    assert.deepEqual((await client.rigList())[0]!.status, { kind: 'parked', raw: 'parked' });
  });

  test('the stderr check still runs on an output seen before', async () => {
    reply(polecats('working'));
    await client.polecatListAll();
    reply(polecats('working'), 'warning: failed to list polecats in broken: failed to open database: dial tcp 127.0.0.1:3307: connect: connection refused\n');
    assert.match((await rejection(client.polecatListAll())).message, /refusing to return a partial list/);
  });
});
