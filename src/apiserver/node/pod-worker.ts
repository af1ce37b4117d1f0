// One pod on the local node, from volumes to its final phase: init containers one after the
// other, then the containers together, each restarted as `restartPolicy` says, the pod failed at
// `activeDeadlineSeconds`, and a kubelet-shaped status reported after every change (phase,
// conditions, container statuses with running/terminated states, restart counts, last states).
// A volume whose Secret or ConfigMap does not exist yet keeps the pod Pending with its
// containers in ContainerCreating, retried until it appears, as the kubelet does.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../observability/logger.ts';
import { ContainerProcess, type ExitInfo } from './container.ts';
import {
  containerArgv, containerEnv, dict, EnvError, pathRewriter, podContainers, podField, str, type ContainerSpec, type Dict, type EnvSources,
} from './pod-spec.ts';
import { linkMounts, materializeVolumes, MissingSourceError, VolumeError, type VolumeSources } from './volumes.ts';

export interface PodHost {
  envSources(namespace: string): EnvSources;
  volumeSources(namespace: string): VolumeSources;
  /** Writes the pod's status (if the pod with this uid still exists). */
  reportStatus(namespace: string, name: string, uid: string, status: Dict): void;
  /** The directory an image name maps to (put first on PATH), if any. */
  imageDir(image: string): string | undefined;
  logger: Logger;
}

type State = { waiting: { reason: string; message?: string } } | { running: { startedAt: string } } | { terminated: Dict };

interface ContainerSlot {
  spec: ContainerSpec;
  init: boolean;
  restartCount: number;
  state: State;
  lastState: State | Record<string, never>;
  current: ContainerProcess | undefined;
  ready: boolean;
}

