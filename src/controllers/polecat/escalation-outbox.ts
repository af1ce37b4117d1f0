// The escalation outbox: the one place escalation mails leave the operator. Polecat reconciles
// hand it intents (stuck.ts EscalationMail) only after the status recording each intent was
// written; it gathers the intents of one tag (a rig's polecats due in one town read) for a
// short window and sends them as ONE `gt mail send`, then remembers what became of the tag so
// the polecats' next reconciles can settle their `escalation.pendingMail`.
//
// Guarantees:
// - one mail per tag and window, whatever the number of polecats in it; a mail is only ever
//   sent for intents already recorded in status (reconcile writes, then enqueues);
// - after a restart the outbox knows nothing: `receipt` answers from the town event log, where
//   gt records every `gt mail send` (type `mail`, payload `to`, `subject`): the tag found means
//   the mail went out (not sent again); not found in a log reaching back past the intent means
//   it never did (sent now: not lost); a log that no longer reaches back proves nothing
//   (`unproven`: not sent again, at most once wins);
// - the outcomes of the last tags are kept in memory, bounded.
import { open } from 'node:fs/promises';
import type { GtClient } from '../../gt/index.ts';
import type { Logger } from '../../observability/logger.ts';
import { silentLogger } from '../../observability/logger.ts';
import type { Clock } from '../../runtime/clock.ts';
import { probe } from '../shared/probe.ts';
import { parseEventLine } from '../town-sync/event-log.ts';
import type { EscalationEntry, EscalationMail, PendingMailOutcome } from './stuck.ts';

/** How many settled tags are remembered for the reconciles that have not settled theirs yet. */
const OUTCOMES_KEPT = 1_024;
/** How much of the end of the event log a receipt reads. */
const RECEIPT_TAIL_BYTES = 4 * 1024 * 1024;
const SUBJECT_MAX = 200;

export interface EscalationOutboxOptions {
  readonly gt: Pick<GtClient, 'mailSend'>;
  readonly clock: Clock;
  /** How long intents of one tag are gathered before the mail goes out. */
  readonly windowMs: number;
  /** `<town>/.events.jsonl`, for receipts after a restart; without it every receipt is `unproven`. */
  readonly eventLogPath?: string;
  /** Told the reconcile keys of a tag once its mail is settled (to look at them again at once). */
  readonly onSettled?: (keys: readonly string[]) => void;
  readonly logger?: Logger;
}

interface Batch {
  readonly address: string;
  readonly rig: string;
  readonly entries: Map<string, EscalationEntry>;
  sending: boolean;
}

/** The mail of one tag: the subject quotes the tag (receipts search for it) and names the polecats. */
export function escalationMailText(tag: string, rig: string, entries: readonly EscalationEntry[]): { subject: string; body: string } {
  const names = entries.map((e) => e.polecat.slice(e.polecat.indexOf('/') + 1));
  const head = `[${tag}] ${entries.length === 1 ? 'a polecat' : `${entries.length} polecats`} of rig ${rig} need attention: `;
  const subject = `${head}${names.join(', ')}`;
  const lines = entries.map((e) => `- ${e.polecat}: ${e.message}. Stuck since ${e.stuckSince}; escalation ${e.count} of ${e.of}.`);
  // The body starts with words: gt's argument check refuses text starting with "-" (a flag).
  const body = [`Stuck polecats of rig ${rig}:`, ...lines, '', 'Sent by gastown-operator: one mail per rig for the polecats found stuck in the same town read.'].join('\n');
  return { subject: subject.length <= SUBJECT_MAX ? subject : `${subject.slice(0, SUBJECT_MAX - 1)}…`, body };
}

/** How a subject quotes a tag. */
function quoted(tag: string): string {
  return `[${tag}]`;
}

export class EscalationOutbox {
  readonly #opts: EscalationOutboxOptions;
  readonly #log: Logger;
  readonly #batches = new Map<string, Batch>();
  readonly #outcomes = new Map<string, 'sent' | 'failed'>();

