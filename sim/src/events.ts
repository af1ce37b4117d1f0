// The town event log `<town>/.events.jsonl`, written as gt writes it: one compact JSON line
// per event, keys in gt's struct order (ts, source, type, actor, payload, visibility) and
// payload keys sorted (Go marshals maps sorted), appended under `.events.jsonl.lock`. Pruning
// replaces the file by write-new-and-rename, like the gt daemon, so readers see a new inode.
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { withLock } from './lock.ts';
import { rfc3339 } from './ids.ts';
import { townPaths } from './paths.ts';

export type EventPayload = Record<string, string | number | boolean | string[]>;

export interface TownEvent {
  ts: string;
  source: 'gt';
  type: string;
  actor: string;
  payload?: EventPayload;
  visibility: 'feed' | 'audit' | 'both';
}

export interface EventInput {
  type: string;
  actor: string;
  payload?: EventPayload;
  visibility?: TownEvent['visibility'];
}

function sortedPayload(payload: EventPayload): EventPayload {
  const out: EventPayload = {};
  for (const key of Object.keys(payload).sort()) {
    const value = payload[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

export function formatEvent(input: EventInput, now: Date = new Date()): string {
  // Built in gt's struct field order; payload is omitted when empty (omitempty).
  const hasPayload = input.payload !== undefined && Object.keys(input.payload).length > 0;
  const event: TownEvent = {
    ts: rfc3339(now),
    source: 'gt',
    type: input.type,
    actor: input.actor,
    ...(hasPayload && input.payload !== undefined ? { payload: sortedPayload(input.payload) } : {}),
    visibility: input.visibility ?? 'feed',
  };
  return JSON.stringify(event);
}

/** Appends events in one write under the events lock. */
export async function appendEvents(root: string, events: readonly EventInput[]): Promise<void> {
  if (events.length === 0) return;
  const paths = townPaths(root);
  const lines = events.map((e) => `${formatEvent(e)}\n`).join('');
  await withLock(paths.eventsLock, () => appendFileSync(paths.events, lines));
}

export function readEvents(root: string): TownEvent[] {
  const path = townPaths(root).events;
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as TownEvent);
}

/**
 * Keeps the last `keep` lines by writing a new file and renaming it over the log (new inode),
 * as the gt daemon's hourly prune does. Returns how many lines were dropped.
 */
export async function pruneEvents(root: string, keep: number): Promise<number> {
  const paths = townPaths(root);
  return withLock(paths.eventsLock, () => {
    if (!existsSync(paths.events)) return 0;
    const lines = readFileSync(paths.events, 'utf8').split('\n').filter((l) => l !== '');
    const kept = keep > 0 ? lines.slice(-keep) : [];
    const tmp = `${paths.events}.prune.${process.pid}.tmp`;
    writeFileSync(tmp, kept.map((l) => `${l}\n`).join(''));
    renameSync(tmp, paths.events);
    return lines.length - kept.length;
  });
}
