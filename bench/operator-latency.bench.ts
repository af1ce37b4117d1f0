// End-to-end latency and call budget of the whole operator (startOperator: embedded API server,
// controllers, town sync) against the simulator, measured from a change in the town to the
// Kubernetes view showing it. It measures; it does not assert.
//   1. gt/bd calls per sync cycle in steady state, with 1 and with 50 rigs (from the call log),
//      everything included (town sync plus any targeted controller call);
//   2. a change the event log carries (a sling outside Kubernetes) -> its discovered Polecat view;
//   3. changes it does not carry (`gt rig park`, `bd close`) -> Rig status / Convoy progress.
// Run: npm run bench:operator   -> bench/results/operator-latency.md
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { CONVOY_KIND, POLECAT_KIND, RIG_KIND } from '../src/api/kinds.ts';
import { silentLogger } from '../src/observability/logger.ts';
import type { OperatorConfig } from '../src/operator/config.ts';
import { startOperator, type RunningOperator } from '../src/operator/index.ts';
import type { KubeClient} from '../src/runtime/k8s.ts';
import { type KubeObject } from '../src/runtime/k8s.ts';
import { SIM_BD, SIM_GT } from '../src/town/select.ts';
import { addBead, clearCalls, closeBead, readCalls, setRigStatus, slingOutside } from '../sim/src/control.ts';
import { createTown } from '../sim/src/town.ts';

const SYNC_INTERVAL_MS = 10_000;
const ROUNDS = 5;

