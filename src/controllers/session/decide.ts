// The session decision for one rig (docs/pod-execution.md): a pure function of (the Rig, its
// session pods and certificate Secrets, its NetworkPolicy as it is and as it should be, gt's
// polecats of the rig, the serials this process has denied since it last saw the proxy down,
// now) to (actions, the rig's `status.execution`, Events).
//
// Level-based, in this order for each pod:
//   gt no longer has the polecat (a town read that lists the rig) -> retire: pod and Secret
//     deleted, the serial remembered in status and denied
//   the pod is being deleted, or has ended                       -> leave it (its Secret stays with it)
//   the names cannot be carried by the certificate CN            -> refuse: pod deleted, Event
//   no Secret of this pod (same name and owner uid)              -> issue a certificate into one
// then every Secret whose pod is gone is deleted (its serial retired): never a Secret without
// a pod. Capacity: pods held at the capacity gate are admitted (the gate removed), oldest
// first, while the rig runs fewer than `maxPods` admitted live pods; this process is the gate's
// only remover, so wrappers starting together cannot overshoot (pods it admitted whose
// removal the cache does not show yet count as running). Every remembered serial this process has not denied since the proxy was last down is
// denied (the proxy's deny list is memory only). The NetworkPolicy exists exactly while the rig
// is in Pod mode with networkPolicy enabled. When the town cannot be read nothing is retired:
// the operator never invents that a polecat is gone.
import { Reason, type Rig, type RigExecutionStatus, type RetiredSerial, MAX_RETIRED_SERIALS } from '../../api/index.ts';
import { certificateCN, sessionSecretName } from '../../execution/session-pod.ts';
import type { KubeObject } from '../../runtime/k8s.ts';
import type { ViewEvent } from '../shared/sinks.ts';
import { CERT_ANNOTATIONS, type SecretObject } from './objects.ts';
import { capacityGated, podFinished, sessionIdentity, type SessionIdentity, type SessionPod } from './pod-state.ts';

export type PolicyObject = KubeObject & { readonly spec?: unknown };

export interface SessionObservation {
  readonly rig: Rig;
  readonly gtName: string;
  readonly podMode: boolean;
  /** Session pods of this rig (by their rig annotation). */
  readonly pods: readonly SessionPod[];
  /** Certificate Secrets of this rig (by their rig annotation). */
  readonly secrets: readonly SecretObject[];
  readonly networkPolicy: PolicyObject | undefined;
  /** The policy the rig should have; undefined when it should have none. */
  readonly desiredPolicy: { readonly ok: true; readonly policy: PolicyObject } | { readonly ok: false; readonly message: string } | undefined;
  /** gt's polecats of the rig; undefined when the town read failed or does not list the rig. */
  readonly polecats: ReadonlySet<string> | undefined;
  /** Serials this process denied since it last found the proxy down. */
  readonly denied: ReadonlySet<string>;
  /** Uids of pods this process admitted whose gate the cache still shows. */
  readonly admitting: ReadonlySet<string>;
  readonly now: number;
}

/** An Event about a pod or the rig. */
export interface SessionEvent extends ViewEvent {
  readonly on?: KubeObject;
}

export type SessionAction =
  | { readonly type: 'issue'; readonly pod: SessionPod; readonly identity: SessionIdentity }
  | { readonly type: 'deletePod'; readonly pod: SessionPod }
  | { readonly type: 'admit'; readonly pod: SessionPod }
  | { readonly type: 'deleteSecret'; readonly secret: SecretObject }
  | { readonly type: 'deny'; readonly serial: string }
  | { readonly type: 'applyNetworkPolicy'; readonly policy: PolicyObject; readonly current: PolicyObject | undefined }
  | { readonly type: 'deleteNetworkPolicy'; readonly policy: PolicyObject };

export interface SessionDecision {
  readonly actions: readonly SessionAction[];
  readonly execution: RigExecutionStatus;
  readonly events: readonly SessionEvent[];
  /** Problems that are not the proxy's (bad CIDRs), for the SessionCredentials condition. */
  readonly problems: readonly string[];
  /** The rig's capacity when it has maxPods (Pod mode). */
  readonly capacity?: Capacity;
}

