// Follows the town event log `<town>/.events.jsonl` the way `tail -F` does, as a change signal
// (docs/gt-contract.md, "The town event log"): it says "something happened, read the town now",
// never what the town looks like.
//
// Guarantees:
// - history is not replayed: the file present at start is read from its end; a file that
//   appears later (or replaces the first one) is new and is read from its start;
// - a rename over the log (the gt daemon's hourly prune: new inode) or a shrink (truncation)
//   is noticed; the old descriptor is drained first, then the new file is read from the start,
//   skipping the lines the prune copied over from the old one (a bounded set of recent lines
//   plus the newest `ts` seen), so a prune never looks like a burst of activity;
// - a partial last line waits for its newline; garbage lines are counted and skipped; unknown
//   event types are delivered as they are (the type vocabulary is open);
// - as with `tail -F`, a truncation refilled beyond the old size between two reads looks like
//   an append (gt never truncates in place; its prune renames, which is always noticed);
// - a missing file is not an error: the follower waits for it to appear;
// - fs.watch on the town directory gives low latency, a poll (default 500 ms) covers what
//   fs.watch misses (renames, network file systems, exhausted inotify watches).
import { watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Logger } from '../../observability/logger.ts';
import { silentLogger } from '../../observability/logger.ts';
import { realClock, type CancelTimer, type Clock } from '../../runtime/clock.ts';
import { parseJsonText } from './json-text.ts';

/** The log's file name inside the town root. */
export const EVENT_LOG_FILE = '.events.jsonl';

/** One line of the event log, as gt writes it. Only `type` drives anything; the rest is kept. */
export const townEventSchema = z.object({
  ts: z.string(),
  source: z.string(),
  type: z.string().min(1),
  actor: z.string(),
  payload: z.record(z.string(), z.unknown()).optional(),
  visibility: z.string(),
});
export type TownEvent = z.infer<typeof townEventSchema>;

export interface EventLogFollowerOptions {
  /** The log file, usually `<town>/.events.jsonl`. */
  readonly path: string;
  /** Called with the new events of one read (never empty); must not throw. */
  readonly onEvents: (events: readonly TownEvent[]) => void;
  /** Fallback poll period; default 500 ms. */
  readonly pollMs?: number;
  /** Use fs.watch on the directory as well as polling; default true. */
  readonly watch?: boolean;
  /** Recent lines remembered to skip a prune's copies; default 4096. */
  readonly seenLimit?: number;
  /** A partial line longer than this is dropped (a writer that never ends its line); default 1 MiB. */
  readonly maxLineBytes?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface EventLogStats {
  readonly events: number;
  readonly garbage: number;
  readonly duplicates: number;
  /** Times a new file (rename, re-creation) or a truncation was followed. */
  readonly reopened: number;
}

interface OpenFile {
  readonly handle: FileHandle;
  readonly ino: number;
  readonly dev: number;
  offset: number;
}

const READ_CHUNK = 64 * 1024;

function isMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && (error.code === 'ENOENT' || error.code === 'ENOTDIR');
}

export class EventLogFollower {
  readonly #opts: Required<Omit<EventLogFollowerOptions, 'clock' | 'logger'>>;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #seen = new Set<string>();
  #newestTs = '';
  #file: OpenFile | undefined;
  #partial: Buffer = Buffer.alloc(0);
  /** True while reading a file that replaced one we followed: skip the prune's copies. */
  #dedup = false;
  #started = false;
  #stopped = false;
  #watcher: FSWatcher | undefined;
  #cancelPoll: CancelTimer | undefined;
  #checking: Promise<void> | undefined;
  #again = false;
  #stats = { events: 0, garbage: 0, duplicates: 0, reopened: 0 };

