// The README walkthrough, end to end: `gastown-operator run` as a user starts it (embedded API
// server, bundled simulator), driven only with the real kubectl; the town moves only through
// the simulator's own CLI (what an agent or a person at the `gt` prompt would do).
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { eventually } from '../../helpers/eventually.ts';
import { spawnLogged, type LoggedProcess } from '../../helpers/process.ts';

/** The walkthrough drives whole processes: a minute of patience, checked every 300 ms. */
const patiently = <T>(what: string, check: () => T | Promise<T>, timeoutMs = 60_000): Promise<Exclude<T, undefined | false>> =>
  eventually(what, check, timeoutMs, 300);

const exec = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../../..');
const KUBECTL = '/usr/bin/kubectl';

function startOperator(dataDir: string, home: string): LoggedProcess {
  return spawnLogged(process.execPath, [
    path.join(ROOT, 'src/main.ts'), 'run', '--simulate', '--data-dir', dataDir, '--sim-activity', 'off',
    '--sync-interval', '3s', '--metrics-addr', '127.0.0.1:0', '--health-addr', '127.0.0.1:0', '--log-format', 'json',
  ], {
    // No kubeconfig of the machine's may leak in: the walkthrough is the embedded default.
    env: { ...process.env, HOME: home, GT_SIM_NODE: process.execPath, KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '' },
  });
}