export interface Capacity {
  readonly running: number;
  readonly waiting: number;
  readonly maxPods: number;
}

function ownedBy(secret: SecretObject, pod: SessionPod): boolean {
  return secret.metadata?.name === sessionSecretName(pod.metadata?.name ?? '') &&
    secret.metadata?.namespace === pod.metadata?.namespace &&
    (secret.metadata?.ownerReferences ?? []).some((o) => o.kind === 'Pod' && o.uid === pod.metadata?.uid);
}

function retiredOf(secret: SecretObject): RetiredSerial | undefined {
  const a = secret.metadata?.annotations ?? {};
  const serial = a[CERT_ANNOTATIONS.serial];
  if (serial === undefined || !/^[0-9a-fA-F]+$/.test(serial)) return undefined;
  const polecat = sessionIdentity(secret)?.polecat;
  const expiresAt = a[CERT_ANNOTATIONS.expiresAt];
  return { serial: serial.toLowerCase(), ...(polecat === undefined ? {} : { polecat }), ...(expiresAt === undefined ? {} : { expiresAt }) };
}

function expired(entry: RetiredSerial, now: number): boolean {
  return entry.expiresAt !== undefined && Date.parse(entry.expiresAt) < now;
}

/** Remembered serials, without the expired ones, plus the new ones; bounded (oldest dropped). */
function mergeRetired(previous: readonly RetiredSerial[], added: readonly RetiredSerial[], now: number): RetiredSerial[] {
  const bySerial = new Map<string, RetiredSerial>();
  for (const entry of [...previous, ...added]) if (!expired(entry, now)) bySerial.set(entry.serial, entry);
  return [...bySerial.values()].slice(-MAX_RETIRED_SERIALS);
}

