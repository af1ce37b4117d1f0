// The local node: an optional kubelet for the embedded API server that runs the pods scheduled
// to it as HOST PROCESSES — no isolation of any kind (no namespaces, cgroups or image
// filesystems), for tests, demos and single-machine trials. It says so: the Node carries the
// annotation and condition `gastown.gastown.io/no-isolation`, and a warning is logged at start.
//
// It registers a `Node`, schedules pods without `nodeName` to itself once their scheduling
// gates are gone (or leaves them Pending with PodScheduled=False/Unschedulable while the node
// is cordoned), runs the pods bound to it
// (pod-worker.ts) and reports their status through the status subresource. Deleting a pod it
// runs is graceful, as with a kubelet: the pod gets deletionTimestamp and
// deletionGracePeriodSeconds, its process groups get SIGTERM then SIGKILL after the grace
// period, and only then is the object removed. Stopping the node kills every pod process.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../observability/logger.ts';
import type { Core } from '../handlers/core.ts';
import { updateObject } from '../handlers/mutate.ts';
import { schedulingGates } from '../registry/defaults.ts';
import { metaString, newUid, nowTimestamp } from '../meta.ts';
import type { ResourceType } from '../registry/types.ts';
import type { KubeObject } from '../types.ts';
import type { Change } from '../watch/events.ts';
import { dict, type Dict } from './pod-spec.ts';
import { PodWorker, type PodHost } from './pod-worker.ts';

export const NO_ISOLATION = 'gastown.gastown.io/no-isolation';
const POD_KEY = '/pods';
const NODE_KEY = '/nodes';
const WRITE = { dryRun: false, fieldValidation: 'Ignore' as const, warnings: [] };

export interface LocalNodeOptions {
  /** Node name; default "local-node". */
  name?: string;
  /** Where pod directories (root, volumes, logs) live. */
  dir: string;
  /** Image name -> directory put first on the container's PATH. */
  images?: Readonly<Record<string, string>>;
  logger: Logger;
}

function decodeData(obj: KubeObject | undefined, binary: boolean): Record<string, Buffer> | undefined {
  if (obj === undefined) return undefined;
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(dict(obj.data))) if (typeof v === 'string') out[k] = binary ? Buffer.from(v, 'base64') : Buffer.from(v);
  for (const [k, v] of Object.entries(dict(obj.binaryData))) if (typeof v === 'string') out[k] = Buffer.from(v, 'base64');
  return out;
}

function asStrings(data: Record<string, Buffer> | undefined): Record<string, string> | undefined {
  return data === undefined ? undefined : Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.toString('utf8')]));
}

export class LocalNode {
  readonly name: string;
  private readonly core: Core;
  private readonly dir: string;
  private readonly images: Readonly<Record<string, string>>;
  private readonly logger: Logger;
  private readonly workers = new Map<string, PodWorker>();
  private readonly pending = new Set<string>();
  private stopped = false;

  constructor(core: Core, opts: LocalNodeOptions) {
    this.core = core;
    this.name = opts.name ?? 'local-node';
    this.dir = opts.dir;
    this.images = opts.images ?? {};
    this.logger = opts.logger.child({ node: this.name });
  }

  private type(resource: 'pods' | 'nodes'): ResourceType {
    const t = this.core.registry.lookup('', 'v1', resource);
    if (t === undefined) throw new Error(`the API server does not serve ${resource}`);
    return t;
  }

  start(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.logger.warn(`local node "${this.name}" runs pods as host processes WITHOUT ANY ISOLATION (tests and demos only)`);
    this.registerNode();
    this.core.gracefulDeletion = (type, stored) => this.graceFor(type, stored);
    this.core.onCommit((changes) => this.onChanges(changes));
    for (const pod of this.core.store.snapshot(POD_KEY, undefined).values()) this.enqueue(metaString(pod, 'namespace') ?? '', metaString(pod, 'name') ?? '');
  }

