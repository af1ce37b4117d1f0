// `gastown-operator session -- <agent argv>`: a polecat's session, run by gt in the tmux pane
// through the rig's `runtime.exec_wrapper`, whose agent runs in a Kubernetes Pod
// (docs/pod-execution.md). It checks who it speaks for (gt's env), reads the Rig view's
// `spec.execution`, makes sure exactly one session pod exists (created behind the capacity
// gate when the rig has `maxPods`; the operator admits it), attaches the pane to the agent's TTY, re-attaches when the stream drops, deletes
// the pod when the pane is closed (SIGHUP/SIGTERM/SIGINT), and returns the agent's exit code.
//
// Guarantees: nothing is created before every input is valid; no shell; nothing secret is
// printed (the wrapper never holds a certificate or a Secret); an operator restart does not
// concern it at all (the stream goes to the API server), and an API server outage only delays
// it (every transient failure is retried with backoff, with one line in the pane).
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { PaneSession, type Pane } from '../execution/session-attach.ts';
import { defaultRigViewName, readBranch, sessionIdentity, validBranch, type SessionIdentity } from '../execution/session-identity.ts';
import { buildSessionPod } from '../execution/session-pod.ts';
import { isFinished, isTransient, podProgress, SessionPods, type PodExecution, type PodProgress } from '../execution/session-pods.ts';
import { toKubeApiError } from '../runtime/k8s.ts';
import { resolveKubeConfig } from '../runtime/kubeconfig.ts';

export interface SessionFlags {
  rigView?: string;
  namespace: string;
  branch?: string;
  kubeconfig?: string;
  waitInterval: number;
  keepalive: number;
}

/** Exit code of input refused before any pod (as a usage error). */
export const EXIT_REFUSED = 2;
/** Exit code when the session ended without an agent exit code (pod failed or deleted). */
export const EXIT_NO_AGENT_CODE = 1;
const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
type PaneSignal = keyof typeof SIGNAL_NUMBERS;
const DELETE_TIMEOUT_MS = 5_000;
const BACKOFF_START_MS = 100;
const BACKOFF_MAX_MS = 5_000;
/** An attach that stayed open this long resets the re-attach backoff. */
const STABLE_ATTACH_MS = 10_000;

class Refused extends Error {
  override readonly name = 'Refused';
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Plan {
  readonly identity: SessionIdentity;
  readonly namespace: string;
  readonly execution: PodExecution;
  readonly manifest: Record<string, unknown>;
}

/** One session: the pod, the pane, the signals. */
class Session {
  private readonly pods: SessionPods;
  private readonly pane: PaneSession;
  private stopping = false;
  private inflight: Promise<unknown> = Promise.resolve();
  private lastSaid = '';
  private attachedOnce = false;
  private readonly kubeConfig: KubeConfig;
  private readonly plan: Plan;
  private readonly flags: SessionFlags;
  private readonly say: (line: string) => void;

  constructor(kubeConfig: KubeConfig, plan: Plan, flags: SessionFlags, pane: Pane, say: (line: string) => void) {
    this.kubeConfig = kubeConfig;
    this.plan = plan;
    this.flags = flags;
    this.say = say;
    this.pods = new SessionPods(kubeConfig);
    this.pane = new PaneSession(pane);
  }

  private get podName(): string {
    return this.plan.identity.podName;
  }

  /** Says `line` once (repeats of the same state are not printed again). */
  private note(line: string): void {
    if (line === this.lastSaid) return;
    this.lastSaid = line;
    this.say(line);
  }

  /** Runs `call` until it succeeds or fails for a reason retrying cannot fix. */
  private async retrying<T>(what: string, call: () => Promise<T>): Promise<T> {
    for (let delay = BACKOFF_START_MS; ; delay = Math.min(delay * 2, BACKOFF_MAX_MS)) {
      try {
        const result = call();
        this.inflight = result.catch(() => undefined);
        return await result;
      } catch (error) {
        if (!isTransient(error) || this.stopping) throw error;
        this.note(`${what}: ${error instanceof Error ? error.message : String(error)}; retrying`);
        await sleep(delay);
      }
    }
  }