/** How often a volume whose Secret or ConfigMap is missing is tried again. */
const MOUNT_RETRY_MS = 250;
const RESTART_BACKOFF_MS = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000];
const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export class PodWorker {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  private readonly pod: Dict;
  private readonly host: PodHost;
  private readonly root: string;
  private readonly slots = new Map<string, ContainerSlot>();
  private phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' = 'Pending';
  private reason: string | undefined;
  private message: string | undefined;
  private readonly startTime = now();
  private stopping: Promise<void> | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private readonly transitions = new Map<string, string>();

  constructor(pod: Dict, host: PodHost, root: string) {
    this.pod = pod;
    this.host = host;
    const meta = dict(pod.metadata);
    this.namespace = str(meta.namespace);
    this.name = str(meta.name);
    this.uid = str(meta.uid);
    this.root = root;
    const { init, main } = podContainers(pod);
    for (const [specs, isInit] of [[init, true], [main, false]] as const) {
      for (const spec of specs) {
        this.slots.set(spec.name, { spec, init: isInit, restartCount: 0, state: { waiting: { reason: isInit ? 'PodInitializing' : 'ContainerCreating' } }, lastState: {}, current: undefined, ready: false });
      }
    }
  }

  get rootfs(): string {
    return join(this.root, 'rootfs');
  }

  /** The running process of a container (for exec's environment and attach). */
  container(name: string | undefined): { slot: ContainerSlot; process: ContainerProcess | undefined } | undefined {
    const slot = name === undefined || name === '' ? [...this.slots.values()].find((s) => !s.init) : this.slots.get(name);
    return slot === undefined ? undefined : { slot, process: slot.current };
  }

  containerNames(): string[] {
    return [...this.slots.keys()];
  }

  logPath(container: string, restart: number): string {
    return join(this.root, 'logs', `${container}-${restart}.log`);
  }

  restartCountOf(container: string): number {
    return this.slots.get(container)?.restartCount ?? 0;
  }

  /** The argv/env/cwd a process in this container gets (exec uses it as well). */
  launchFor(spec: ContainerSpec): { env: Record<string, string>; cwd: string; rewrite: (v: string) => string } {
    const rewrite = pathRewriter(this.rootfs, spec);
    const sources = this.host.envSources(this.namespace);
    const fieldSources: EnvSources = { ...sources, field: (p) => podField({ ...this.pod, status: { podIP: '127.0.0.1', hostIP: '127.0.0.1' } }, p) };
    const env = containerEnv(spec, fieldSources);
    const imageDir = this.host.imageDir(spec.image);
    const base: Record<string, string> = {
      PATH: [imageDir, process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'].filter((p) => p !== undefined).join(':'),
      HOME: this.rootfs,
      HOSTNAME: this.name,
      POD_ROOT: this.rootfs,
    };
    for (const [k, v] of env) base[k] = rewrite(v);
    const cwd = spec.workingDir === undefined ? this.rootfs : rewrite(spec.workingDir);
    mkdirSync(cwd, { recursive: true });
    return { env: base, cwd, rewrite };
  }

  start(): void {
    void this.run().catch((err: unknown) => {
      this.host.logger.error({ err, pod: `${this.namespace}/${this.name}` }, 'pod worker failed');
      this.finish('Failed', 'NodeError', err instanceof Error ? err.message : String(err));
    });
  }

  private async run(): Promise<void> {
    const volumesDir = join(this.root, 'volumes');
    mkdirSync(join(this.root, 'logs'), { recursive: true, mode: 0o700 });
    mkdirSync(this.rootfs, { recursive: true });
    const deadlineSeconds = dict(this.pod.spec).activeDeadlineSeconds;
    if (typeof deadlineSeconds === 'number' && deadlineSeconds > 0) {
      this.deadline = setTimeout(() => void this.stop(0, 'DeadlineExceeded', `Pod was active on the node longer than the specified deadline`), deadlineSeconds * 1000);
    }
    if (!(await this.mountVolumes(volumesDir))) return;
    this.report();
    for (const slot of this.slots.values()) {
      if (!slot.init || this.stopping !== undefined) continue;
      const ok = await this.runToSuccess(slot);
      if (!ok) return;
    }
    if (this.stopping !== undefined) return;
    this.phase = 'Running';
    const mains = [...this.slots.values()].filter((s) => !s.init);
    const results = await Promise.all(mains.map((slot) => this.runMain(slot)));
    if (this.stopping !== undefined) return;
    this.finish(results.every((code) => code === 0) ? 'Succeeded' : 'Failed');
  }

  /** Volumes and mounts; waits while a source is missing. False when the pod failed or is stopping. */
  private async mountVolumes(volumesDir: string): Promise<boolean> {
    for (;;) {
      try {
        materializeVolumes(this.pod, volumesDir, this.host.volumeSources(this.namespace));
        for (const slot of this.slots.values()) linkMounts(slot.spec, this.rootfs, volumesDir);
        return true;
      } catch (err) {
        if (!(err instanceof VolumeError)) throw err;
        if (!(err instanceof MissingSourceError)) {
          this.report();
          this.finish('Failed', 'FailedMount', err.message);
          return false;
        }
        if (this.stopping !== undefined) return false;
        for (const slot of this.slots.values()) {
          slot.state = { waiting: { reason: slot.init ? 'PodInitializing' : 'ContainerCreating', message: `MountVolume.SetUp failed: ${err.message}` } };
        }
        this.report();
        await new Promise((r) => setTimeout(r, MOUNT_RETRY_MS));
      }
    }
  }

  private restartPolicy(): string {
    const p = dict(this.pod.spec).restartPolicy;
    return typeof p === 'string' ? p : 'Always';
  }

  /** Runs an init container until it succeeds (or the pod fails, with restartPolicy Never). */
  private async runToSuccess(slot: ContainerSlot): Promise<boolean> {
    for (;;) {
      const exit = await this.runOnce(slot);
      if (exit === undefined) return false;
      if (exit.exitCode === 0) return true;
      if (this.restartPolicy() === 'Never') {
        this.finish('Failed', 'InitContainerFailed', `init container ${slot.spec.name} exited with ${exit.exitCode}`);
        return false;
      }
      if (!(await this.backoff(slot))) return false;
    }
  }

  private async runMain(slot: ContainerSlot): Promise<number> {
    for (;;) {
      const exit = await this.runOnce(slot);
      if (exit === undefined) return 1;
      const policy = this.restartPolicy();
      const again = policy === 'Always' || (policy === 'OnFailure' && exit.exitCode !== 0);
      if (!again) return exit.exitCode;
      if (!(await this.backoff(slot))) return exit.exitCode;
    }
  }

  private async backoff(slot: ContainerSlot): Promise<boolean> {
    slot.lastState = slot.state;
    slot.restartCount += 1;
    slot.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off restarting container ${slot.spec.name}` } };
    this.report();
    await new Promise((r) => setTimeout(r, RESTART_BACKOFF_MS[Math.min(slot.restartCount - 1, RESTART_BACKOFF_MS.length - 1)]));
    return this.stopping === undefined;
  }

  /** One run of a container; undefined when it could not start (the pod has failed then). */
  private async runOnce(slot: ContainerSlot): Promise<ExitInfo | undefined> {
    let launch: ReturnType<PodWorker['launchFor']>;
    try {
      launch = this.launchFor(slot.spec);
    } catch (err) {
      if (!(err instanceof EnvError)) throw err;
      slot.state = { waiting: { reason: 'CreateContainerConfigError', message: err.message } };
      this.finish('Failed', 'CreateContainerConfigError', `${slot.spec.name}: ${err.message}`);
      return undefined;
    }
    const argv = containerArgv(slot.spec, launch.rewrite);
    if (argv.length === 0) {
      slot.state = { waiting: { reason: 'CreateContainerError', message: 'no command: the local node has no image entrypoints, give command or args' } };
      this.finish('Failed', 'CreateContainerError', `${slot.spec.name}: no command or args`);
      return undefined;
    }
    const proc = new ContainerProcess({
      argv, env: launch.env, cwd: launch.cwd, tty: slot.spec.tty, stdin: slot.spec.stdin, logPath: this.logPath(slot.spec.name, slot.restartCount),
      ...(slot.spec.memoryLimitBytes === undefined ? {} : { memoryLimitBytes: slot.spec.memoryLimitBytes }),
    });
    slot.current = proc;
    const startedAt = proc.startedAt.toISOString().replace(/\.\d+Z$/, 'Z');
    slot.state = { running: { startedAt } };
    slot.ready = !slot.init;
    this.report();
    const exit = await proc.exited;
    slot.ready = false;
    slot.state = { terminated: { exitCode: exit.exitCode, reason: exit.reason, startedAt, finishedAt: now(), containerID: `local://${proc.child.pid ?? 0}`, ...(exit.signal === null ? {} : { signal: exit.signal }) } };
    this.report();
    return exit;
  }

  private finish(phase: 'Succeeded' | 'Failed', reason?: string, message?: string): void {
    if (this.phase === 'Succeeded' || this.phase === 'Failed') return;
    this.phase = phase;
    this.reason = reason;
    this.message = message;
    if (this.deadline !== undefined) clearTimeout(this.deadline);
    this.report();
  }

  /** Stops every container (SIGTERM, SIGKILL after the grace period); the pod ends Failed with `reason`. */
  stop(graceSeconds: number, reason: string, message?: string): Promise<void> {
    this.stopping ??= (async () => {
      if (this.deadline !== undefined) clearTimeout(this.deadline);
      const running = [...this.slots.values()].map((s) => s.current).filter((p): p is ContainerProcess => p?.running === true);
      await Promise.all(running.map((p) => p.stop(graceSeconds, reason)));
      if (reason === 'DeadlineExceeded') this.finish('Failed', reason, message);
    })();
    return this.stopping;
  }

  private condition(type: string, ok: boolean): Dict {
    const status = ok ? 'True' : 'False';
    const key = `${type}=${status}`;
    if (!this.transitions.has(key)) {
      this.transitions.delete(`${type}=${ok ? 'False' : 'True'}`);
      this.transitions.set(key, now());
    }
    return { type, status, lastProbeTime: null, lastTransitionTime: this.transitions.get(key) };
  }

  private containerStatus(slot: ContainerSlot): Dict {
    return {
      name: slot.spec.name, image: slot.spec.image, imageID: '', containerID: slot.current === undefined ? undefined : `local://${slot.current.child.pid ?? 0}`,
      ready: slot.ready, started: 'running' in slot.state, restartCount: slot.restartCount, state: slot.state, lastState: slot.lastState,
    };
  }

  private report(): void {
    const slots = [...this.slots.values()];
    const inits = slots.filter((s) => s.init);
    const mains = slots.filter((s) => !s.init);
    const initialized = inits.every((s) => 'terminated' in s.state && s.state.terminated.exitCode === 0);
    const ready = this.phase !== 'Succeeded' && this.phase !== 'Failed' && mains.every((s) => s.ready);
    const status: Dict = {
      phase: this.phase,
      conditions: [this.condition('PodScheduled', true), this.condition('Initialized', initialized), this.condition('ContainersReady', ready), this.condition('Ready', ready)],
      hostIP: '127.0.0.1', hostIPs: [{ ip: '127.0.0.1' }], podIP: '127.0.0.1', podIPs: [{ ip: '127.0.0.1' }],
      startTime: this.startTime, qosClass: 'BestEffort',
      containerStatuses: mains.map((s) => this.containerStatus(s)),
    };
    if (inits.length > 0) status.initContainerStatuses = inits.map((s) => this.containerStatus(s));
    if (this.reason !== undefined) status.reason = this.reason;
    if (this.message !== undefined) status.message = this.message;
    this.host.reportStatus(this.namespace, this.name, this.uid, JSON.parse(JSON.stringify(status)) as Dict);
  }
}
