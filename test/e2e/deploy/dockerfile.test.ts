// A cheap lint of the Dockerfile (docker cannot run here): multi-stage on Node 24, production
// dependencies only, a numeric non-root USER in the final stage, an exec-form ENTRYPOINT running
// the operator, nothing that looks like a secret, and a .dockerignore that allow-lists the
// build context (the files the Dockerfile copies exist and are not ignored).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './manifests.ts';

interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** Instructions with line continuations joined and comments dropped. */
function instructions(text: string): Instruction[] {
  return text.replace(/\\\n/g, ' ').split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [op = '', ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
const all = instructions(dockerfile);
const stages = all.reduce<Instruction[][]>((acc, i) => (i.op === 'FROM' ? [...acc, [i]] : (acc.at(-1)?.push(i), acc)), []);
const final = stages.at(-1)!;

describe('Dockerfile', () => {
  test('multi-stage on Node 24: a deps stage with npm ci --omit=dev, a runtime stage', () => {
    assert.match(dockerfile, /^ARG NODE_IMAGE=node:24-bookworm-slim$/m);
    assert.deepEqual(stages.map((s) => s[0]!.args), ['${NODE_IMAGE} AS deps', '${NODE_IMAGE} AS runtime']);
    assert.ok(stages[0]!.some((i) => i.op === 'RUN' && /npm ci --omit=dev/.test(i.args)));
    assert.ok(final.some((i) => i.op === 'COPY' && i.args === '--from=deps /app/node_modules ./node_modules'));
    assert.ok(!final.some((i) => i.op === 'RUN' && /\bnpm (ci|install)\b/.test(i.args)), 'no npm install in the runtime stage');
  });

  test('the final stage runs as a numeric non-root user and ENTRYPOINT runs the operator', () => {
    const users = final.filter((i) => i.op === 'USER');
    assert.equal(users.length, 1);
    const [uid, gid] = users[0]!.args.split(':').map(Number);
    assert.ok(uid !== undefined && uid > 0 && gid !== undefined && gid > 0, 'numeric non-root uid:gid (runAsNonRoot can verify it)');
    assert.equal(uid, 65532);
    const userIndex = final.indexOf(users[0]!);
    assert.ok(final.slice(userIndex + 1).every((i) => i.op !== 'RUN'), 'every RUN happens before USER');
    const entry = final.find((i) => i.op === 'ENTRYPOINT');
    // --optimize-for-size as in bin/gastown-operator (bench/results/scale.md: about half the RSS).
    assert.deepEqual(JSON.parse(entry!.args), ['node', '--optimize-for-size', '/app/src/main.ts'], 'exec form, so SIGTERM reaches node');
    assert.deepEqual(JSON.parse(final.find((i) => i.op === 'CMD')!.args), ['run']);
    assert.match(final.find((i) => i.op === 'ENV')!.args, /GT_PATH=\/opt\/gastown\/bin\/gt/);
  });

  test('no secrets: no credentials in ARG/ENV, no ADD of URLs, no copied key files', () => {
    for (const i of all) {
      if (i.op === 'ARG' || i.op === 'ENV') assert.doesNotMatch(i.args, /(token|secret|password|passwd|api[_-]?key|credential|npm_auth)/i, `${i.op} ${i.args}`);
      assert.notEqual(i.op, 'ADD', 'COPY only (ADD fetches URLs and unpacks archives)');
      if (i.op === 'COPY') assert.doesNotMatch(i.args, /(\.pem|\.key|id_rsa|kubeconfig|\.env\b)/i);
    }
    assert.doesNotMatch(readFileSync(join(REPO, '.npmrc'), 'utf8'), /_auth|_authToken|password/i, 'the copied .npmrc holds no registry credentials');
  });

  test('.dockerignore allow-lists the context; every copied source exists', () => {
    const ignore = readFileSync(join(REPO, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    assert.equal(ignore[0], '*', 'deny everything first');
    const allowed = ignore.slice(1).map((l) => l.replace(/^!/, '').replace(/\/$/, ''));
    for (const i of all.filter((x) => x.op === 'COPY' && !x.args.startsWith('--from'))) {
      const sources = i.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1);
      for (const s of sources) {
        assert.ok(existsSync(join(REPO, s)), `${s} exists`);
        assert.ok(allowed.includes(s.replace(/\/$/, '')), `${s} is allowed by .dockerignore`);
      }
    }
    for (const secretish of ['.git', 'node_modules', '.data', 'test', 'coverage']) assert.ok(!allowed.includes(secretish), `${secretish} stays out of the context`);
  });

  test('everything the image copies imports only production dependencies (npm ci --omit=dev)', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const imported = new Set<string>();
    const walk = (dir: string): void => {
      for (const e of readdirSync(join(REPO, dir), { withFileTypes: true })) {
        const rel = join(dir, e.name);
        if (e.isDirectory()) walk(rel);
        else if (e.name.endsWith('.ts')) {
          for (const m of readFileSync(join(REPO, rel), 'utf8').matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^'.][^']*)'/gm)) imported.add(m[1]!);
        }
      }
    };
    walk('src');
    walk('sim');
    const packages = [...imported].filter((p) => !p.startsWith('node:')).map((p) => (p.startsWith('@') ? p.split('/').slice(0, 2).join('/') : p.split('/')[0]!));
    assert.ok(packages.length > 0);
    for (const p of packages) assert.ok(p in pkg.dependencies, `${p} is imported by the image's code but is not a production dependency`);
  });
});
