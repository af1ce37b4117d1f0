// The whole sandbox path in the simulator, with real processes: a rig whose exec_wrapper puts
// the polecat's proxy credentials and the test image (sim/image/bin: gt/bd = proxy client) in
// front of the scripted agent; `gt sling` starts it, it clones through the gt proxy, pushes its
// polecat branch (main is refused), echoes a `gt nudge`, runs `gt done` through the proxy (the
// proxy names the polecat from its certificate) and exits 0.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { readEvents } from '../../../sim/src/events.ts';
import { nextPolecatName } from '../../../sim/src/ids.ts';
import { startProxy } from '../../../sim/src/proxy/server.ts';
import type { RunningProxy } from '../../../sim/src/proxy/server.ts';
import { readRecord } from '../../../sim/src/session/record.ts';
import { endSession } from '../../../sim/src/session/sessions.ts';
import { readState } from '../../../sim/src/store.ts';
import { createTown } from '../../../sim/src/town.ts';
import { eventually } from '../../helpers/eventually.ts';
import { SIM_BIN, gt } from './harness.ts';

const IMAGE_BIN = resolve(import.meta.dirname, '../../../sim/image/bin');
let dir: string;
let town: string;
let proxy: RunningProxy;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gt-agent-'));
  town = join(dir, 'town');
  await createTown(town, { seed: 5, rigs: [{ name: 'gastown', prefix: 'gt' }], polecatsPerRig: 0, beadsPerRig: 2 });
  proxy = await startProxy({ townRoot: town, host: '127.0.0.1', port: 0, adminPort: 0, extraEnv: { GT_SIM_NODE: process.execPath } });
});
after(async () => {
  await endSession(town, `gt-${nextPolecatName(new Set())}`, 'now', 5000);
  await proxy.close();
  rmSync(dir, { recursive: true, force: true });
});

test('scripted agent in a wrapped session: clone, push its branch, nudge, gt done, all through the proxy', async () => {
  const name = nextPolecatName(new Set());
  const res = await fetch(`${proxy.adminUrl ?? ''}/v1/admin/issue-cert`, { method: 'POST', body: JSON.stringify({ rig: 'gastown', name, ttl: '1h' }) });
  const creds = (await res.json()) as { cert: string; key: string; ca: string };
  const secrets = join(dir, 'secret');
  mkdirSync(secrets, { mode: 0o700 });
  writeFileSync(join(secrets, 'tls.crt'), creds.cert);
  writeFileSync(join(secrets, 'tls.key'), creds.key, { mode: 0o600 });
  writeFileSync(join(secrets, 'ca.crt'), creds.ca);
  const workdir = join(dir, 'workspace');
  // The wrapper plays the sandbox: proxy credentials in, the image's gt/bd first on the PATH.
  const wrapper = ['env', `GT_PROXY_URL=${proxy.url}`, `GT_PROXY_CERT=${join(secrets, 'tls.crt')}`, `GT_PROXY_KEY=${join(secrets, 'tls.key')}`,
    `GT_PROXY_CA=${join(secrets, 'ca.crt')}`, `PATH=${IMAGE_BIN}:${process.env['PATH'] ?? ''}`, `HOME=${dir}`, 'GT_REAL_BIN=/bin/false'];
  mkdirSync(join(town, 'gastown', 'settings'));
  writeFileSync(join(town, 'gastown', 'settings', 'config.json'), JSON.stringify({ runtime: { exec_wrapper: wrapper, args: ['--wait-nudge', '--push-main', '--workdir', workdir] } }));

  const bead = Object.values(readState(town).beads).find((b) => b.issueType === 'task' && b.status === 'open');
  assert.ok(bead);
  const sling = await gt(town, ['sling', bead.id, 'gastown'], { env: { PATH: `${SIM_BIN}:${process.env['PATH'] ?? ''}` } });
  assert.equal(sling.code, 0, sling.stderr);
  const peek = async (): Promise<string> => (await gt(town, ['peek', `gastown/${name}`])).stdout;
  const log = join(town, '.runtime', 'sessions', `gt-${name}.log`);
  await eventually('the agent waiting for a nudge', () => (readFileSync(log, 'utf8').includes('waiting for a nudge') ? true : undefined), 60_000);
  const before = await peek();
  assert.match(before, new RegExp(`sim-agent: cloning ${proxy.url}/v1/git/gastown\\n`));
  assert.match(before, new RegExp(`sim-agent: pushed polecat/${name}-[a-z0-9]+\\n`));
  assert.match(before, /sim-agent: push to main refused\n/);

  assert.equal((await gt(town, ['nudge', `gastown/${name}`, 'please finish'])).code, 0);
  await eventually('gt done through the proxy', () => (readEvents(town).some((e) => e.type === 'done' && e.actor === `gastown/polecats/${name}`) ? true : undefined), 60_000);
  await eventually('the session ended', () => (readRecord(town, `gt-${name}`) === undefined ? true : undefined), 30_000);
  const after = readFileSync(log, 'utf8');
  assert.match(after, /sim-agent: nudge: please finish\n/);
  assert.match(after, new RegExp(`sim-agent: gt done exited 0: ✓ Work complete: ${bead.id}\\n`));
  assert.equal(readState(town).beads[bead.id]?.status, 'closed');
  assert.equal(readEvents(town).filter((e) => e.type === 'session_death').length, 0, 'gt done ends the session: no death');
  const refs = execFileSync('git', ['for-each-ref', '--format=%(refname)'], { cwd: join(town, 'gastown', '.repo.git') }).toString().trim().split('\n');
  assert.equal(refs.length, 2);
  assert.equal(refs[0], 'refs/heads/main');
  assert.match(refs[1] ?? '', new RegExp(`^refs/heads/polecat/${name}-`));
});
