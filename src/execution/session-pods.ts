// What the session wrapper asks of the API server (docs/pod-execution.md), with only the
// rights its Role grants: the Rig view (get), and in the pods' namespace the session pods
// (get, create, delete). Plus `podProgress`, the pure reading of a pod's status the
// wrapper acts on.
//
// Guarantees: `ensurePod` leaves exactly one live session pod per polecat however many
// wrappers race (the name is deterministic and creation is AlreadyExists-safe); a finished pod
// of an earlier session is replaced, never attached to; failures are values or KubeApiErrors
// with the HTTP code (callers retry on connection errors and 5xx only).
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Execution, PodTemplate } from '../api/execution.ts';
import { RIG_KIND } from '../api/kinds.ts';
import { decodeRig, gtRigName } from '../api/rig.ts';
import { isConflict, isNotFound, KubeClient, statusCodeOf, type KubeObject } from '../runtime/k8s.ts';

/** The agent container of a session pod (`buildSessionPod`). */
export const AGENT_CONTAINER = 'agent';

export type PodExecution = Execution & { readonly pod: PodTemplate; readonly proxyURL: string };

export type RigProblem = { readonly kind: 'RigNotFound' | 'WrongRig' | 'NotPodMode' | 'InvalidRig'; readonly message: string };

/** Where a session pod is, as far as the wrapper cares. */
export type PodProgress =
  | { readonly kind: 'waiting'; readonly reason: string; readonly message: string }
  | { readonly kind: 'running' }
  | { readonly kind: 'terminated'; readonly exitCode: number; readonly reason: string }
  | { readonly kind: 'failed'; readonly reason: string; readonly message: string };

type ContainerStatus = NonNullable<NonNullable<V1Pod['status']>['containerStatuses']>[number];

function waitingFor(reason: string | undefined, message: string | undefined, fallback: string): PodProgress {
  return { kind: 'waiting', reason: reason ?? fallback, message: message ?? '' };
}

/** An init container that has not finished (the agent waits for it). */
function initProgress(inits: readonly ContainerStatus[] | undefined): PodProgress | undefined {
  const init = inits?.find((c) => c.state?.terminated === undefined);
  if (init?.state?.waiting !== undefined) return waitingFor(init.state.waiting.reason, init.state.waiting.message, 'PodInitializing');
  if (init?.state?.running !== undefined) return waitingFor('PodInitializing', `init container ${init.name} is running`, '');
  return undefined;
}

/** The agent container's state, or the pod's when the container never ran. Pure. */
export function podProgress(pod: V1Pod): PodProgress {
  const status = pod.status ?? {};
  const agent = status.containerStatuses?.find((c) => c.name === AGENT_CONTAINER);
  const terminated = agent?.state?.terminated;
  if (terminated !== undefined) return { kind: 'terminated', exitCode: terminated.exitCode, reason: terminated.reason ?? 'Error' };
  if (agent?.state?.running !== undefined) return { kind: 'running' };
  if (status.phase === 'Failed' || status.phase === 'Succeeded') {
    return { kind: 'failed', reason: status.reason ?? status.phase, message: status.message ?? `the pod ended (${status.phase}) before the agent ran` };
  }
  const init = initProgress(status.initContainerStatuses);
  if (init !== undefined) return init;
  if (agent?.state?.waiting !== undefined) return waitingFor(agent.state.waiting.reason, agent.state.waiting.message, 'Waiting');
  const unscheduled = status.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (unscheduled !== undefined) return waitingFor(unscheduled.reason, unscheduled.message, 'Unschedulable');
  return waitingFor(status.phase, undefined, 'Pending');
}

/** A pod that no wrapper should attach to again: its agent ended, or it is being deleted. */
export function isFinished(pod: V1Pod): boolean {
  const progress = podProgress(pod);
  return pod.metadata?.deletionTimestamp !== undefined || progress.kind === 'terminated' || progress.kind === 'failed';
}

/** A retriable failure: the API server unreachable or overloaded, not a refusal. */
export function isTransient(error: unknown): boolean {
  const code = statusCodeOf(error);
  if (code === undefined) return true;
  return code === 429 || code >= 500;
}

export class SessionPods {
  private readonly core: CoreV1Api;
  private readonly client: KubeClient;

  constructor(kubeConfig: KubeConfig) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.client = new KubeClient(kubeConfig);
  }

  /** The Rig view `name`, checked to stand for gt rig `rig` and to run in Pod mode. */
  async podExecution(name: string, rig: string): Promise<{ ok: true; execution: PodExecution } | { ok: false; problem: RigProblem }> {
    const obj = await this.client.get<KubeObject>(RIG_KIND, { name });
    if (obj === undefined) {
      return { ok: false, problem: { kind: 'RigNotFound', message: `Rig view ${name} not found (kubectl get rigs): create it, or pass --rig-view <name> in the rig's exec_wrapper` } };
    }
    const decoded = decodeRig(obj);
    if (!decoded.ok) return { ok: false, problem: { kind: 'InvalidRig', message: `Rig view ${name} cannot be read: ${decoded.error.message}` } };
    const view = decoded.value;
    if (gtRigName(view) !== rig) {
      return { ok: false, problem: { kind: 'WrongRig', message: `Rig view ${name} stands for gt rig ${gtRigName(view)}, not ${rig}: pass --rig-view <name> in the rig's exec_wrapper` } };
    }
    const execution = view.spec.execution;
    if (execution?.mode !== 'Pod' || execution.pod === undefined || execution.proxyURL === undefined) {
      return { ok: false, problem: { kind: 'NotPodMode', message: `Rig view ${name} does not set spec.execution.mode: Pod (with pod and proxyURL): set it, or remove runtime.exec_wrapper from the rig's settings` } };
    }
    return { ok: true, execution: { ...execution, pod: execution.pod, proxyURL: execution.proxyURL } };
  }

  async get(namespace: string, name: string): Promise<V1Pod | undefined> {
    try {
      return await this.core.readNamespacedPod({ namespace, name });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Creates the pod; undefined when a pod of that name already exists (another wrapper's). */
  async create(namespace: string, manifest: Record<string, unknown>): Promise<V1Pod | undefined> {
    try {
      return await this.core.createNamespacedPod({ namespace, body: manifest });
    } catch (error) {
      if (isConflict(error)) return undefined;
      throw error;
    }
  }

  /** Deletes the pod (only the incarnation `uid` when given); false when it was already gone. */
  async delete(namespace: string, name: string, uid?: string): Promise<boolean> {
    try {
      await this.core.deleteNamespacedPod({ namespace, name, ...(uid === undefined ? {} : { body: { preconditions: { uid } } }) });
      return true;
    } catch (error) {
      if (isNotFound(error) || (uid !== undefined && isConflict(error))) return false;
      throw error;
    }
  }
}
