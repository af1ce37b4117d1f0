// Benchmark of the gt runner against the town simulator. Measures, does not assert:
//  1. overhead per call: `client.rigList()` (validation, limiter, breaker, spawn with
//     process group, capture, classification, zod parse) vs a bare `spawn` of the same
//     simulator command, interleaved in one run so machine drift hits both alike;
//  2. calls per second with the runner at its concurrency limit (default 4).
// Writes bench/results/gt-runner.md. Run: npm exec -- node bench/gt-runner.bench.ts
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTown } from '../sim/src/town.ts';
import { createGtClient, GT_CLIENT_DEFAULTS } from '../src/gt/index.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SIM_GT = path.join(repo, 'sim/bin/gt');
const SIM_BD = path.join(repo, 'sim/bin/bd');
const ARGS = ['rig', 'list', '--json'];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const THROUGHPUT_CALLS = Number(process.env.BENCH_CALLS ?? 40);

function bareSpawn(cwd: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(SIM_GT, ARGS, { cwd, env: { ...process.env, GT_TOWN_ROOT: cwd, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.resume();
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`exit ${code}`))));
  });
}

function stats(samples: number[]): { mean: number; median: number; p90: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { mean: samples.reduce((a, b) => a + b, 0) / samples.length, median: at(0.5), p90: at(0.9) };
}

const fmt = (n: number): string => n.toFixed(1);

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'gt-bench-town-'));
  try {
    await createTown(root, { seed: 3 });
    const client = createGtClient({ gtPath: SIM_GT, bdPath: SIM_BD, townRoot: root });
    // Warm-up: file-system caches and the simulator's module graph.
    await bareSpawn(root);
    await client.rigList();

    const bare: number[] = [];
    const runner: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      bare.push(await bareSpawn(root));
      const started = performance.now();
      await client.rigList();
      runner.push(performance.now() - started);
    }
    const b = stats(bare);
    const r = stats(runner);

    const started = performance.now();
    await Promise.all(Array.from({ length: THROUGHPUT_CALLS }, () => client.rigList()));
    const seconds = (performance.now() - started) / 1000;
    const callsPerSecond = THROUGHPUT_CALLS / seconds;

    const cpus = os.cpus();
    const report = `# gt runner benchmark

- Date: ${new Date().toISOString()}
- Machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${os.platform()} ${os.release()}, Node ${process.version}
- Command: simulator \`gt ${ARGS.join(' ')}\` on a seeded 2-rig town (each call starts a Node process)
- Rounds: ${ROUNDS} interleaved pairs; throughput: ${THROUGHPUT_CALLS} calls at concurrency ${GT_CLIENT_DEFAULTS.concurrency}

## Overhead per call (runner vs bare spawn, same run)

| | mean ms | median ms | p90 ms |
|---|---|---|---|
| bare \`spawn\` | ${fmt(b.mean)} | ${fmt(b.median)} | ${fmt(b.p90)} |
| \`client.rigList()\` (runner + parse) | ${fmt(r.mean)} | ${fmt(r.median)} | ${fmt(r.p90)} |

Ratio runner / bare (median): **${(r.median / b.median).toFixed(3)}** (mean: ${(r.mean / b.mean).toFixed(3)});
overhead ${fmt(r.median - b.median)} ms per call (median).

## Throughput at the concurrency limit

${THROUGHPUT_CALLS} concurrent \`rigList()\` calls, at most ${GT_CLIENT_DEFAULTS.concurrency} in flight: ${seconds.toFixed(2)} s, **${callsPerSecond.toFixed(1)} calls/s**.

The cost of a call is dominated by the child process start (here a Node process for the
simulator; the real gt is a Go binary plus Dolt queries), which is why the operator batches
reads (one \`gt status --json\`, one \`bd show\` for many ids).
`;
    writeFileSync(path.join(repo, 'bench/results/gt-runner.md'), report);
    console.log(report);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