  /** Runs a pod's worker lookup for the API server's log/exec/attach handlers. */
  worker(namespace: string, name: string): PodWorker | undefined {
    return this.workers.get(`${namespace}/${name}`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.core.gracefulDeletion = undefined;
    await Promise.all([...this.workers.values()].map((w) => w.stop(0, 'NodeShutdown')));
    this.workers.clear();
  }

  private registerNode(): void {
    const existing = this.core.store.get(NODE_KEY, '', this.name);
    const status = {
      conditions: [
        { type: 'Ready', status: 'True', reason: 'LocalNodeReady', message: 'the embedded API server\'s local node runs pods as host processes', lastHeartbeatTime: nowTimestamp(), lastTransitionTime: nowTimestamp() },
        { type: 'NoIsolation', status: 'True', reason: 'HostProcesses', message: 'pods run as plain host processes: no namespaces, no cgroups, no image filesystems', lastHeartbeatTime: nowTimestamp(), lastTransitionTime: nowTimestamp() },
      ],
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: this.name }],
      nodeInfo: { kubeletVersion: 'gastown-local-node', operatingSystem: process.platform, architecture: process.arch, containerRuntimeVersion: 'host-process://' },
      capacity: { pods: '110' }, allocatable: { pods: '110' },
    };
    const meta = dict(existing?.metadata);
    const node: KubeObject = {
      apiVersion: 'v1', kind: 'Node',
      metadata: {
        ...meta, name: this.name, uid: meta.uid ?? newUid(), creationTimestamp: meta.creationTimestamp ?? nowTimestamp(),
        labels: { ...dict(meta.labels), 'kubernetes.io/hostname': this.name, 'kubernetes.io/os': process.platform },
        annotations: { ...dict(meta.annotations), [NO_ISOLATION]: 'true' },
      },
      spec: dict(existing?.spec),
      status,
    };
    this.core.commit([{ key: NODE_KEY, namespace: '', name: this.name, object: node }]);
  }

  private cordoned(): boolean {
    return dict(this.core.store.get(NODE_KEY, '', this.name)?.spec).unschedulable === true;
  }

  private graceFor(type: ResourceType, stored: KubeObject): number | undefined {
    if (type.storageKey !== POD_KEY || this.stopped) return undefined;
    const id = `${metaString(stored, 'namespace') ?? ''}/${metaString(stored, 'name') ?? ''}`;
    if (!this.workers.has(id)) return undefined;
    const spec = dict(stored.spec);
    return typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30;
  }

  private onChanges(changes: readonly Change[]): void {
    for (const c of changes) {
      if (c.key === POD_KEY) this.enqueue(c.namespace, c.name);
      if (c.key === NODE_KEY && c.name === this.name) {
        for (const pod of this.core.store.snapshot(POD_KEY, undefined).values()) {
          if (dict(pod.spec).nodeName === undefined) this.enqueue(metaString(pod, 'namespace') ?? '', metaString(pod, 'name') ?? '');
        }
      }
    }
  }

  /** Handles a pod after the current commit (commit hooks must not re-enter synchronously). */
  private enqueue(namespace: string, name: string): void {
    const id = `${namespace}/${name}`;
    if (this.pending.has(id) || this.stopped) return;
    this.pending.add(id);
    setImmediate(() => {
      this.pending.delete(id);
      try {
        this.sync(namespace, name);
      } catch (err) {
        this.logger.error({ err, pod: id }, 'local node could not handle the pod');
      }
    });
  }

  private sync(namespace: string, name: string): void {
    const id = `${namespace}/${name}`;
    const pod = this.core.store.get(POD_KEY, namespace, name);
    const worker = this.workers.get(id);
    if (worker !== undefined && (pod === undefined || metaString(pod, 'uid') !== worker.uid)) {
      this.retire(id, worker, 0);
      return;
    }
    if (pod === undefined) return;
    const meta = dict(pod.metadata);
    if (meta.deletionTimestamp !== undefined) {
      if (worker !== undefined) this.retire(id, worker, typeof meta.deletionGracePeriodSeconds === 'number' ? meta.deletionGracePeriodSeconds : 30);
      return;
    }
    const nodeName = dict(pod.spec).nodeName;
    if (nodeName === undefined || nodeName === '') return this.schedule(pod);
    if (nodeName !== this.name || worker !== undefined) return;
    const phase = dict(pod.status).phase;
    if (phase === 'Succeeded' || phase === 'Failed') return;
    this.run(pod);
  }

  private schedule(pod: KubeObject): void {
    const namespace = metaString(pod, 'namespace') ?? '';
    const name = metaString(pod, 'name') ?? '';
    // A gated pod waits (PodScheduled=False/SchedulingGated, set at create) until its gates are gone.
    if (schedulingGates(pod).length > 0) return;
    if (this.cordoned()) {
      const status = { ...dict(pod.status), phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: `0/1 nodes are available: 1 node(s) were unschedulable.`, lastProbeTime: null, lastTransitionTime: nowTimestamp() }] };
      const current = (dict(pod.status).conditions ?? []) as Dict[];
      if (current.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable')) return;
      updateObject(this.core, this.type('pods'), namespace, name, 'status', { ...pod, status }, WRITE);
      return;
    }
    updateObject(this.core, this.type('pods'), namespace, name, undefined, { ...pod, spec: { ...dict(pod.spec), nodeName: this.name } }, WRITE);
  }

  private run(pod: KubeObject): void {
    const namespace = metaString(pod, 'namespace') ?? '';
    const name = metaString(pod, 'name') ?? '';
    const secret = (ns: string, n: string): Record<string, Buffer> | undefined => decodeData(this.core.store.get('/secrets', ns, n), true);
    const configMap = (ns: string, n: string): Record<string, Buffer> | undefined => decodeData(this.core.store.get('/configmaps', ns, n), false);
    const host: PodHost = {
      volumeSources: (ns) => ({ secret: (n) => secret(ns, n), configMap: (n) => configMap(ns, n) }),
      envSources: (ns) => ({ secret: (n) => asStrings(secret(ns, n)), configMap: (n) => asStrings(configMap(ns, n)), field: () => undefined }),
      reportStatus: (ns, n, u, status) => this.reportStatus(ns, n, u, status),
      imageDir: (image) => this.images[image] ?? this.images[image.replace(/:[^/:]+$/, '')],
      logger: this.logger,
    };
    const worker = new PodWorker(pod, host, join(this.dir, metaString(pod, 'uid') ?? ''));
    this.workers.set(`${namespace}/${name}`, worker);
    this.logger.info({ pod: `${namespace}/${name}` }, 'starting pod');
    worker.start();
  }

  private reportStatus(namespace: string, name: string, uid: string, status: Dict): void {
    const pod = this.core.store.get(POD_KEY, namespace, name);
    if (pod === undefined || metaString(pod, 'uid') !== uid || dict(pod.metadata).deletionTimestamp !== undefined) return;
    updateObject(this.core, this.type('pods'), namespace, name, 'status', { ...pod, status }, WRITE);
  }

  /** Stops a pod's processes, then removes the object (if it is the same pod) and its directory. */
  private retire(id: string, worker: PodWorker, graceSeconds: number): void {
    void worker.stop(graceSeconds, 'Killing').then(() => {
      if (this.workers.get(id) === worker) this.workers.delete(id);
      const pod = this.core.store.get(POD_KEY, worker.namespace, worker.name);
      if (pod !== undefined && metaString(pod, 'uid') === worker.uid && dict(pod.metadata).deletionTimestamp !== undefined) {
        this.core.commit([{ key: POD_KEY, namespace: worker.namespace, name: worker.name, object: undefined }]);
      }
      rmSync(join(this.dir, worker.uid), { recursive: true, force: true });
      this.logger.info({ pod: id }, 'pod stopped and removed');
    });
  }
}