  /** Makes sure the one session pod of the polecat exists and is not a finished one. */
  async ensurePod(): Promise<void> {
    const { namespace, manifest } = this.plan;
    for (;;) {
      const existing = await this.retrying('reading the session pod', () => this.pods.get(namespace, this.podName));
      if (existing !== undefined && !isFinished(existing)) return;
      if (existing !== undefined) {
        // A pod whose agent ended belongs to an earlier session of this polecat.
        this.note(`replacing the finished session pod ${this.podName} of an earlier session`);
        await this.retrying('deleting the finished session pod', () => this.pods.delete(namespace, this.podName, existing.metadata?.uid));
        await sleep(this.flags.waitInterval / 4);
        continue;
      }
      if (this.stopping) return;
      const created = await this.retrying('creating the session pod', () => this.pods.create(namespace, manifest));
      if (created !== undefined) this.note(`created session pod ${namespace}/${this.podName}`);
      // Not created: another wrapper of this polecat was first; the next round attaches to it.
      if (created !== undefined) return;
    }
  }

  /** Attaches until the agent ends; the exit code of the session. */
  async follow(): Promise<number> {
    const { namespace } = this.plan;
    let delay = BACKOFF_START_MS;
    for (;;) {
      const pod: V1Pod | undefined = await this.retrying('reading the session pod', () => this.pods.get(namespace, this.podName));
      if (pod === undefined) {
        this.say(`session pod ${namespace}/${this.podName} was deleted: the session ends`);
        return EXIT_NO_AGENT_CODE;
      }
      const progress: PodProgress = podProgress(pod);
      if (progress.kind === 'terminated') return exitCodeOf(progress.exitCode);
      if (progress.kind === 'failed') {
        this.say(`session pod ${namespace}/${this.podName} failed: ${progress.reason}${progress.message === '' ? '' : ` (${progress.message})`}`);
        return EXIT_NO_AGENT_CODE;
      }
      if (progress.kind === 'waiting' && progress.reason === 'SchedulingGated') {
        const max = this.plan.execution.maxPods ?? 0;
        this.note(`waiting: rig ${this.plan.identity.rig} runs its maxPods (${max}) session pods; the operator starts ${this.podName} when one ends`);
        await sleep(this.flags.waitInterval);
        continue;
      }
      if (progress.kind === 'waiting') {
        this.note(`waiting for session pod ${namespace}/${this.podName}: ${progress.reason}${progress.message === '' ? '' : ` (${progress.message})`}`);
        await sleep(Math.min(delay, this.flags.waitInterval));
        delay = Math.min(delay * 2, this.flags.waitInterval);
        continue;
      }
      const opened = Date.now();
      try {
        const end = await this.pane.attach(this.kubeConfig, namespace, this.podName, this.flags.keepalive, () => {
          this.say(`${this.attachedOnce ? 're-attached' : 'attached'} to session pod ${namespace}/${this.podName}`);
          this.attachedOnce = true;
        });
        this.lastSaid = '';
        if (end === 'ended') continue;
        this.note(`the stream to ${this.podName} dropped; re-attaching`);
      } catch (error) {
        this.note(`attaching to ${this.podName}: ${error instanceof Error ? error.message : String(error)}; retrying`);
      }
      delay = Date.now() - opened >= STABLE_ATTACH_MS ? BACKOFF_START_MS : Math.min(delay * 2, BACKOFF_MAX_MS);
      await sleep(delay);
    }
  }