describe('README walkthrough: run, then drive it with kubectl', () => {
  let dir: string;
  let op: LoggedProcess;
  let kubeconfig: string;
  const kubectl = async (...args: string[]): Promise<string> =>
    (await exec(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { timeout: 30_000 })).stdout;
  const simTown = (): string => path.join(dir, 'data', 'sim-town');
  const sim = async (bin: 'gt-sim' | 'bd', ...args: string[]): Promise<string> =>
    (await exec(path.join(ROOT, 'sim/bin', bin), args, {
      env: { ...process.env, GT_TOWN_ROOT: simTown(), GT_SIM_NODE: process.execPath }, cwd: simTown(), timeout: 30_000,
    })).stdout;
  const jsonpath = async (resource: string, expr: string, ns = 'default'): Promise<string> =>
    kubectl('get', resource, '-n', ns, '-o', `jsonpath=${expr}`);
  const url = (what: string): string => {
    const m = new RegExp(`${what}:\\s+(http://\\S+?)(?:/metrics|/healthz)`).exec(op.stderr());
    assert.ok(m, `the ${what} URL is printed`);
    return m[1]!;
  };
  const scrape = async (): Promise<string> => (await fetch(`${url('metrics')}/metrics`)).text();
  const demoSeries = (text: string): string[] =>
    text.split('\n').filter((l) => l.startsWith('gastown_polecat_phase{') && l.includes('rig="gastown",name="demo",'));

  before(async () => {
    await exec(KUBECTL, ['version', '--client']); // fail loudly, never skip, without kubectl
    dir = await mkdtemp(path.join(tmpdir(), 'walkthrough-'));
    op = startOperator(path.join(dir, 'data'), dir);
    kubeconfig = await patiently('the kubectl line', () => /kubectl --kubeconfig (\S+) get gastown/.exec(op.stderr())?.[1]);
  });

  after(async () => {
    if (op.child.exitCode === null) op.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  test('announces the simulated town and the kubectl line', () => {
    assert.match(op.stderr(), /SIMULATED TOWN/);
    assert.equal(kubeconfig, path.join(dir, 'data', 'kubeconfig'));
  });

  test('the simulated rigs show as Operational Rigs', async () => {
    const phases = await patiently('three operational rigs', async () => {
      const out = await kubectl('get', 'rigs', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.phase}{"\\n"}{end}');
      const lines = out.trim().split('\n').filter(Boolean);
      return lines.length === 3 && lines.every((l) => l.endsWith('=Operational')) ? lines : undefined;
    });
    assert.deepEqual(phases.map((l) => l.split('=')[0]).sort(), ['beads', 'gastown', 'wasteland']);
    const table = await kubectl('get', 'rigs');
    assert.match(table, /^NAME\s+PHASE\s+POLECATS\s+CONVOYS\s+AGE/m);
  });

  test('a Convoy and a Polecat applied with kubectl are created in gt and progress to completion', async () => {
    const watch = spawn(KUBECTL, ['--kubeconfig', kubeconfig, 'get', 'polecats', '-n', 'default', '-w', '--output-watch-events'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let watched = '';
    watch.stdout.on('data', (c: Buffer) => { watched += c.toString(); });
    try {
      await exec(KUBECTL, ['--kubeconfig', kubeconfig, 'apply', '-f', path.join(ROOT, 'examples/walkthrough.yaml')]);
      const gtName = await patiently('the polecat to be Working with its gt name', async () => {
        const [phase, name] = (await jsonpath('polecat/demo', '{.status.phase} {.status.gtName}')).split(' ');
        return phase === 'Working' && name ? name : undefined;
      });
      const convoyId = await patiently('the convoy created in gt', async () => {
        const id = await jsonpath('convoy/demo', '{.status.beadsConvoyID}');
        return /^hq-cv-[0-9a-z]{5}$/.test(id) ? id : undefined;
      });
      const calls = (await sim('gt-sim', 'calls')).trim().split('\n').map((l) => JSON.parse(l) as { bin: string; args: string[] });
      assert.equal(calls.filter((c) => c.bin === 'gt' && c.args[0] === 'sling').length, 1, 'slung exactly once');
      assert.equal(calls.filter((c) => c.bin === 'gt' && c.args[0] === 'convoy' && c.args[1] === 'create').length, 1, 'one convoy');

      // The agent finishes its bead: gt (v1.2, the simulator's default) retires the polecat; the
      // Polecat goes Idle with reason Completed, the convoy moves to 1/2.
      await sim('gt-sim', 'done', `gastown/${gtName}`);
      // A sync cycle's reads are not one transaction: one that lists the polecat before `done`
      // and reads its bead after it shows Idle/BeadClosed for a cycle; the end state is Completed.
      await patiently('the polecat Idle/Completed', async () => (await jsonpath('polecat/demo', '{.status.phase} {.status.conditions[?(@.type=="Ready")].reason}')) === 'Idle Completed');
      assert.equal(await jsonpath('polecat/demo', '{.status.conditions[?(@.type=="Ready")].reason} {.status.beadStatus}'), 'Completed closed');
      await patiently('convoy progress 1/2', async () => (await jsonpath('convoy/demo', '{.status.progress}')) === '1/2');

      // The other bead is closed with bd (no event-log line): the convoy completes.
      await sim('bd', 'close', 'gt-ampfz');
      await patiently('the convoy Completed', async () => (await jsonpath('convoy/demo', '{.status.phase}')) === 'Completed');
      const all = await kubectl('get', 'gastown', '-n', 'default');
      assert.match(all, new RegExp(`convoy\\.gastown\\.gastown\\.io/demo\\s+Completed\\s+2/2\\s+${convoyId}`));
      assert.match(all, new RegExp(`polecat\\.gastown\\.gastown\\.io/demo\\s+gastown\\s+Idle\\s+gt-a61fl\\s+${gtName}`));
      assert.match(watched, /MODIFIED\s+demo\s+gastown\s+Working/, 'kubectl get -w saw the polecat change');
    } finally {
      watch.kill();
    }
  });

  test('deleting the Polecat of a polecat gt already retired needs no nuke, the view goes', async () => {
    // Before: the view's phase series are exported (Idle after gt done).
    const before = await patiently('the demo polecat exported as Idle', async () => {
      const series = demoSeries(await scrape());
      return series.includes('gastown_polecat_phase{rig="gastown",name="demo",phase="Idle"} 1') ? series : undefined;
    }, 30_000);
    assert.ok(before.includes('gastown_polecat_phase{rig="gastown",name="demo",phase="Working"} 0'), before.join('\n'));
    await kubectl('delete', 'polecat', 'demo', '-n', 'default', '--wait=false');
    await patiently('the Polecat removed', async () => (await kubectl('get', 'polecats', '-n', 'default', '-o', 'name')).includes('polecat.gastown.gastown.io/demo') ? undefined : true);
    const calls = (await sim('gt-sim', 'calls')).trim().split('\n').map((l) => JSON.parse(l) as { bin: string; args: string[] });
    const nukes = calls.filter((c) => c.bin === 'gt' && c.args[0] === 'polecat' && (c.args[1] === 'nuke' || c.args[1] === 'check-recovery'));
    assert.deepEqual(nukes, [], 'no check-recovery, no nuke: nothing is left in gt');
  });

  test('/readyz is ready and /metrics shows the scenario', async () => {
    const ready = await fetch(`${url('health')}/readyz`);
    assert.equal(ready.status, 200);
    // The deleted view's phase series are swept after the next town-sync snapshot (every 3 s):
    // the cardinality cleanup. The other series stay.
    const text = await patiently('the demo polecat phase series swept', async () => {
      const t = await scrape();
      return demoSeries(t).length === 0 ? t : undefined;
    }, 30_000);
    const value = (series: string): number | undefined => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    assert.deepEqual(demoSeries(text), [], 'gastown_polecat_phase{rig="gastown",name="demo",...} are gone');
    assert.equal(value('gastown_convoy_phase{namespace="default",name="demo",phase="Completed"}'), 1);
    assert.equal(value('gastown_rig_phase{rig="gastown",phase="Operational"}'), 1);
    assert.equal(value('gastown_gt_cli_calls_total{command="gt sling",result="success"}'), 1);
    assert.equal(value('gastown_gt_cli_calls_total{command="gt convoy create",result="success"}'), 1);
    assert.equal(value('gastown_gt_cli_calls_total{command="gt polecat nuke",result="success"}'), undefined, 'the retired polecat needed no nuke');
    assert.equal(value('gastown_gt_circuit_breaker_state{state="closed"}'), 1);
    assert.ok((value('gastown_reconcile_total{controller="polecat",result="success"}') ?? 0) > 0);
    assert.ok((value('gastown_gt_cli_calls_total{command="gt polecat list",result="success"}') ?? 0) > 0);
  });

  test('SIGTERM drains and exits 0', async () => {
    op.child.kill('SIGTERM');
    assert.equal(await op.exited, 0);
  });
});
