// Reading a session pod (docs/pod-execution.md) as the operator needs it: whose session it is
// (the exact rig and polecat names in its annotations), the Polecat's `status.execution`
// fields, and whether, and why, it failed, named as the kubelet names it (OOMKilled,
// DeadlineExceeded, Evicted, ImagePullBackOff, Unschedulable, Error with the exit code).
//
// Pure: plain JSON pods in (as the informer holds them), plain values out.
import { Reason, type SessionExecutionStatus } from '../../api/index.ts';
import type { KubeObject, ResourceKind } from '../../runtime/k8s.ts';
import { CAPACITY_GATE, SESSION_LABELS } from '../../execution/session-pod.ts';

export const POD_KIND: ResourceKind = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true };
export const SECRET_KIND: ResourceKind = { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true };
export const NETWORK_POLICY_KIND: ResourceKind = { group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true };

/** Every object the session machinery makes carries this label (the informers select on it). */
export const SESSION_SELECTOR = SESSION_LABELS.component;
/** The agent container of a session pod (buildSessionPod). */
export const AGENT_CONTAINER = 'agent';

interface ContainerState {
  readonly waiting?: { readonly reason?: string; readonly message?: string };
  readonly running?: { readonly startedAt?: string };
  readonly terminated?: { readonly exitCode?: number; readonly reason?: string; readonly message?: string; readonly startedAt?: string; readonly finishedAt?: string };
}

export interface ContainerStatus {
  readonly name: string;
  readonly restartCount?: number;
  readonly state?: ContainerState;
  readonly lastState?: ContainerState;
}

/** The fields of a Pod this module reads. */
export interface SessionPod extends KubeObject {
  readonly spec?: { readonly nodeName?: string; readonly schedulingGates?: readonly { readonly name: string }[] };
  readonly status?: {
    readonly phase?: string;
    readonly reason?: string;
    readonly message?: string;
    readonly conditions?: readonly { readonly type: string; readonly status: string; readonly reason?: string; readonly message?: string }[];
    readonly containerStatuses?: readonly ContainerStatus[];
  };
}

export interface SessionIdentity {
  readonly rig: string;
  readonly polecat: string;
}

/** The exact gt names a session pod (or its Secret) was made for, from its annotations. */
export function sessionIdentity(obj: KubeObject): SessionIdentity | undefined {
  const a = obj.metadata?.annotations;
  const rig = a?.[SESSION_LABELS.rig];
  const polecat = a?.[SESSION_LABELS.polecat];
  return rig && polecat ? { rig, polecat } : undefined;
}

/** Why a session pod failed, when it did. */
export interface PodFailure {
  readonly reason: Reason;
  readonly message: string;
}

function agentOf(pod: SessionPod): ContainerStatus | undefined {
  return pod.status?.containerStatuses?.find((c) => c.name === AGENT_CONTAINER);
}

const IMAGE_PULL_REASONS = new Set(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull']);

/**
 * The failure of a session pod, in the order a user needs to hear it: evicted and deadline
 * (the pod's own reason), the agent's OOM kill or nonzero exit, an image that cannot be
 * pulled, a pod no node takes, then any other Failed phase. A deleting pod is reported as
 * deleted. Undefined while it runs, waits normally, or ended with exit 0.
 */
export function podFailure(pod: SessionPod): PodFailure | undefined {
  const name = pod.metadata?.name ?? '?';
  if (pod.metadata?.deletionTimestamp !== undefined) return { reason: Reason.PodDeleted, message: `session pod ${name} is being deleted` };
  return podReasonFailure(pod, name) ?? agentFailure(pod, name) ?? schedulingFailure(pod, name) ?? phaseFailure(pod, name);
}

function podReasonFailure(pod: SessionPod, name: string): PodFailure | undefined {
  const status = pod.status;
  if (status?.reason === 'Evicted') return { reason: Reason.Evicted, message: `session pod ${name} was evicted: ${status.message ?? ''}`.trim() };
  if (status?.reason === 'DeadlineExceeded') return { reason: Reason.DeadlineExceeded, message: `session pod ${name} ran past activeDeadlineSeconds` };
  return undefined;
}

function agentFailure(pod: SessionPod, name: string): PodFailure | undefined {
  const agent = agentOf(pod);
  const ended = agent?.state?.terminated;
  if (ended?.reason === 'OOMKilled') {
    return { reason: Reason.OOMKilled, message: `the agent in ${name} was killed for exceeding its memory limit (exit code ${ended.exitCode ?? 137})` };
  }
  if (ended !== undefined && (ended.exitCode ?? 0) !== 0) {
    return { reason: Reason.Error, message: `the agent in ${name} exited with code ${ended.exitCode ?? '?'} (${ended.reason ?? 'Error'})` };
  }
  const waiting = agent?.state?.waiting;
  if (waiting?.reason !== undefined && IMAGE_PULL_REASONS.has(waiting.reason)) {
    return { reason: Reason.ImagePullBackOff, message: `the image of ${name} cannot be pulled: ${waiting.message ?? waiting.reason}` };
  }
  return undefined;
}

function schedulingFailure(pod: SessionPod, name: string): PodFailure | undefined {
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status !== 'False' || scheduled.reason !== 'Unschedulable') return undefined;
  return { reason: Reason.Unschedulable, message: `no node can run ${name}: ${scheduled.message ?? 'Unschedulable'}` };
}

