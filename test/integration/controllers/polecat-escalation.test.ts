// Escalation mails against the embedded API server and the simulated town, counted where they
// land (the simulator's `gt mail send` call log and the witness's mailbox): two polecats of a
// rig stuck in the same town read get ONE mail; repeats follow the schedule on an injected
// clock (10 min, doubling, at most 5 mails); a polecat gt v1.2 reports review-needed is not
// mailed (v1.0 has no such state); a crash between the intent and the send neither loses the
// mail nor sends it twice, and neither does a crash between the send and its record (the town
// event log is the receipt). Each on a town of each gt release (v1.0, v1.2).
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Label, Reason, type Polecat, type PolecatStatus } from '../../../src/api/index.ts';
import { POLECAT_KIND } from '../../../src/api/kinds.ts';
import { EscalationOutbox } from '../../../src/controllers/polecat/escalation-outbox.ts';
import { DEFAULT_ESCALATION } from '../../../src/controllers/polecat/stuck.ts';
import { EVENT_LOG_FILE } from '../../../src/controllers/town-sync/event-log.ts';
import type { TownSnapshot, TownView } from '../../../src/controllers/town-sync/snapshot.ts';
import { FakeClock } from '../../../src/runtime/clock.ts';
import * as control from '../../../sim/src/control.ts';
import { GT_VERSIONS } from '../../../sim/src/version.ts';
import { NS, polecatReconciler, useBed } from './polecat-convoy-harness.ts';

const MIN = 60_000;
const WINDOW = DEFAULT_ESCALATION.batchWindowMs;