function podLabel(pod: SessionPod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

/** What the per-pod and per-Secret rules add up to. */
interface Tally {
  readonly actions: SessionAction[];
  readonly events: SessionEvent[];
  readonly retired: RetiredSerial[];
  readonly kept: Set<SecretObject>;
}

function retireSecret(t: Tally, secret: SecretObject): void {
  const entry = retiredOf(secret);
  if (entry !== undefined) t.retired.push(entry);
  t.actions.push({ type: 'deleteSecret', secret });
}

/** The rules for one pod (header table). */
function podRules(obs: SessionObservation, pod: SessionPod, t: Tally): void {
  const identity = sessionIdentity(pod);
  if (identity === undefined) return;
  const secrets = obs.secrets.filter((s) => ownedBy(s, pod));
  for (const s of secrets) t.kept.add(s);
  if (obs.polecats !== undefined && !obs.polecats.has(identity.polecat)) {
    if (pod.metadata?.deletionTimestamp === undefined) t.actions.push({ type: 'deletePod', pod });
    for (const s of secrets) retireSecret(t, s);
    const message = `gt no longer has polecat ${identity.rig}/${identity.polecat}: session pod ${podLabel(pod)} and its certificate removed, serial denied`;
    t.events.push({ type: 'Normal', reason: Reason.SessionRetired, message, on: pod });
    return;
  }
  if (pod.metadata?.deletionTimestamp !== undefined || podFinished(pod)) return;
  const cn = certificateCN(identity.rig, identity.polecat);
  if (!cn.ok) {
    t.actions.push({ type: 'deletePod', pod });
    t.events.push({ type: 'Warning', reason: Reason.InvalidIdentity, message: `${cn.error.message}; session pod ${podLabel(pod)} deleted`, on: pod });
    return;
  }
  if (secrets.length === 0) t.actions.push({ type: 'issue', pod, identity });
}

export function decideSessions(obs: SessionObservation): SessionDecision {
  const t: Tally = { actions: [], events: [], retired: [], kept: new Set() };
  for (const pod of obs.pods) podRules(obs, pod, t);
  for (const secret of obs.secrets) {
    if (t.kept.has(secret)) continue;
    retireSecret(t, secret);
    const message = `certificate Secret ${secret.metadata?.namespace ?? ''}/${secret.metadata?.name ?? ''} has no session pod: deleted, serial denied`;
    t.events.push({ type: 'Normal', reason: Reason.OrphanSecretDeleted, message });
  }
  const remembered = mergeRetired(obs.rig.status?.execution?.retiredSerials ?? [], t.retired, obs.now);
  for (const entry of remembered) if (!obs.denied.has(entry.serial)) t.actions.push({ type: 'deny', serial: entry.serial });
  const problems: string[] = [];
  t.actions.push(...policyActions(obs, problems));
  const live = obs.pods.filter((p) => p.metadata?.deletionTimestamp === undefined).length;
  const capacity = admitActions(obs, t);
  const execution: RigExecutionStatus = {
    sessionPods: live,
    ...(capacity === undefined ? {} : { runningPods: capacity.running, waitingPods: capacity.waiting, maxPods: capacity.maxPods }),
    ...(remembered.length > 0 ? { retiredSerials: remembered } : {}),
  };
  return { actions: t.actions, execution, events: t.events, problems, ...(capacity === undefined ? {} : { capacity }) };
}

function createdAt(pod: SessionPod): string {
  return `${pod.metadata?.creationTimestamp ?? ''}/${pod.metadata?.name ?? ''}`;
}

/**
 * Admits gated pods, oldest first, while the rig runs fewer than maxPods (every gated pod when
 * the rig has no maxPods or left Pod mode). Pods being deleted, ended, or deleted by this
 * decision count for nothing.
 */
function admitActions(obs: SessionObservation, t: Tally): Capacity | undefined {
  const deleting = new Set(t.actions.flatMap((a) => (a.type === 'deletePod' ? [a.pod] : [])));
  const live = obs.pods.filter((p) => p.metadata?.deletionTimestamp === undefined && !podFinished(p) && !deleting.has(p) && sessionIdentity(p) !== undefined);
  const held = (p: SessionPod): boolean => capacityGated(p) && !obs.admitting.has(p.metadata?.uid ?? '');
  const running = live.filter((p) => !held(p)).length;
  const gated = live.filter(held).sort((a, b) => createdAt(a).localeCompare(createdAt(b)));
  const execution = obs.rig.spec.execution;
  const maxPods = obs.podMode ? execution?.maxPods : undefined;
  const admitted = maxPods === undefined ? gated : gated.slice(0, Math.max(0, maxPods - running));
  for (const pod of admitted) {
    t.actions.push({ type: 'admit', pod });
    const message = maxPods === undefined
      ? `session pod ${podLabel(pod)} admitted: the rig sets no maxPods`
      : `session pod ${podLabel(pod)} admitted: the rig runs ${running + admitted.indexOf(pod)} of maxPods ${maxPods} session pods`;
    t.events.push({ type: 'Normal', reason: Reason.CapacityAdmitted, message, on: pod });
  }
  if (maxPods === undefined) return undefined;
  return { running: running + admitted.length, waiting: gated.length - admitted.length, maxPods };
}

function policyActions(obs: SessionObservation, problems: string[]): SessionAction[] {
  const desired = obs.desiredPolicy;
  const current = obs.networkPolicy;
  if (desired === undefined) return current === undefined ? [] : [{ type: 'deleteNetworkPolicy', policy: current }];
  if (!desired.ok) {
    problems.push(desired.message);
    return [];
  }
  const same = current !== undefined && JSON.stringify(current.spec) === JSON.stringify(desired.policy.spec);
  return same ? [] : [{ type: 'applyNetworkPolicy', policy: desired.policy, current }];
}

/** Default cap of the backoff while the proxy is down. */
export const PROXY_RETRY_MAX_MS = 30_000;

/** Backoff of certificate retries while the proxy is down: 1 s doubling to `maxMs`. */
export function proxyRetryDelay(failures: number, maxMs = PROXY_RETRY_MAX_MS): number {
  return Math.min(1_000 * 2 ** Math.max(0, failures - 1), maxMs);
}
