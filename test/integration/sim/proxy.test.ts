// The simulated gt proxy through real TLS connections and real processes: mTLS with the town
// CA, the admin API (issue/deny), /v1/exec allowlists, identity, 429/503 and the body cap, the
// proxy client script as `gt`, and git smart-HTTP with the polecat/<name>-* push rule.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadOrCreateCa, issuePolecat } from '../../../sim/src/proxy/ca.ts';
import { startProxy } from '../../../sim/src/proxy/server.ts';
import type { RunningProxy } from '../../../sim/src/proxy/server.ts';
import { createTown } from '../../../sim/src/town.ts';

const IMAGE_BIN = resolve(import.meta.dirname, '../../../sim/image/bin');

interface Creds {
  cn: string;
  cert: string;
  key: string;
  ca: string;
  serial: string;
  expires_at: string;
}

interface Reply {
  status: number;
  body: string;
}

async function admin(proxy: RunningProxy, path: string, body: unknown): Promise<Reply> {
  const res = await fetch(`${proxy.adminUrl ?? ''}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, body: await res.text() };
}

async function issue(proxy: RunningProxy, rig: string, name: string): Promise<Creds> {
  const r = await admin(proxy, '/v1/admin/issue-cert', { rig, name, ttl: '1h' });
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body) as Creds;
}

function call(proxy: RunningProxy, creds: Pick<Creds, 'cert' | 'key' | 'ca'> | undefined, path: string, body: string | Buffer): Promise<Reply> {
  return new Promise((done, fail) => {
    const req = request(new URL(path, proxy.url), {
      method: 'POST', agent: false, ca: creds?.ca ?? readFileSync(proxy.caCertPath), ...(creds !== undefined ? { cert: creds.cert, key: creds.key } : {}),
    }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => done({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', fail);
    req.end(body);
  });
}

const exec = (proxy: RunningProxy, creds: Creds | undefined, argv: unknown): Promise<Reply> => call(proxy, creds, '/v1/exec', JSON.stringify({ argv }));

function writeCreds(dir: string, creds: Creds): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tls.crt'), creds.cert);
  writeFileSync(join(dir, 'tls.key'), creds.key, { mode: 0o600 });
  writeFileSync(join(dir, 'ca.crt'), creds.ca);
  return { GT_PROXY_CERT: join(dir, 'tls.crt'), GT_PROXY_KEY: join(dir, 'tls.key'), GT_PROXY_CA: join(dir, 'ca.crt') };
}

function run(cmd: string, args: readonly string[], env: Record<string, string>, cwd?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { env: { PATH: process.env['PATH'] ?? '', GT_SIM_NODE: process.execPath, ...env }, ...(cwd !== undefined ? { cwd } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('sim gt proxy', () => {
  let dir: string;
  let town: string;
  let fakeBin: string;
  let proxy: RunningProxy;
  let limited: RunningProxy;
  let nux: Creds;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gt-proxy-'));
    town = join(dir, 'town');
    await createTown(town, { seed: 3, rigs: [{ name: 'gastown', prefix: 'gt' }, { name: 'beads', prefix: 'bd' }] });
    // A stand-in `gt` for the limit tests: holds a slot when asked (`slow`), prints what it was given.
    fakeBin = join(dir, 'fake-gt');
    writeFileSync(fakeBin, '#!/bin/sh\ncase "$*" in *slow*) sleep 2 ;; esac\necho "identity=$GT_PROXY_IDENTITY args=$* home=${HOME:+set} secret=${SECRET_TOKEN:-none}"\nexit 3\n');
    chmodSync(fakeBin, 0o755);
    process.env['SECRET_TOKEN'] = 'must-not-leak';
    proxy = await startProxy({ townRoot: town, host: '127.0.0.1', port: 0, adminPort: 0, extraEnv: { GT_SIM_NODE: process.execPath } });
    limited = await startProxy({ townRoot: town, host: '127.0.0.1', port: 0, adminPort: 0, binaries: { gt: fakeBin }, rate: 0.001, burst: 3, maxConcurrent: 1 });
    nux = await issue(proxy, 'gastown', 'nux');
  });
  after(async () => {
    delete process.env['SECRET_TOKEN'];
    await proxy.close();
    await limited.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the CA lives in <town>/.runtime/ca with a 0600 key and is reused on restart', async () => {
    const caDir = join(town, '.runtime', 'ca');
    assert.equal(statSync(join(caDir, 'ca.key')).mode & 0o777, 0o600);
    assert.equal(nux.ca, readFileSync(join(caDir, 'ca.crt'), 'utf8'));
    assert.equal((await loadOrCreateCa(caDir)).certPem, nux.ca, 'a second load keeps the CA');
    assert.equal(nux.cn, 'gt-gastown-nux');
    assert.match(nux.serial, /^[0-9a-f]+$/);
    assert.ok(Math.abs(Date.parse(nux.expires_at) - Date.now() - 3600_000) < 120_000, nux.expires_at);
    assert.match(nux.key, /^-----BEGIN PRIVATE KEY-----/);
  });

  test('admin API: bad requests and CNs that cannot carry the identity are refused', async () => {
    assert.equal((await admin(proxy, '/v1/admin/issue-cert', { name: 'nux' })).body, 'bad request: rig is required\n');
    assert.equal((await admin(proxy, '/v1/admin/issue-cert', { rig: 'gastown', name: 'nux', ttl: 'soon' })).status, 400);
    const dashed = await admin(proxy, '/v1/admin/issue-cert', { rig: 'gastown', name: 'a-b' });
    assert.equal(dashed.status, 400);
    assert.match(dashed.body, /invalid polecat CN "gt-gastown-a-b"/);
    assert.equal((await admin(proxy, '/v1/admin/issue-cert', { rig: 'gas/town', name: 'nux' })).status, 400);
    assert.equal((await admin(proxy, '/v1/admin/deny-cert', { serial: '0xzz' })).status, 400);
  });

  test('mTLS: no client certificate, or one from another CA, never gets a request through', async () => {
    await assert.rejects(exec(proxy, undefined, ['gt', 'version']));
    const otherCa = await loadOrCreateCa(join(dir, 'other-ca'));
    const stranger = await issuePolecat(otherCa, 'gt-gastown-nux', 3600_000);
    await assert.rejects(exec(proxy, { ...nux, cert: stranger.certPem, key: stranger.keyPem }, ['gt', 'version']));
  });

  test('/v1/exec: allowlists (403), bad bodies (400), identity from the certificate, minimal env, exit code', async () => {
    assert.deepEqual(await exec(limited, nux, ['rm', '-rf', '/']), { status: 403, body: 'command not allowed: "rm"\n' });
    assert.deepEqual(await exec(limited, nux, ['gt', 'polecat', 'nuke']), { status: 403, body: 'subcommand not allowed: "gt" "polecat"\n' });
    assert.deepEqual(await exec(limited, nux, ['gt']), { status: 403, body: 'subcommand required\n' });
    assert.deepEqual(await exec(limited, nux, []), { status: 400, body: 'argv is empty\n' });
    const big = await call(limited, nux, '/v1/exec', Buffer.alloc((1 << 20) + 10, 0x20));
    assert.deepEqual(big, { status: 400, body: 'bad request: http: request body too large\n' });
    const ok = await exec(limited, nux, ['gt', 'mail', 'inbox', '--identity', 'beads/spoofed']);
    assert.equal(ok.status, 200);
    assert.deepEqual(JSON.parse(ok.body), { stdout: 'identity=gastown/nux args=mail inbox --identity beads/spoofed home=set secret=none\n', stderr: '', exitCode: 3 });
  });

  test('429 past the per-client burst, 503 past the concurrency cap', async () => {
    const mayor = await issue(limited, 'beads', 'rust');
    const replies = await Promise.all([1, 2, 3, 4, 5].map(() => exec(limited, mayor, ['gt', 'version', 'slow'])));
    const statuses = replies.map((r) => r.status).sort();
    // Burst 3: two more are refused by the bucket; of the three admitted, one runs (cap 1).
    assert.deepEqual(statuses, [200, 429, 429, 503, 503]);
    assert.ok(replies.some((r) => r.body === 'rate limit exceeded\n'));
    assert.ok(replies.some((r) => r.body === 'server busy\n'));
  });

  test('the proxy client script as gt: output, exit code, refusals; a denied serial is cut off', async () => {
    const env = { GT_PROXY_URL: proxy.url, ...writeCreds(join(dir, 'nux'), nux), GT_REAL_BIN: '/bin/false' };
    const status = await run(join(IMAGE_BIN, 'gt'), ['status', '--json'], env);
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as { name: string }).name, 'town');
    const refused = await run(join(IMAGE_BIN, 'bd'), ['delete', 'gt-1'], env);
    assert.deepEqual([refused.code, refused.stderr], [1, 'gt-proxy-client: server error 403: subcommand not allowed: "bd" "delete"\n']);
    const failing = await run(join(IMAGE_BIN, 'bd'), ['show', 'gt-nope'], env);
    assert.equal(failing.code, 1);
    assert.match(failing.stderr, /gt-nope/);
    const local = await run(join(IMAGE_BIN, 'gt'), ['version'], { GT_REAL_BIN: '/bin/echo' });
    assert.deepEqual([local.code, local.stdout], [0, 'version\n'], 'without GT_PROXY_* it execs GT_REAL_BIN');

    const victim = await issue(proxy, 'gastown', 'slit');
    assert.equal((await exec(proxy, victim, ['gt', 'version'])).status, 200);
    const denied = await admin(proxy, '/v1/admin/deny-cert', { serial: victim.serial });
    assert.equal(denied.status, 204);
    await assert.rejects(exec(proxy, victim, ['gt', 'hook']), 'the handshake is refused');
    assert.equal((await exec(proxy, nux, ['gt', 'hook', 'status', 'gastown/polecats/nux', '--json'])).status, 200, 'other certificates still work');
  });

  test('git: clone through the proxy, push polecat/<name>-* only, own rig only', async () => {
    const env = { GIT_SSL_CAINFO: join(dir, 'nux', 'ca.crt'), GIT_SSL_CERT: join(dir, 'nux', 'tls.crt'), GIT_SSL_KEY: join(dir, 'nux', 'tls.key'), GIT_TERMINAL_PROMPT: '0', HOME: dir };
    writeCreds(join(dir, 'nux'), nux);
    const work = join(dir, 'clone');
    const clone = await run('git', ['clone', '--quiet', `${proxy.url}/v1/git/gastown`, work], env);
    assert.equal(clone.code, 0, clone.stderr);
    assert.equal(readFileSync(join(work, 'README.md'), 'utf8').split('\n')[0], '# gastown');
    writeFileSync(join(work, 'change.txt'), 'work\n');
    execFileSync('git', ['add', '.'], { cwd: work });
    execFileSync('git', ['-c', 'user.name=nux', '-c', 'user.email=nux@x', 'commit', '--quiet', '-m', 'work'], { cwd: work });
    const push = (ref: string): Promise<{ code: number | null; stderr: string }> => run('git', ['push', '--quiet', 'origin', `HEAD:${ref}`], env, work);
    assert.equal((await push('refs/heads/polecat/nux-feature')).code, 0);
    const toMain = await push('refs/heads/main');
    assert.notEqual(toMain.code, 0);
    assert.match(toMain.stderr, /403/);
    assert.notEqual((await push('refs/heads/polecat/slit-feature')).code, 0, "another polecat's branch");
    assert.notEqual((await push('refs/heads/polecat/nux')).code, 0, 'the prefix needs the dash and a suffix');
    const refs = execFileSync('git', ['for-each-ref', '--format=%(refname)'], { cwd: join(town, 'gastown', '.repo.git') }).toString();
    assert.equal(refs, 'refs/heads/main\nrefs/heads/polecat/nux-feature\n');
    const otherRig = await run('git', ['ls-remote', `${proxy.url}/v1/git/beads`], env);
    assert.notEqual(otherRig.code, 0);
    assert.match(otherRig.stderr, /403/);
  });
});
