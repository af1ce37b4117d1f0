// Test bed of the Polecat and Convoy controller integration tests: the embedded API server
// with the gastown CRDs installed, a simulated town driven through the real GtClient and the
// sim/bin executables, the real town observer (town sync's TownView), the runtime's status
// writer and finalizer helper. Reconciles are called directly, each on the object as the API
// server has it now (what an up-to-date informer cache would hold), so a test controls
// exactly when a reconcile runs and when the "operator" restarts (a new reconciler).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildCrds } from '../../../src/api/index.ts';
import { TownObserver } from '../../../src/controllers/town-sync/observer.ts';
import { createGtClient, type GtClient } from '../../../src/gt/index.ts';
import { crdKind } from '../../../src/runtime/crd-watch.ts';
import { KubeClient, refFromKey, type KubeObject, type ResourceKind } from '../../../src/runtime/k8s.ts';
import { StatusWriter, type WithStatus } from '../../../src/runtime/status.ts';
import { readCalls, type CallRecord } from '../../../sim/src/control.ts';
import { createTown, type CreateTownOptions } from '../../../sim/src/town.ts';
import { startTestApiServer, type TestApiServer } from '../../helpers/apiserver.ts';
import { eventually } from '../../helpers/eventually.ts';

const repo = path.resolve(import.meta.dirname, '../../..');

export interface RecordedEvent {
  readonly object: string;
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

export interface Bed {
  readonly api: TestApiServer;
  readonly kube: KubeClient;
  readonly root: string;
  readonly gt: GtClient;
  readonly observer: TownObserver;
  readonly events: RecordedEvent[];
  /** The object as the API server has it now. */
  fetch<T extends KubeObject>(kind: ResourceKind, key: string): Promise<T | undefined>;
  /** gt/bd calls the simulator logged whose argv starts with `prefix`. */
  calls(...prefix: string[]): CallRecord[];
  close(): Promise<void>;
}

/** `town` overrides the simulated town's shape (default: no polecats, no convoys). */
export async function startBed(town: CreateTownOptions = {}): Promise<Bed> {
  const api = await startTestApiServer();
  const kube = new KubeClient(api.kubeConfig);
  for (const crd of buildCrds()) await kube.create(crdKind, crd);
  const dir = mkdtempSync(path.join(tmpdir(), 'gt-ctl-'));
  const root = path.join(dir, 'town');
  await createTown(root, { seed: 11, polecatsPerRig: 0, convoys: 0, ...town });
  const gt = createGtClient({ gtPath: path.join(repo, 'sim/bin/gt'), bdPath: path.join(repo, 'sim/bin/bd'), townRoot: root });
  const observer = new TownObserver({ client: gt, townRoot: root, intervalMs: 30_000 });
  const stop = new AbortController();
  const running = observer.run(stop.signal);
  await observer.syncNow('test start');
  const events: RecordedEvent[] = [];
  return {
    api,
    kube,
    root,
    gt,
    observer,
    events,
    fetch: <T extends KubeObject>(kind: ResourceKind, key: string) => kube.get<T>(kind, refFromKey(key)),
    calls: (...prefix: string[]) => readCalls(root).filter((c) => prefix.every((p, i) => c.args[i] === p)),
    close: async () => {
      stop.abort();
      await running;
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until the API server serves `kind` (CRDs are established asynchronously). */
export async function served(kube: KubeClient, kind: ResourceKind, namespace = 'default'): Promise<void> {
  await eventually(`${kind.plural} to be served`, async () => (await kube.list(kind, { namespace }), true), 10_000);
}

/** An event sink that keeps what a controller recorded. */
export function eventSink(events: RecordedEvent[]): { event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void } {
  return {
    event(obj, type, reason, message) {
      events.push({ object: `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`, type, reason, message });
    },
  };
}

/**
 * A status writer that loses its first `drop` writes, as if the operator crashed right after
 * acting on gt and before its status write reached the API server.
 */
export function droppingWriter<S extends object>(kube: KubeClient, kind: ResourceKind, drop: number): { write<T extends WithStatus<S>>(obj: T, status: S): Promise<T | undefined>; dropped(): number } {
  const real = new StatusWriter<S>({ client: kube, kind });
  let dropped = 0;
  return {
    write: async <T extends WithStatus<S>>(obj: T, status: S) => {
      if (dropped < drop) {
        dropped += 1;
        return undefined;
      }
      return real.write(obj, status);
    },
    dropped: () => dropped,
  };
}
