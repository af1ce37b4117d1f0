import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EventLogFollower, parseEventLine, type TownEvent } from '../../../src/controllers/town-sync/event-log.ts';

const dirs: string[] = [];
const followers: EventLogFollower[] = [];
after(async () => {
  for (const f of followers) await f.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function line(type: string, second: number, extra = ''): string {
  const ts = `2026-04-01T10:00:${String(second).padStart(2, '0')}Z`;
  return `${JSON.stringify({ ts, source: 'gt', type, actor: `mayor${extra}`, payload: { bead: 'gt-abc12' }, visibility: 'feed' })}\n`;
}

async function follower(opts: { create?: string; watch?: boolean } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'gt-events-'));
  dirs.push(dir);
  const file = path.join(dir, '.events.jsonl');
  if (opts.create !== undefined) writeFileSync(file, opts.create);
  const seen: TownEvent[] = [];
  const f = new EventLogFollower({ path: file, onEvents: (events) => seen.push(...events), pollMs: 60_000, watch: opts.watch ?? false });
  followers.push(f);
  await f.start();
  const types = (): string[] => seen.map((e) => `${e.type}@${e.ts.slice(17, 19)}`);
  return { dir, file, f, seen, types };
}

describe('EventLogFollower', () => {
  test('starts at the end: history is not replayed; appended lines are delivered once', async () => {
    const { file, f, types } = await follower({ create: line('sling', 1) + line('spawn', 2) });
    await f.check();
    assert.deepEqual(types(), []);
    appendFileSync(file, line('done', 3) + line('hook', 4));
    await f.check();
    await f.check();
    assert.deepEqual(types(), ['done@03', 'hook@04']);
  });

  test('a partial last line waits for its newline', async () => {
    const { file, f, types } = await follower({ create: '' });
    const full = line('session_death', 5);
    appendFileSync(file, full.slice(0, 20));
    await f.check();
    assert.deepEqual(types(), []);
    appendFileSync(file, full.slice(20));
    await f.check();
    assert.deepEqual(types(), ['session_death@05']);
  });

  test('garbage lines are skipped, unknown types kept', async () => {
    const { file, f, types } = await follower({ create: '' });
    appendFileSync(file, 'not json\n{"ts":"x"}\n\n' + line('brand_new_type', 6));
    await f.check();
    assert.deepEqual(types(), ['brand_new_type@06']);
    assert.equal(f.stats().garbage, 2);
  });

  test('rename (prune): the old file is drained, the new one read from its start without the copied lines', async () => {
    const { dir, file, f, types } = await follower({ create: line('sling', 1) });
    appendFileSync(file, line('spawn', 2) + line('hook', 3));
    await f.check();
    assert.deepEqual(types(), ['spawn@02', 'hook@03']);
    // A line lands in the old file after our last read, then the daemon prunes by rename.
    appendFileSync(file, line('done', 4));
    const tmp = path.join(dir, 'prune.tmp');
    writeFileSync(tmp, line('hook', 3) + line('done', 4));
    renameSync(tmp, file);
    appendFileSync(file, line('sling', 5));
    await f.check();
    assert.deepEqual(types(), ['spawn@02', 'hook@03', 'done@04', 'sling@05']);
    assert.equal(f.stats().reopened, 1);
    assert.ok(f.stats().duplicates >= 1);
  });

  test('truncation in place: read again from the start', async () => {
    const { file, f, types } = await follower({ create: line('sling', 1) + line('spawn', 2) });
    truncateSync(file, 0);
    appendFileSync(file, line('nudge', 7));
    await f.check();
    assert.deepEqual(types(), ['nudge@07']);
  });

  test('a missing file is waited for; once it appears it is read from its start', async () => {
    const { file, f, types } = await follower();
    await f.check();
    assert.deepEqual(types(), []);
    writeFileSync(file, line('boot', 8));
    await f.check();
    assert.deepEqual(types(), ['boot@08']);
    unlinkSync(file);
    await f.check();
    writeFileSync(file, line('boot', 8) + line('halt', 9));
    await f.check();
    assert.deepEqual(types(), ['boot@08', 'halt@09'], 'a re-created file skips lines already seen');
  });

  test('fs.watch delivers an append well within a second', async () => {
    const { file, seen } = await follower({ create: '', watch: true });
    const started = Date.now();
    appendFileSync(file, line('sling', 1));
    while (seen.length === 0 && Date.now() - started < 5_000) await new Promise((r) => setTimeout(r, 10));
    assert.equal(seen.length, 1);
    assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms`);
  });

  test('parseEventLine accepts gt lines and normalises ts', () => {
    const e = parseEventLine('{"ts":"2026-04-01T12:00:00+02:00","source":"gt","type":"spawn","actor":"x","visibility":"audit"}');
    assert.equal(e?.ts, '2026-04-01T10:00:00.000Z');
    assert.equal(parseEventLine('{"ts":"2026-04-01T10:00:00Z","source":"gt","actor":"x","visibility":"feed"}'), undefined);
  });
});