for (const version of GT_VERSIONS) {
  const current = version === '1.2';

  describe(`Polecat escalation mails on gt ${version} (API server + simulated town)`, () => {
    const bed = useBed(POLECAT_KIND, { gtVersion: version });

    interface Operator {
      readonly outbox: EscalationOutbox;
      /** Every view reconciled against one town read (a fresh one with `sync`, else the last): one round. */
      round(keys: readonly string[], sync?: boolean): Promise<void>;
    }

    /**
     * One operator process: a reconciler, its outbox (receipts from the town event log) and its
     * clock. Its reconciles see the town read their round started on, even when town sync's own
     * 30 s cycle lands in the middle of a round; the town reads they ask for are recorded.
     */
    function operator(clock: FakeClock, syncRequests: string[] = []): Operator {
      const outbox = new EscalationOutbox({ gt: bed.gt, clock, windowMs: WINDOW, eventLogPath: path.join(bed.root, EVENT_LOG_FILE) });
      let read: TownSnapshot | undefined;
      const town: TownView = {
        current: () => read ?? bed.observer.current(),
        requestSync: (reason) => {
          syncRequests.push(reason);
          bed.observer.requestSync(reason);
        },
        registerBeadInterest: (owner, ids) => bed.observer.registerBeadInterest(owner, ids),
        unregisterBeadInterest: (owner) => bed.observer.unregisterBeadInterest(owner),
      };
      const r = polecatReconciler(bed, { outbox, clock, town });
      return {
        outbox,
        async round(keys, sync = false) {
          read = sync ? await bed.observer.syncNow('round') : bed.observer.current();
          try {
            for (const key of keys) await r.reconcile(key, false);
          } finally {
            read = undefined;
          }
        },
      };
    }

    /** A polecat slung outside Kubernetes, stuck, and a view following it. */
    async function stuckPolecat(name: string, state = 'stuck'): Promise<{ key: string; gtName: string }> {
      const bead = await control.addBead(bed.root, { rig: 'gastown', title: `escalate ${name}` });
      const { polecat } = await control.slingOutside(bed.root, bead, 'gastown', { convoy: false });
      await control.setPolecatState(bed.root, 'gastown', polecat, state);
      await bed.kube.create(POLECAT_KIND, {
        apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Polecat',
        metadata: { name, namespace: NS, labels: { [Label.Polecat]: polecat } }, spec: { rig: 'gastown', desiredState: 'Idle' },
      });
      return { key: `${NS}/${name}`, gtName: polecat };
    }

    const status = async (key: string): Promise<PolecatStatus | undefined> => (await bed.fetch<Polecat>(POLECAT_KIND, key))?.status;
    const mails = (): control.CallRecord[] => bed.calls('mail', 'send');
    const mailsNaming = (gtName: string): number => control.readTown(bed.root).mail.filter((m) => m.to === 'gastown/witness' && m.subject.includes(gtName)).length;

    /** Lets the outbox's window close, waits (with a deadline) until it has sent, and settles the views. */
    async function flush(clock: FakeClock, op: Operator, keys: readonly string[]): Promise<void> {
      const tags = new Set((await Promise.all(keys.map(async (k) => (await status(k))?.escalation?.pendingMail))).filter((t) => t !== undefined));
      clock.advance(WINDOW);
      const deadline = Date.now() + 20_000;
      while ([...tags].some((t) => op.outbox.outcome(t) === 'in-flight')) {
        assert.ok(Date.now() < deadline, 'the outbox did not send');
        await new Promise((r) => setTimeout(r, 25));
      }
      await op.round(keys);
      for (const key of keys) assert.equal((await status(key))?.escalation?.pendingMail, undefined, `${key}: pending mail settled`);
    }

    test(`two stuck polecats of one rig -> one mail; repeats at 10, 20, 40, 80 min, at most 5; ${current ? 'review-needed is not mailed' : 'no review-needed state on v1.0'}`, async () => {
      const clock = new FakeClock(Date.now());
      const op = operator(clock);
      const a = await stuckPolecat('esc-a');
      const b = await stuckPolecat('esc-b', 'stalled');
      const before = mails().length;

      await op.round([a.key, b.key], true);
      const [sa, sb] = [await status(a.key), await status(b.key)];
      assert.ok(sa?.escalation?.pendingMail, 'the intent is in status before anything is sent');
      assert.equal(sa.escalation.pendingMail, sb?.escalation?.pendingMail, 'one round, one tag');
      assert.equal(mails().length, before, 'nothing sent while the window is open');

      await flush(clock, op, [a.key, b.key]);
      assert.equal(mails().length, before + 1, 'ONE mail for both polecats');
      const witness = control.readTown(bed.root).mail.filter((m) => m.to === 'gastown/witness');
      assert.match(witness.at(-1)?.subject ?? '', new RegExp(`2 polecats of rig gastown need attention: .*${a.gtName}`));
      assert.match(witness.at(-1)?.subject ?? '', new RegExp(b.gtName));
      assert.equal((await status(a.key))?.escalation?.count, 1);
      assert.ok(bed.events.some((e) => e.object === a.key && e.reason === Reason.Escalated));

      // Not due yet: nothing, however often the views are looked at.
      clock.advance(9 * MIN);
      await op.round([a.key, b.key]);
      assert.equal(mails().length, before + 1);

      // 10 min after the first mail: due, but not on the read the first mail stood on (its tag is
      // spent, and a repeat says "still stuck" only on a read made after the mail before it).
      clock.advance(1 * MIN);
      await op.round([a.key, b.key]);
      assert.equal((await status(a.key))?.escalation?.pendingMail, undefined, 'no intent on a read already mailed');
      assert.equal((await status(b.key))?.escalation?.count, 1);
      // On a fresh read: the first repeat, again one mail for both.
      await op.round([a.key, b.key], true);
      await flush(clock, op, [a.key, b.key]);
      assert.equal(mails().length, before + 2);
      assert.equal((await status(b.key))?.escalation?.count, 2);

      // The next repeat waits 20 min.
      clock.advance(19 * MIN);
      await op.round([a.key, b.key]);
      assert.equal(mails().length, before + 2);

      // gt v1.2 now reports a as the witness's own case (review-needed): only b is mailed. gt v1.0
      // has no such state: both stay stuck and are mailed again, still in one mail.
      if (current) await control.setPolecatState(bed.root, 'gastown', a.gtName, 'review-needed');
      clock.advance(1 * MIN);
      await op.round([a.key, b.key], true);
      await flush(clock, op, [a.key, b.key]);
      assert.equal(mails().length, before + 3);
      const third = control.readTown(bed.root).mail.filter((m) => m.to === 'gastown/witness').at(-1);
      assert.match(third?.subject ?? '', current ? new RegExp(`a polecat of rig gastown need attention: ${b.gtName}$`) : /^.*2 polecats of rig gastown need attention: /);
      const sa3 = await status(a.key);
      assert.equal(sa3?.conditions?.find((c) => c.type === 'Stuck')?.reason === Reason.HandledByWitness, current);
      assert.equal(sa3?.escalation?.count, current ? 2 : 3, current ? 'a is not mailed again' : 'a is mailed with b');

      // Then 40 and 80 min: b's fourth and fifth mails, the last (at most 5).
      for (const [wait, count] of [[40, 4], [80, 5]] as const) {
        clock.advance((wait - 1) * MIN);
        await op.round([a.key, b.key], true);
        assert.equal((await status(b.key))?.escalation?.count, count - 1, `${wait} min: not due a minute early`);
        clock.advance(1 * MIN);
        await op.round([a.key, b.key]);
        await flush(clock, op, [a.key, b.key]);
        assert.equal((await status(b.key))?.escalation?.count, count);
      }
      assert.equal(mails().length, before + 5);
      clock.advance(3 * 60 * MIN);
      await op.round([a.key, b.key], true);
      assert.equal((await status(b.key))?.escalation?.nextAt, undefined, 'no repeat after the fifth');
      assert.equal(mails().length, before + 5, 'never a sixth mail');
    });

    test('an escalation intent asks town sync for no fresh read, which would split the rig\'s mail', async () => {
      // In the operator a work queue stands between the reconciles of a rig's stuck polecats. A
      // read asked for after the first intent lands before a later reconcile whenever that comes
      // more than town sync's debounce later: that polecat would stand on a newer read, with a tag
      // and a mail of its own (this file's first test failed so on a busy machine).
      const requests: string[] = [];
      const clock = new FakeClock(Date.now());
      const op = operator(clock, requests);
      const e = await stuckPolecat('esc-intent-e');
      const f = await stuckPolecat('esc-intent-f');
      await op.round([e.key, f.key], true);
      assert.deepEqual(requests, [], 'no town read asked for by the intents');
      const [se, sf] = [await status(e.key), await status(f.key)];
      assert.ok(se?.escalation?.pendingMail);
      assert.equal(se.escalation.pendingMail, sf?.escalation?.pendingMail);
      const before = mails().length;
      await flush(clock, op, [e.key, f.key]);
      assert.equal(mails().length, before + 1);
      assert.deepEqual(requests, [], 'nor by settling the mail');
    });

    test('a crash between intent and send: the restarted operator sends it once (not lost, not twice)', async () => {
      const c = await stuckPolecat('esc-crash-before');
      // This process records the intent, then dies before its window closes (its clock never moves again).
      const crashed = operator(new FakeClock(Date.now() + 5_000));
      await crashed.round([c.key], true);
      const tag = (await status(c.key))?.escalation?.pendingMail;
      assert.ok(tag);
      assert.equal(mailsNaming(c.gtName), 0);

      const clock = new FakeClock(Date.now() + 10_000);
      const restarted = operator(clock);
      await restarted.round([c.key]);
      await flush(clock, restarted, [c.key]);
      assert.equal(mailsNaming(c.gtName), 1, 'the lost mail went out after the restart');
      assert.ok(control.readTown(bed.root).mail.some((m) => m.subject.includes(`[${tag}]`)), 'under the tag of the intent');

      // Yet another restart finds the mail in the event log: not sent again.
      const again = operator(new FakeClock(Date.now() + 15_000));
      await again.round([c.key]);
      assert.equal(mailsNaming(c.gtName), 1);
    });

    test('a crash between send and its record: the event log proves it went out, it is not sent again', async () => {
      const d = await stuckPolecat('esc-crash-after');
      const clock = new FakeClock(Date.now() + 5_000);
      const crashed = operator(clock);
      await crashed.round([d.key], true);
      const tag = (await status(d.key))?.escalation?.pendingMail;
      assert.ok(tag);
      clock.advance(WINDOW);
      // Until `gt mail send` has returned (the mailbox is written before the event log line).
      const deadline = Date.now() + 20_000;
      while (crashed.outbox.outcome(tag) === 'in-flight') {
        assert.ok(Date.now() < deadline, 'the mail was not sent');
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(mailsNaming(d.gtName), 1, 'sent');
      // Sent, but the process dies before a reconcile records it.
      assert.ok((await status(d.key))?.escalation?.pendingMail);

      const restarted = operator(new FakeClock(Date.now() + 10_000));
      await restarted.round([d.key]);
      const after = await status(d.key);
      assert.equal(after?.escalation?.pendingMail, undefined, 'settled from the receipt');
      assert.equal(after?.escalation?.count, 1);
      assert.equal(mailsNaming(d.gtName), 1, 'never twice');
    });
  });
}
