// `gastown-operator run` refusing to start, as a user sees it: one clear line and a non-zero
// exit, before anything is started (no API server, no town created). And `run` on a KUBECONFIG
// whose API server does not answer: it keeps running on it, and one warning says which setting
// chose that server and how to get the embedded one instead.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually } from '../../helpers/eventually.ts';
import { writeKubeconfig } from '../../helpers/kubeconfig-file.ts';
import { freePort, spawnLogged } from '../../helpers/process.ts';

const MAIN = path.resolve(import.meta.dirname, '../../../src/main.ts');

function run(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, 'run', ...args], { env: { PATH: '/usr/bin:/bin', ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
    });
  });
}

describe('gastown-operator run: refusals', () => {
  let home: string;
  before(async () => { home = await mkdtemp(path.join(tmpdir(), 'run-cli-')); });
  after(async () => { await rm(home, { recursive: true, force: true }); });

  test('no gt and --no-simulator: exit 1 naming GT_PATH, nothing started', async () => {
    const out = await run(['--no-simulator', '--data-dir', path.join(home, 'data')], { HOME: home });
    assert.equal(out.code, 1);
    assert.match(out.stderr, /^gastown-operator run: gt was not found on PATH: .*GT_PATH/m);
    assert.equal(existsSync(path.join(home, 'data')), false, 'no data directory, no embedded API server');
  });

  test('a named gt that does not exist is an error, never a silent fallback to the simulator', async () => {
    const out = await run(['--gt-path', '/nonexistent/gt', '--data-dir', path.join(home, 'data')], { HOME: home });
    assert.equal(out.code, 1);
    assert.match(out.stderr, /gt binary "\/nonexistent\/gt" .* was not found or is not executable/);
    assert.doesNotMatch(out.stderr, /SIMULATED TOWN/);
  });

  test('the simulator refuses a directory holding a real town', async () => {
    const town = path.join(home, 'real-town');
    await mkdir(path.join(town, 'mayor'), { recursive: true });
    await writeFile(path.join(town, 'mayor', 'town.json'), '{"type":"town"}');
    const out = await run(['--simulate', '--town-root', town, '--data-dir', path.join(home, 'data')], { HOME: home });
    assert.equal(out.code, 1);
    assert.match(out.stderr, /holds a real Gas Town; the simulator will not use it/);
    assert.equal(existsSync(path.join(town, '.sim')), false, 'nothing written into the real town');
  });

  test('bad flag values are refused by the parser with the flag named', async () => {
    const bad = await run(['--sync-interval', 'soon'], { HOME: home });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--sync-interval.*"soon" is not a duration/);
    const level = await run(['--log-level', 'loud'], { HOME: home });
    assert.notEqual(level.code, 0);
    assert.match(level.stderr, /--log-level.*loud/);
  });
});

describe('gastown-operator run: a KUBECONFIG naming an API server that does not answer', () => {
  let home: string;
  before(async () => { home = await mkdtemp(path.join(tmpdir(), 'run-cli-kc-')); });
  after(async () => { await rm(home, { recursive: true, force: true }); });

  test('it runs on that server (the documented order) and warns once, naming KUBECONFIG and --embedded', async () => {
    const server = `https://127.0.0.1:${await freePort()}`;
    const kubeconfig = path.join(home, 'stale-kubeconfig');
    writeKubeconfig(kubeconfig, server);
    const dataDir = path.join(home, 'data');
    const op = spawnLogged(process.execPath, [MAIN, 'run', '--simulate', '--data-dir', dataDir, '--metrics-addr', '0', '--health-addr', '0', '--log-format', 'json'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: kubeconfig },
    });
    try {
      const warning = await eventually('the warning', () => {
        // The log is on stdout, the banner on stderr.
        const line = op.stdout().split('\n').find((l) => l.includes('does not answer'));
        return line === undefined ? undefined : (JSON.parse(line) as { level: number; msg: string });
      }, 30_000);
      assert.equal(warning.level, 40);
      assert.match(warning.msg, new RegExp(`^API server ${server} does not answer \\(.*ECONNREFUSED.*\\); the operator keeps retrying it\\. KUBECONFIG=${kubeconfig} names it: unset KUBECONFIG, or pass --embedded`));
      assert.match(op.stderr(), new RegExp(`API server: ${server} \\(kubeconfig ${kubeconfig}\\)`), 'the banner names it too');
      assert.equal(existsSync(path.join(dataDir, 'apiserver')), false, 'no embedded API server started behind the user\'s back');
      assert.equal(op.stdout().split('\n').filter((l) => l.includes('does not answer')).length, 1, 'once');
      op.child.kill('SIGTERM');
      assert.equal(await op.exited, 0);
    } finally {
      await op.kill();
    }
  });
});
