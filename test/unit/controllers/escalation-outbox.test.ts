// The escalation outbox on its own: one mail per tag and window whatever the number of polecats,
// the outcome the next reconciles settle from, and receipts from the town event log after a
// restart (found -> sent; absent from a log reaching back past the intent -> not sent;
// otherwise unproven). A fake gt records the mails; a FakeClock drives the window.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EscalationOutbox, escalationMailText } from '../../../src/controllers/polecat/escalation-outbox.ts';
import type { EscalationMail } from '../../../src/controllers/polecat/stuck.ts';
import { GtError } from '../../../src/gt/errors.ts';
import { FakeClock } from '../../../src/runtime/clock.ts';

interface Sent { address: string; subject: string; body: string }

function fakeMail(fail = false): { mailSend: (a: string, s: string, b: string) => Promise<{ address: string }>; sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
    mailSend: (address, subject, body) => {
      sent.push({ address, subject, body });
      return fail ? Promise.reject(new GtError('CLIError', 'Error: no such mailbox', { command: 'gt mail send' })) : Promise.resolve({ address });
    },
  };
}

const intent = (name: string, tag = 'esc-gastown-abc', rig = 'gastown'): EscalationMail => ({
  type: 'escalate', tag, address: `${rig}/witness`, rig,
  entry: { polecat: `${rig}/${name}`, message: `gt reports ${rig}/${name} stuck`, stuckSince: '2026-11-23T10:00:00Z', count: 1, of: 5 },
});

/** Lets the outbox's send (a promise started by a timer) run to the end. */
async function settle(outbox: EscalationOutbox, tag: string): Promise<void> {
  for (let i = 0; i < 50 && outbox.outcome(tag) === 'in-flight'; i += 1) await new Promise((r) => setImmediate(r));
}

describe('escalation outbox: batching', () => {
  test('three polecats of a rig in one round -> one mail naming all three; nothing before the window closes', async () => {
    const clock = new FakeClock();
    const gt = fakeMail();
    const settled: string[][] = [];
    const outbox = new EscalationOutbox({ gt, clock, windowMs: 2_000, onSettled: (keys) => settled.push([...keys]) });
    for (const name of ['nux', 'toast', 'rictus']) outbox.enqueue(`ns/${name}`, intent(name));
    outbox.enqueue('ns/other-rig', intent('slit', 'esc-beads-abc', 'beads'));
    clock.advance(1_999);
    assert.equal(gt.sent.length, 0);
    assert.equal(outbox.outcome('esc-gastown-abc'), 'in-flight');
    clock.advance(1);
    await settle(outbox, 'esc-gastown-abc');
    await settle(outbox, 'esc-beads-abc');
    assert.equal(gt.sent.length, 2, 'one mail per rig');
    const gastown = gt.sent.find((m) => m.address === 'gastown/witness');
    assert.match(gastown?.subject ?? '', /^\[esc-gastown-abc\] 3 polecats of rig gastown need attention: nux, toast, rictus$/);
    assert.equal(gastown?.body.split('\n').filter((l) => l.startsWith('- gastown/')).length, 3);
    assert.ok(!gastown?.body.startsWith('-'), 'gt would read a leading "-" as a flag');
    assert.equal(outbox.outcome('esc-gastown-abc'), 'sent');
    assert.deepEqual(settled.map((k) => k.sort()).sort(), [['ns/nux', 'ns/rictus', 'ns/toast'], ['ns/other-rig']]);
  });

  test('the same polecat enqueued twice in a window is named once', async () => {
    const clock = new FakeClock();
    const gt = fakeMail();
    const outbox = new EscalationOutbox({ gt, clock, windowMs: 100 });
    outbox.enqueue('ns/nux', intent('nux'));
    outbox.enqueue('ns/nux', intent('nux'));
    clock.advance(100);
    await settle(outbox, 'esc-gastown-abc');
    assert.equal(gt.sent.length, 1);
    assert.match(gt.sent[0]?.subject ?? '', /a polecat of rig gastown need attention: nux$/);
  });

  test('gt refuses the mail -> failed, for every polecat of the batch', async () => {
    const clock = new FakeClock();
    const outbox = new EscalationOutbox({ gt: fakeMail(true), clock, windowMs: 10 });
    outbox.enqueue('ns/nux', intent('nux'));
    clock.advance(10);
    await settle(outbox, 'esc-gastown-abc');
    assert.equal(outbox.outcome('esc-gastown-abc'), 'failed');
  });

  test('a tag this process never held is unknown (a restart)', () => {
    const outbox = new EscalationOutbox({ gt: fakeMail(), clock: new FakeClock(), windowMs: 10 });
    assert.equal(outbox.outcome('esc-gastown-zzz'), undefined);
  });

  test('a long list of names keeps the tag and stays a bounded subject', () => {
    const entries = Array.from({ length: 60 }, (_, i) => intent(`polecat-${i}`).entry);
    const { subject } = escalationMailText('esc-gastown-abc', 'gastown', entries);
    assert.ok(subject.startsWith('[esc-gastown-abc] 60 polecats'));
    assert.ok(subject.length <= 200);
  });
});

describe('escalation outbox: receipts from the town event log', () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(path.join(tmpdir(), 'outbox-')); });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
  const line = (ms: number, type: string, payload: Record<string, unknown>) =>
    JSON.stringify({ ts: new Date(ms).toISOString().replace('.000Z', 'Z'), source: 'gt', type, actor: 'x', payload, visibility: 'feed' });

  test('found -> sent; absent from a log reaching back past the intent -> not-sent; no log -> unproven', async () => {
    const file = path.join(dir, 'events-a.jsonl');
    await writeFile(file, [
      line(T0 - 60_000, 'sling', { bead: 'gt-abc12' }),
      line(T0 + 1_000, 'mail', { to: 'gastown/witness', subject: '[esc-gastown-abc] a polecat of rig gastown need attention: nux' }),
      '',
    ].join('\n'));
    const outbox = new EscalationOutbox({ gt: fakeMail(), clock: new FakeClock(), windowMs: 10, eventLogPath: file });
    assert.equal(await outbox.receipt('esc-gastown-abc', T0), 'sent');
    assert.equal(await outbox.receipt('esc-gastown-def', T0), 'not-sent');
    const none = new EscalationOutbox({ gt: fakeMail(), clock: new FakeClock(), windowMs: 10, eventLogPath: path.join(dir, 'missing.jsonl') });
    assert.equal(await none.receipt('esc-gastown-abc', T0), 'unproven');
    assert.equal(await new EscalationOutbox({ gt: fakeMail(), clock: new FakeClock(), windowMs: 10 }).receipt('esc-gastown-abc', T0), 'unproven');
  });

  test('a log pruned past the intent proves nothing: unproven, never resent', async () => {
    const file = path.join(dir, 'events-b.jsonl');
    // The whole file is read, but its first event is newer than the intent: gt's prune dropped older lines.
    const lines = Array.from({ length: 5 }, (_, i) => line(T0 + (i + 5) * 1_000, 'nudge', {}));
    await writeFile(file, `${lines.join('\n')}\n`);
    const outbox = new EscalationOutbox({ gt: fakeMail(), clock: new FakeClock(), windowMs: 10, eventLogPath: file });
    assert.equal(await outbox.receipt('esc-gastown-abc', T0), 'unproven');
  });
});