function config(townRoot: string, dataDir: string): OperatorConfig {
  return {
    town: { gtPath: SIM_GT, bdPath: SIM_BD, townRoot, simulated: true, reason: 'benchmark' },
    simActivityMs: 0, embedded: { force: true, dataDir, host: '127.0.0.1', port: 0 }, installCrds: true,
    discoveryNamespace: 'default', syncIntervalMs: SYNC_INTERVAL_MS, gtTimeoutMs: 30_000, gtConcurrency: 4,
    stuckThresholdMs: 900_000, escalationAddress: '{rig}/witness', escalationRepeatMs: 600_000, escalationMaxIntervalMs: 7_200_000, escalationMaxMails: 5, workers: 2, metricsAddr: '0', healthAddr: '0',
    leaderElection: { enabled: false, namespace: 'default', name: 'bench', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
    shutdownTimeoutMs: 5_000, logger: silentLogger(),
  };
}

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stats(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const median = s[Math.floor(s.length / 2)] ?? NaN;
  return `median ${(median / 1000).toFixed(2)} s, min ${((s[0] ?? NaN) / 1000).toFixed(2)} s, max ${((s.at(-1) ?? NaN) / 1000).toFixed(2)} s (n=${s.length})`;
}

async function withOperator<T>(rigs: number, body: (op: RunningOperator, town: string, kube: KubeClient) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-operator-'));
  const town = path.join(dir, 'town');
  await createTown(town, { rigs: Array.from({ length: rigs }, (_, i) => ({ name: `rig${i}`, prefix: `r${i}` })), polecatsPerRig: 2, beadsPerRig: 4, convoys: 1 });
  const op = await startOperator(config(town, path.join(dir, 'data')));
  try {
    const kube = op.manager.client;
    for (let i = 0; i < rigs; i++) {
      await kube.create(RIG_KIND, { apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Rig', metadata: { name: `rig${i}` }, spec: { localPath: path.join(town, `rig${i}`) } } as KubeObject);
    }
    await until(() => (op.manager.ready() ? true : undefined));
    return await body(op, town, kube);
  } finally {
    await op.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Calls per cycle in steady state: count calls over several full cycles. */
async function callsPerCycle(rigs: number): Promise<{ perCycle: number; byCommand: Record<string, number>; cycles: number }> {
  return withOperator(rigs, async (op, town) => {
    // Let discovery and the first reconciles settle: wait for two quiet cycles.
    let cycles = 0;
    op.townSync.observer.onSnapshot(() => { cycles++; });
    await until(() => (cycles >= 3 ? true : undefined));
    await new Promise((r) => setTimeout(r, 2_000));
    clearCalls(town);
    const start = cycles;
    await until(() => (cycles >= start + 4 ? true : undefined), 120_000);
    const counted = cycles - start;
    const calls = readCalls(town);
    const byCommand: Record<string, number> = {};
    for (const c of calls) {
      const label = `${c.bin} ${c.args.filter((a) => !a.startsWith('-')).slice(0, 2).join(' ')}`.replace(/ [a-z0-9]+-[0-9a-z]{3,}.*$/, ' <ids>');
      byCommand[label] = (byCommand[label] ?? 0) + 1;
    }
    return { perCycle: calls.length / counted, byCommand, cycles: counted };
  });
}

async function latencies(): Promise<{ logged: number[]; park: number[]; close: number[] }> {
  return withOperator(3, async (_op, town, kube) => {
    const logged: number[] = [];
    const park: number[] = [];
    const close: number[] = [];
    const convoy = { apiVersion: 'gastown.gastown.io/v1alpha1', kind: 'Convoy', metadata: { name: 'bench', namespace: 'default' }, spec: { trackedBeads: [] as string[] } };
    for (let i = 0; i < ROUNDS; i++) convoy.spec.trackedBeads.push(await addBead(town, { rig: 'rig1', title: `bench ${i}` }));
    await kube.create(CONVOY_KIND, convoy);
    await until(async () => ((await kube.get<KubeObject & { status?: { progress?: string } }>(CONVOY_KIND, { namespace: 'default', name: 'bench' }))?.status?.progress === `0/${ROUNDS}` ? true : undefined));
    for (let i = 0; i < ROUNDS; i++) {
      // Spread the changes over the sync period so the non-logged ones are not phase-locked to it.
      await new Promise((r) => setTimeout(r, 1_000 + Math.random() * SYNC_INTERVAL_MS));
      const bead = await addBead(town, { rig: 'rig2', title: `outside ${i}` });
      let t0 = Date.now();
      const { polecat } = await slingOutside(town, bead, 'rig2', { convoy: false });
      await until(async () => (await kube.list<KubeObject & { status?: { gtName?: string; rig?: string } }>(POLECAT_KIND)).items
        .find((p) => p.status?.gtName === polecat && p.status.rig === 'rig2' && p.metadata?.labels?.['gastown.gastown.io/discovered'] === 'true'));
      logged.push(Date.now() - t0);

      await new Promise((r) => setTimeout(r, Math.random() * SYNC_INTERVAL_MS));
      const state = i % 2 === 0 ? 'parked' : 'operational';
      t0 = Date.now();
      await setRigStatus(town, 'rig0', state);
      await until(async () => ((await kube.get<KubeObject & { status?: { operationalState?: string } }>(RIG_KIND, { name: 'rig0' }))?.status?.operationalState === state ? true : undefined));
      park.push(Date.now() - t0);

      await new Promise((r) => setTimeout(r, Math.random() * SYNC_INTERVAL_MS));
      t0 = Date.now();
      await closeBead(town, convoy.spec.trackedBeads[i]!);
      await until(async () => ((await kube.get<KubeObject & { status?: { progress?: string } }>(CONVOY_KIND, { namespace: 'default', name: 'bench' }))?.status?.progress === `${i + 1}/${ROUNDS}` ? true : undefined));
      close.push(Date.now() - t0);
    }
    return { logged, park, close };
  });
}

const one = await callsPerCycle(1);
const fifty = await callsPerCycle(50);
const lat = await latencies();
const fmt = (r: typeof one): string => Object.entries(r.byCommand).sort().map(([k, v]) => `\`${k}\` ${(v / r.cycles).toFixed(2)}`).join(', ');
const report = `# Operator end to end: calls per sync cycle and change-to-view latency

Measured ${new Date().toISOString().slice(0, 10)} on this machine (${cpus().length} cores, Node ${process.versions.node}),
the whole operator (startOperator: embedded API server, controllers, town sync) against the bundled
simulator, sync interval ${SYNC_INTERVAL_MS / 1000} s. Every simulator call is a process start (~0.1-0.3 s).

## gt/bd calls per sync cycle, steady state (town sync + controllers)
| town | calls per cycle | by command (per cycle) |
|---|---|---|
| 1 rig, 2 polecats | ${one.perCycle.toFixed(2)} | ${fmt(one)} |
| 50 rigs, 100 polecats | ${fifty.perCycle.toFixed(2)} | ${fmt(fifty)} |

## Change in the town -> the Kubernetes view shows it
| change | carried by the event log | latency |
|---|---|---|
| sling outside Kubernetes -> discovered Polecat view with its gt name | yes | ${stats(lat.logged)} |
| \`gt rig park\` / unpark -> Rig \`status.operationalState\` | no | ${stats(lat.park)} |
| \`bd close\` of a tracked bead -> Convoy \`status.progress\` | no | ${stats(lat.close)} |

Changes the log carries trigger a sync within a second (debounced); the others wait for the
next periodic cycle (${SYNC_INTERVAL_MS / 1000} s), so their latency is spread between one cycle's duration and the interval plus one cycle.
`;
await writeFile(path.join(import.meta.dirname, 'results', 'operator-latency.md'), report);
process.stdout.write(report);