function phaseFailure(pod: SessionPod, name: string): PodFailure | undefined {
  const status = pod.status;
  if (status?.phase !== 'Failed') return undefined;
  return { reason: Reason.Error, message: `session pod ${name} failed: ${[status.reason, status.message].filter(Boolean).join(': ') || 'Failed'}` };
}

/** Whether the pod is held at the capacity gate (the operator has not admitted it yet). */
export function capacityGated(pod: SessionPod): boolean {
  return (pod.spec?.schedulingGates ?? []).some((g) => g.name === CAPACITY_GATE);
}

/** Whether the pod has run to its end (Succeeded or Failed). */
export function podFinished(pod: SessionPod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** `obj` without its undefined fields (the API drops them; status comparisons must too). */
function defined<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

/** The Polecat's `status.execution` from its session pod; undefined fields are left out. */
export function executionStatusOf(pod: SessionPod): SessionExecutionStatus {
  const meta = pod.metadata ?? {};
  return defined({
    mode: 'Pod',
    podName: meta.name,
    namespace: meta.namespace,
    node: pod.spec?.nodeName,
    podPhase: pod.status?.phase ?? 'Pending',
    ...agentFacts(agentOf(pod)),
  });
}

function agentFacts(agent: ContainerStatus | undefined): Partial<SessionExecutionStatus> {
  const state = agent?.state ?? {};
  const ended = state.terminated ?? agent?.lastState?.terminated;
  return {
    restarts: agent?.restartCount ?? 0,
    lastTerminationReason: ended?.reason?.slice(0, 128),
    lastExitCode: ended?.exitCode,
    startedAt: state.running?.startedAt ?? state.terminated?.startedAt,
    finishedAt: ended?.finishedAt,
  };
}

/** Whether the pod is bound to a node, and why not. */
export function podScheduled(pod: SessionPod): { ok: boolean; reason: Reason; message: string } {
  const cond = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (pod.spec?.nodeName !== undefined || cond?.status === 'True') {
    return { ok: true, reason: Reason.Scheduled, message: `scheduled on ${pod.spec?.nodeName ?? 'a node'}` };
  }
  return { ok: false, reason: cond?.reason === 'Unschedulable' ? Reason.Unschedulable : Reason.WaitingForPod, message: cond?.message ?? `session pod ${pod.metadata?.name ?? '?'} waits for a node` };
}

/** The agent container's waiting reason, if it waits (ContainerCreating, PodInitializing, ...). */
export function agentWaiting(pod: SessionPod): { reason: string; message: string } | undefined {
  const waiting = agentOf(pod)?.state?.waiting;
  return waiting === undefined ? undefined : { reason: waiting.reason ?? 'Waiting', message: waiting.message ?? waiting.reason ?? 'waiting' };
}

/** Whether the agent container is running. */
export function agentRunning(pod: SessionPod): boolean {
  return agentOf(pod)?.state?.running !== undefined;
}