  constructor(opts: EscalationOutboxOptions) {
    this.#opts = opts;
    this.#log = (opts.logger ?? silentLogger()).child({ component: 'escalation-outbox' });
  }

  /** Adds a recorded intent (`key`: the Polecat's reconcile key) to its tag's mail. */
  enqueue(key: string, mail: EscalationMail): void {
    let batch = this.#batches.get(mail.tag);
    if (batch === undefined || batch.sending) {
      if (batch?.sending === true) this.#log.warn({ tag: mail.tag, key }, 'intent arrived after its round was sent; it gets a mail of its own');
      batch = { address: mail.address, rig: mail.rig, entries: new Map(), sending: false };
      this.#batches.set(mail.tag, batch);
      const opened = batch;
      this.#opts.clock.setTimer(() => void this.#send(mail.tag, opened), this.#opts.windowMs);
    }
    batch.entries.set(key, mail.entry);
    this.#outcomes.delete(mail.tag);
  }

  /** What this process knows of a tag: undefined when it never held it (a restart). */
  outcome(tag: string): 'in-flight' | 'sent' | 'failed' | undefined {
    if (this.#batches.has(tag)) return 'in-flight';
    return this.#outcomes.get(tag);
  }

  /** After a restart: whether the town event log shows the tag's mail (see header). */
  async receipt(tag: string, intentAt: number): Promise<Extract<PendingMailOutcome, 'sent' | 'not-sent' | 'unproven'>> {
    const file = this.#opts.eventLogPath;
    if (file === undefined) return 'unproven';
    let tail: { text: string; whole: boolean };
    try {
      tail = await readTail(file, RECEIPT_TAIL_BYTES);
    } catch (error) {
      this.#log.warn({ tag, err: error }, 'cannot read the town event log for an escalation receipt');
      return 'unproven';
    }
    const lines = tail.text.split('\n');
    // A tail that starts mid-file begins with a partial line.
    if (!tail.whole) lines.shift();
    let oldest: number | undefined;
    for (const line of lines) {
      const event = parseEventLine(line);
      if (event === undefined) continue;
      oldest ??= Date.parse(event.ts);
      const subject = event.payload?.subject;
      if (event.type === 'mail' && typeof subject === 'string' && subject.includes(quoted(tag))) return 'sent';
    }
    // Event times are whole seconds: the log reaches back past the intent only if it starts a second
    // earlier. Reading the whole file is not enough: the daemon's prune rewrites it without old lines.
    return oldest !== undefined && oldest <= intentAt - 1_000 ? 'not-sent' : 'unproven';
  }

  async #send(tag: string, batch: Batch): Promise<void> {
    batch.sending = true;
    const entries = [...batch.entries.values()];
    const { subject, body } = escalationMailText(tag, batch.rig, entries);
    const result = await probe(() => this.#opts.gt.mailSend(batch.address, subject, body));
    if (this.#batches.get(tag) === batch) this.#batches.delete(tag);
    this.#remember(tag, result.ok ? 'sent' : 'failed');
    this.#log.info({ tag, address: batch.address, polecats: entries.length, ok: result.ok }, 'escalation mail');
    this.#opts.onSettled?.([...batch.entries.keys()]);
  }

  #remember(tag: string, outcome: 'sent' | 'failed'): void {
    // A later batch of the same tag that already failed does not hide an earlier success, and vice versa: last wins.
    this.#outcomes.delete(tag);
    this.#outcomes.set(tag, outcome);
    while (this.#outcomes.size > OUTCOMES_KEPT) {
      const oldest = this.#outcomes.keys().next().value;
      if (oldest === undefined) break;
      this.#outcomes.delete(oldest);
    }
  }
}

async function readTail(file: string, bytes: number): Promise<{ text: string; whole: boolean }> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - bytes);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    return { text: buffer.toString('utf8'), whole: start === 0 };
  } finally {
    await handle.close();
  }
}
