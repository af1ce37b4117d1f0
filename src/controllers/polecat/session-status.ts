// How a followed polecat's session pod is spelled in its view (Pod execution,
// docs/pod-execution.md): `status.execution` (pod, node, phase, restarts, last termination),
// and the conditions PodScheduled (WaitingForCapacity while the pod is held at the capacity
// gate) and SessionAttached. Pure.
import { ConditionType, Reason, type PolecatStatus, type SessionExecutionStatus } from '../../api/index.ts';
import type { PolecatListItem } from '../../gt/index.ts';
import { agentRunning, agentWaiting, capacityGated, executionStatusOf, podScheduled } from '../session/pod-state.ts';
import { withCondition } from '../shared/status.ts';
import type { SessionView } from './situation.ts';

/**
 * `status.execution` from the session. `podName` is recorded only once the pod was seen: a pod
 * that is gone afterwards keeps the last facts seen with phase Absent (situation.ts reads that
 * as "deleted"), while one not made yet leaves it out.
 */
export function executionOf(previous: SessionExecutionStatus | undefined, session: SessionView): SessionExecutionStatus {
  if (session.pod !== undefined) return executionStatusOf(session.pod);
  if (previous?.podName === session.podName) return { ...previous, mode: 'Pod', podPhase: 'Absent' };
  return { mode: 'Pod', namespace: session.namespace };
}

function attached(session: SessionView, item: PolecatListItem): { ok: boolean; reason: Reason; message: string } {
  const pod = session.pod;
  const name = `${session.namespace}/${session.podName}`;
  if (pod === undefined) return { ok: false, reason: Reason.WaitingForPod, message: `no session pod ${name}` };
  if (agentRunning(pod)) {
    return item.sessionRunning
      ? { ok: true, reason: Reason.Attached, message: `the agent runs in ${name} and gt's session is live` }
      : { ok: false, reason: Reason.SessionEnded, message: `the agent runs in ${name} but gt reports no live session` };
  }
  if (!session.certificate && pod.metadata?.deletionTimestamp === undefined) {
    return { ok: false, reason: Reason.CertificatePending, message: `${name} waits for its certificate Secret ${session.podName}-cert (see the Rig's SessionCredentials condition)` };
  }
  const waiting = agentWaiting(pod);
  if (waiting !== undefined) return { ok: false, reason: Reason.ContainerWaiting, message: `the agent in ${name} waits: ${waiting.reason}: ${waiting.message}`.slice(0, 1024) };
  return { ok: false, reason: Reason.SessionEnded, message: `the agent in ${name} is not running (pod ${pod.status?.phase ?? 'Pending'})` };
}

/** PodScheduled of a pod held at the capacity gate, with the rig's count against maxPods. */
function waitingForCapacity(session: SessionView): { ok: false; reason: Reason; message: string } {
  const counts = session.capacity === undefined ? 'the rig is at its maxPods' : `the rig runs ${session.capacity.running} of maxPods ${session.capacity.maxPods} session pods`;
  return { ok: false, reason: Reason.WaitingForCapacity, message: `session pod ${session.namespace}/${session.podName} waits for capacity: ${counts}; it starts when one of them ends (oldest first)` };
}

/** The view's status with the session's facts and its two conditions. */
export function withSession(status: PolecatStatus, session: SessionView, item: PolecatListItem, now: number): PolecatStatus {
  let next: PolecatStatus = { ...status, execution: executionOf(status.execution, session) };
  const scheduled = session.pod === undefined
    ? { ok: false, reason: Reason.WaitingForPod, message: `no session pod ${session.namespace}/${session.podName}` }
    : capacityGated(session.pod) ? waitingForCapacity(session) : podScheduled(session.pod);
  next = withCondition(next, ConditionType.PodScheduled, scheduled.ok ? 'True' : 'False', scheduled.reason, scheduled.message, now);
  const a = attached(session, item);
  return withCondition(next, ConditionType.SessionAttached, a.ok ? 'True' : 'False', a.reason, a.message, now);
}
