// Town sync benchmark, against the simulator through real processes:
// 1. gt/bd calls per sync cycle with 1 and with 50 rigs (from the simulator's call log), and
//    the cycle's wall time;
// 2. time from a change in the simulated town to the snapshot showing it, for a change the
//    event log carries (a sling) and one it does not (a park), at the default interval.
// Run: npm exec -- node bench/town-sync.bench.ts [--out bench/results/town-sync.md]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { TownSync } from '../src/controllers/town-sync/index.ts';
import { TOWN_SYNC_DEFAULTS, TownObserver } from '../src/controllers/town-sync/observer.ts';
import type { TownSnapshot } from '../src/controllers/town-sync/snapshot.ts';
import { createGtClient } from '../src/gt/index.ts';
import { addBead, clearCalls, readCalls, setRigStatus, slingOutside } from '../sim/src/control.ts';
import { createTown, type CreateTownOptions } from '../sim/src/town.ts';

const repo = path.resolve(import.meta.dirname, '..');
const dirs: string[] = [];

async function town(opts: CreateTownOptions): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gt-bench-'));
  dirs.push(dir);
  const root = path.join(dir, 'town');
  await createTown(root, opts);
  return root;
}

const client = (root: string) => createGtClient({ gtPath: path.join(repo, 'sim/bin/gt'), bdPath: path.join(repo, 'sim/bin/bd'), townRoot: root });
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function callsPerCycle(rigCount: number): Promise<{ calls: string[]; cycleMs: number[] }> {
  const rigs = Array.from({ length: rigCount }, (_, i) => ({ name: `rig${i}`, prefix: `r${i}` }));
  const root = await town({ rigs, polecatsPerRig: 2, beadsPerRig: 3, convoys: Math.min(rigCount, 20), seed: 2 });
  const observer = new TownObserver({ client: client(root), townRoot: root, intervalMs: 30_000 });
  const stop = new AbortController();
  const running = observer.run(stop.signal);
  await observer.syncNow('warm up');
  const cycleMs: number[] = [];
  let calls: string[] = [];
  for (let i = 0; i < 5; i++) {
    clearCalls(root);
    const started = performance.now();
    const snap = await observer.syncNow('measured');
    cycleMs.push(performance.now() - started);
    if (!snap.ok) throw snap.error;
    calls = readCalls(root).map((c) => `${c.bin} ${c.args.filter((a) => !/^[a-z0-9]+-[a-z0-9]+/.test(a)).join(' ')}`).sort();
  }
  stop.abort();
  await running;
  return { calls, cycleMs };
}

async function until(sync: TownSync, test: (s: TownSnapshot) => boolean): Promise<number> {
  const started = performance.now();
  for (;;) {
    const s = sync.observer.current();
    if (s && test(s)) return performance.now() - started;
    if (performance.now() - started > 60_000) throw new Error('change never showed');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function latencies(trials: number): Promise<{ logged: number[]; unlogged: number[] }> {
  const root = await town({ seed: 8, polecatsPerRig: 1, convoys: 1 });
  const sync = new TownSync({ gt: client(root), townRoot: root });
  const stop = new AbortController();
  const running = sync.run(stop.signal);
  await sync.observer.syncNow('start');
  const logged: number[] = [];
  const unlogged: number[] = [];
  for (let i = 0; i < trials; i++) {
    const bead = await addBead(root, { rig: 'gastown', title: `bench ${i}` });
    await sync.observer.syncNow('bead');
    // Start the clock at a random point of the interval, as a real change would land.
    await new Promise((r) => setTimeout(r, Math.random() * 2_000));
    const started = performance.now();
    const { polecat } = await slingOutside(root, bead, 'gastown', { convoy: false });
    await until(sync, (s) => s.ok && s.polecats.get(`gastown/${polecat}`)?.issue === bead);
    logged.push(performance.now() - started);

    const target = i % 2 === 0 ? 'parked' : 'operational';
    // A non-logged change lands anywhere in the interval: sample its phase uniformly.
    await new Promise((r) => setTimeout(r, Math.random() * TOWN_SYNC_DEFAULTS.intervalMs));
    const t0 = performance.now();
    await setRigStatus(root, 'beads', target);
    await until(sync, (s) => s.ok && s.rigs.get('beads')?.status.kind === target);
    unlogged.push(performance.now() - t0);
  }
  stop.abort();
  await running;
  return { logged, unlogged };
}

const fmt = (xs: number[]): string => `median ${Math.round(median(xs))} ms, min ${Math.round(Math.min(...xs))} ms, max ${Math.round(Math.max(...xs))} ms (n=${xs.length})`;

// The runtime's timers are unref'd (they never keep a process alive on their own): hold it open.
const keepAlive = setInterval(() => undefined, 1_000);
try {
  const one = await callsPerCycle(1);
  const fifty = await callsPerCycle(50);
  const lat = await latencies(6);
  const lines = [
    '# Town sync benchmark',
    '',
    `Simulator through real processes (one gt/bd call is a Node start, ~60-150 ms), ${cpus().length} CPUs, Node ${process.version}.`,
    `Run: \`npm exec -- node bench/town-sync.bench.ts --out bench/results/town-sync.md\`.`,
    '',
    '## gt/bd calls per sync cycle (from `<town>/.sim/calls.jsonl`)',
    '',
    '| rigs | calls per cycle | commands | cycle wall time |',
    '|---|---|---|---|',
    `| 1 | ${one.calls.length} | ${one.calls.join(', ')} | ${fmt(one.cycleMs)} |`,
    `| 50 | ${fifty.calls.length} | ${fifty.calls.join(', ')} | ${fmt(fifty.cycleMs)} |`,
    '',
    '(2 polecats per rig; the 50-rig `bd show` carries every hooked and tracked bead in one call.)',
    '',
    `## Time from a change in the town to the snapshot showing it (interval ${TOWN_SYNC_DEFAULTS.intervalMs / 1000} s, debounce ${TOWN_SYNC_DEFAULTS.debounceMs} ms)`,
    '',
    '| change | signal | time to show |',
    '|---|---|---|',
    `| \`gt sling\` outside Kubernetes | event log line (fs.watch, 500 ms poll fallback) | ${fmt(lat.logged)} |`,
    `| \`gt rig park\` / unpark, landing at a random point of the interval | none (periodic read) | ${fmt(lat.unlogged)} |`,
    '',
    'A view (Rig, Polecat status) follows one reconcile after the snapshot: the composition root',
    'enqueues the affected keys from `onChange`, and a reconcile reads the snapshot without gt calls.',
    '',
  ];
  const text = lines.join('\n');
  console.log(text);
  const outIndex = process.argv.indexOf('--out');
  const out = outIndex > 0 ? process.argv[outIndex + 1] : undefined;
  if (out) writeFileSync(path.resolve(out), text);
} finally {
  clearInterval(keepAlive);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