  constructor(options: EventLogFollowerOptions) {
    this.#opts = {
      path: options.path,
      onEvents: options.onEvents,
      pollMs: options.pollMs ?? 500,
      watch: options.watch ?? true,
      seenLimit: options.seenLimit ?? 4096,
      maxLineBytes: options.maxLineBytes ?? 1024 * 1024,
    };
    this.#clock = options.clock ?? realClock;
    this.#log = (options.logger ?? silentLogger()).child({ component: 'event-log' });
  }

  stats(): EventLogStats {
    return { ...this.#stats };
  }

  /** Positions at the end of the current log (if any) and starts watching and polling. */
  async start(): Promise<void> {
    if (this.#started) throw new Error('an EventLogFollower starts once');
    this.#started = true;
    await this.#openAtEnd();
    if (this.#opts.watch) this.#startWatch();
    this.#schedulePoll();
  }

  /** Stops watching and closes the file. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#watcher?.close();
    this.#watcher = undefined;
    this.#cancelPoll?.();
    await this.#checking;
    await this.#closeFile();
  }

  /** Reads whatever is new now; concurrent calls coalesce into one more read. */
  check(): Promise<void> {
    if (this.#checking) {
      this.#again = true;
      return this.#checking;
    }
    const run = async (): Promise<void> => {
      try {
        do {
          this.#again = false;
          await this.#readNew();
        } while (this.#again && !this.#stopped);
      } catch (error) {
        this.#log.warn({ err: error }, 'reading the town event log failed; retrying at the next poll');
      } finally {
        this.#checking = undefined;
      }
    };
    this.#checking = run();
    return this.#checking;
  }

  async #openAtEnd(): Promise<void> {
    try {
      const handle = await open(this.#opts.path, 'r');
      const st = await handle.stat();
      this.#file = { handle, ino: st.ino, dev: st.dev, offset: st.size };
    } catch (error) {
      if (!isMissing(error)) throw error;
      this.#log.info({ path: this.#opts.path }, 'town event log does not exist yet; waiting for it');
    }
  }

  #startWatch(): void {
    const dir = path.dirname(this.#opts.path);
    const base = path.basename(this.#opts.path);
    try {
      this.#watcher = watch(dir, { persistent: false }, (_event, filename) => {
        if (filename === null || filename === base) void this.check();
      });
      this.#watcher.on('error', (error) => {
        this.#log.debug({ err: error }, 'fs.watch failed; polling only');
        this.#watcher?.close();
        this.#watcher = undefined;
      });
    } catch (error) {
      this.#log.debug({ err: error }, 'fs.watch unavailable; polling only');
    }
  }

  #schedulePoll(): void {
    if (this.#stopped) return;
    this.#cancelPoll = this.#clock.setTimer(() => {
      void this.check().finally(() => this.#schedulePoll());
    }, this.#opts.pollMs);
  }

  async #readNew(): Promise<void> {
    let current: { ino: number; dev: number; size: number } | undefined;
    try {
      const st = await stat(this.#opts.path);
      current = { ino: st.ino, dev: st.dev, size: st.size };
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    const file = this.#file;
    if (file && (!current || current.ino !== file.ino || current.dev !== file.dev)) {
      // Replaced or removed: drain what was appended to the old file before the swap.
      await this.#drain(file);
      await this.#closeFile();
      this.#dedup = true;
    } else if (file && current && current.size < file.offset) {
      this.#log.debug({ path: this.#opts.path }, 'town event log shrank; reading it from the start');
      this.#stats.reopened++;
      file.offset = 0;
      this.#partial = Buffer.alloc(0);
      this.#dedup = true;
    }
    if (!this.#file && current) await this.#openNew();
    if (this.#file) await this.#drain(this.#file);
  }

  async #openNew(): Promise<void> {
    try {
      const handle = await open(this.#opts.path, 'r');
      const st = await handle.stat();
      this.#file = { handle, ino: st.ino, dev: st.dev, offset: 0 };
      this.#partial = Buffer.alloc(0);
      this.#stats.reopened++;
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }

  async #closeFile(): Promise<void> {
    const file = this.#file;
    this.#file = undefined;
    this.#partial = Buffer.alloc(0);
    await file?.handle.close().catch(() => undefined);
  }

  /** Reads from the file's offset to its end (as of now), delivering complete lines. */
  async #drain(file: OpenFile): Promise<void> {
    const buffer = Buffer.alloc(READ_CHUNK);
    const chunks: Buffer[] = [];
    for (;;) {
      const { bytesRead } = await file.handle.read(buffer, 0, READ_CHUNK, file.offset);
      if (bytesRead === 0) break;
      file.offset += bytesRead;
      chunks.push(Buffer.from(buffer.subarray(0, bytesRead)));
    }
    if (chunks.length > 0) this.#deliver(Buffer.concat([this.#partial, ...chunks]));
  }

  /** Splits on newlines at the byte level, so a character cut by a half-written line stays whole. */
  #deliver(data: Buffer): void {
    const end = data.lastIndexOf(0x0a);
    this.#partial = Buffer.from(data.subarray(end + 1));
    if (this.#partial.length > this.#opts.maxLineBytes) {
      this.#stats.garbage++;
      this.#partial = Buffer.alloc(0);
    }
    if (end < 0) return;
    const events: TownEvent[] = [];
    for (const line of data.toString('utf8', 0, end).split('\n')) {
      const event = this.#accept(line.trim());
      if (event) events.push(event);
    }
    if (events.length === 0) return;
    this.#stats.events += events.length;
    try {
      this.#opts.onEvents(events);
    } catch (error) {
      this.#log.warn({ err: error }, 'event log listener threw');
    }
  }

  /** The event of a line worth delivering, or undefined (blank, garbage, or a prune's copy). */
  #accept(line: string): TownEvent | undefined {
    if (line === '') return undefined;
    if (this.#dedup) {
      const ts = tsOf(line);
      if (this.#seen.has(line) || (ts !== undefined && this.#newestTs !== '' && ts < this.#newestTs)) {
        this.#stats.duplicates++;
        return undefined;
      }
      // The first line not copied over by the prune: everything after it is new.
      this.#dedup = false;
    }
    const event = parseEventLine(line);
    if (!event) {
      this.#stats.garbage++;
      this.#log.debug({ line: line.slice(0, 200) }, 'skipping a line of the town event log that is not an event');
      return undefined;
    }
    this.#remember(line, event.ts);
    return event;
  }

  #remember(line: string, ts: string): void {
    this.#seen.add(line);
    if (this.#seen.size > this.#opts.seenLimit) {
      const oldest = this.#seen.values().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    if (ts > this.#newestTs) this.#newestTs = ts;
  }
}

/** A line's `ts`, normalised for ordering, without a full parse (undefined when absent). */
function tsOf(line: string): string | undefined {
  const match = /"ts"\s*:\s*"([^"]+)"/.exec(line);
  return match?.[1] === undefined ? undefined : normaliseTs(match[1]);
}

/** RFC 3339 to a sortable UTC ISO string; other text is kept (still comparable among itself). */
function normaliseTs(ts: string): string {
  const ms = Date.parse(ts);
  return Number.isNaN(ms) ? ts : new Date(ms).toISOString();
}

/** Parses one log line; undefined when it is not a gt event. */
export function parseEventLine(line: string): TownEvent | undefined {
  const event = parseJsonText(townEventSchema, line);
  return event === undefined ? undefined : { ...event, ts: normaliseTs(event.ts) };
}