  /** The pane was closed: the pod goes (gt's session is over). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.pane.close();
    await Promise.race([this.inflight, sleep(DELETE_TIMEOUT_MS)]);
    const deleted = this.pods.delete(this.plan.namespace, this.podName).catch(() => false);
    await Promise.race([deleted, sleep(DELETE_TIMEOUT_MS)]);
  }

  close(): void {
    this.pane.close();
  }
}

/** A container exit code as a process exit code (signals as 128+n, as the kubelet reports them). */
function exitCodeOf(code: number): number {
  return Number.isInteger(code) && code >= 0 && code <= 255 ? code : EXIT_NO_AGENT_CODE;
}

/** Retries `call` while the API server is unreachable or overloaded (said once). */
async function untilReachable<T>(say: (line: string) => void, call: () => Promise<T>): Promise<T> {
  let said = false;
  for (let delay = BACKOFF_START_MS; ; delay = Math.min(delay * 2, BACKOFF_MAX_MS)) {
    try {
      return await call();
    } catch (error) {
      if (!isTransient(error)) throw error;
      if (!said) say(`the API server cannot be reached (${error instanceof Error ? error.message : String(error)}); retrying`);
      said = true;
      await sleep(delay);
    }
  }
}

/** Everything checked before the cluster is asked to do anything. */
async function planSession(flags: SessionFlags, argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string, say: (line: string) => void): Promise<{ plan: Plan; kubeConfig: KubeConfig }> {
  if (argv.length === 0 || argv[0] === '') throw new Refused('no agent command after --: gastown-operator session [options] -- <agent> [args...]');
  const identity = sessionIdentity(env);
  if (!identity.ok) throw new Refused(identity.error.message);
  const branch = flags.branch === undefined ? readBranch(cwd) : validBranch(flags.branch);
  if (!branch.ok) throw new Refused(branch.error.message);
  const resolved = resolveKubeConfig(flags.kubeconfig === undefined ? { env } : { explicitPath: flags.kubeconfig, env });
  if (resolved.kind === 'none') throw new Refused('no cluster to run the pod in: pass --kubeconfig, or set KUBECONFIG (the wrapper\'s own narrow kubeconfig, see docs/pod-execution.md)');
  const viewName = flags.rigView ?? defaultRigViewName(identity.value.rig);
  const pods = new SessionPods(resolved.kubeConfig);
  const found = await untilReachable(say, () => pods.podExecution(viewName, identity.value.rig));
  if (!found.ok) throw new Refused(found.problem.message);
  const execution = found.execution;
  const namespace = execution.namespace ?? flags.namespace;
  const sessionEnv = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  const manifest = buildSessionPod({
    rig: identity.value.rig, polecat: identity.value.polecat, namespace, execution, argv, env: sessionEnv, branch: branch.value,
  });
  return { plan: { identity: identity.value, namespace, execution, manifest }, kubeConfig: resolved.kubeConfig };
}

export interface SessionIO {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly pane: Pane;
  /** One line for the pane (stderr). */
  readonly say: (line: string) => void;
  /** Registers the pane-closed handler; returns the function that removes it. */
  readonly onPaneClosed: (handler: (signal: PaneSignal) => void) => () => void;
}

/** Runs the session; resolves with the process exit code. */
export async function runSession(flags: SessionFlags, argv: readonly string[], io: SessionIO): Promise<number> {
  let planned: Awaited<ReturnType<typeof planSession>>;
  try {
    planned = await planSession(flags, argv, io.env, io.cwd, io.say);
  } catch (error) {
    const shown = error instanceof Refused ? error : toKubeApiError(error);
    io.say(shown instanceof Error ? shown.message : String(shown));
    return EXIT_REFUSED;
  }
  const session = new Session(planned.kubeConfig, planned.plan, flags, io.pane, io.say);
  let closedBy: PaneSignal | undefined;
  let stopped: Promise<void> | undefined;
  const closed = new Promise<number>((resolve) => {
    const off = io.onPaneClosed((signal) => {
      if (closedBy !== undefined) return;
      closedBy = signal;
      off();
      stopped = session.stop();
      void stopped.then(() => resolve(128 + SIGNAL_NUMBERS[signal]));
    });
  });
  const ran = (async (): Promise<number> => {
    try {
      await session.ensurePod();
      return await session.follow();
    } catch (error) {
      // A refusal (403, 422, ...): the API server's own message, not client-node's dump.
      const refused = toKubeApiError(error);
      io.say(`the API server refused: ${refused instanceof Error ? refused.message : String(refused)}`);
      return EXIT_NO_AGENT_CODE;
    }
  })();
  const code = await Promise.race([ran, closed]);
  if (stopped !== undefined) await stopped;
  session.close();
  return code;
}

/** The real process: stdin/stdout of the pane, raw mode on a terminal, pane-closing signals. */
export async function runSessionCommand(flags: SessionFlags, argv: readonly string[]): Promise<number> {
  const stdin = process.stdin;
  const raw = stdin.isTTY && typeof stdin.setRawMode === 'function';
  const eol = raw ? '\r\n' : '\n';
  if (raw) {
    stdin.setRawMode(true);
    process.once('exit', () => stdin.setRawMode(false));
  }
  const io: SessionIO = {
    env: process.env,
    cwd: process.cwd(),
    pane: { input: stdin, output: process.stdout },
    say: (line) => process.stderr.write(`gastown-operator session: ${line}${eol}`),
    onPaneClosed: (handler) => {
      const listeners = (Object.keys(SIGNAL_NUMBERS) as PaneSignal[]).map((signal) => [signal, (): void => handler(signal)] as const);
      for (const [signal, listener] of listeners) process.on(signal, listener);
      return () => {
        for (const [signal, listener] of listeners) process.off(signal, listener);
      };
    },
  };
  return runSession(flags, argv, io);
}
