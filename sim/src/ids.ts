// Randomness, ids, names and time formats shared by the simulator. Ids follow the real
// formats (`<prefix>-<5 of [0-9a-z]>`, convoys `hq-cv-<5>`) so argument validation in the
// operator is exercised for real; polecat names come from Gas Town's Mad Max name pool.

/** A seedable PRNG (mulberry32) returning floats in [0, 1). */
export type Rng = () => number;

export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const defaultRng: Rng = Math.random;

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

export function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

export function shortId(rng: Rng): string {
  let out = '';
  for (let i = 0; i < 5; i++) out += pick(rng, [...ALPHABET]);
  return out;
}

/** A fresh id `<prefix>-xxxxx` that is not a key of `taken`. */
export function freshId(prefix: string, taken: Record<string, unknown>, rng: Rng): string {
  for (;;) {
    const id = `${prefix}-${shortId(rng)}`;
    if (!(id in taken)) return id;
  }
}

const POLECAT_NAMES = [
  'furiosa', 'nux', 'slit', 'rictus', 'toast', 'capable', 'dag', 'cheedo', 'angharad',
  'morsov', 'ace', 'keeper', 'valkyrie', 'immortan', 'organic', 'corpus', 'scrotus', 'max',
] as const;

/** The first pool name not used in the rig, then `<name>-<n>` once the pool is exhausted. */
export function nextPolecatName(used: ReadonlySet<string>): string {
  for (let round = 0; ; round++) {
    for (const base of POLECAT_NAMES) {
      const name = round === 0 ? base : `${base}-${round + 1}`;
      if (!used.has(name)) return name;
    }
  }
}

/** RFC 3339 UTC to the second, as gt's event log and bd print. */
export function rfc3339(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** Go's "2006-01-02 15:04:05" in local time, no zone: how `gt polecat status` prints times. */
export function goLocalTime(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
