// The second half of every reconcile that acts on gt (Polecat, Convoy), spelled once:
//
//   decision -> intent write -> act -> fold -> write status -> events -> sync request
//
// The intent write makes an at-most-once side effect safe: when an action must never run twice
// (an escalation or completion mail), the status recording it is written first with the read
// resourceVersion as precondition, so a stale cache or a crash fails that write or finds the
// intent, and the action is skipped rather than repeated. Each action's result is folded back
// into the decision by the controller's pure outcome functions; the final status is written once
// (only if it changed), the decision's Events recorded, and town sync asked for a fresh snapshot
// whenever an action changed what it reads. Gathering and deciding stay in each controller.
import type { ReconcileResult } from '../../runtime/controller.ts';
import type { WithStatus } from '../../runtime/status.ts';
import type { TownView } from '../town-sync/snapshot.ts';
import type { EventSink, StatusSink, ViewEvent } from './sinks.ts';

/** What a gt-acting controller decides: the status, the gt actions, Events, when to look again. */
export interface GtViewDecision<S, A extends { readonly type: string }> {
  readonly status: S;
  readonly actions: readonly A[];
  readonly events: readonly ViewEvent[];
  readonly requeueAfterMs?: number;
}

export interface CarryOut<S extends object, A extends { readonly type: string }, D extends GtViewDecision<S, A>> {
  /** `kind key`, for the sync request's reason. */
  readonly subject: string;
  readonly obj: WithStatus<S>;
  readonly decision: D;
  /** Actions that must never run twice: the status is written before any of them runs. */
  readonly intent: (action: A) => boolean;
  /** Runs one action and folds its result into the decision. */
  readonly act: (action: A, decision: D) => Promise<D>;
  /**
   * Whether an action changes what town sync reads, so a fresh snapshot is asked for after it;
   * default every action. A mail handed to the outbox changes nothing there yet, and a sync
   * asked for then would split one round's batch: a rig's other stuck polecats, reconciled a
   * moment later, would see a newer read and get a mail of their own.
   */
  readonly changesTown?: (action: A) => boolean;
  readonly status: StatusSink<S>;
  readonly events: EventSink;
  readonly town: Pick<TownView, 'requestSync'>;
}

/** Carries a decision out (see header) and returns it with the actions' results folded in. */
export async function carryOut<S extends object, A extends { readonly type: string }, D extends GtViewDecision<S, A>>(run: CarryOut<S, A, D>): Promise<D> {
  const { obj, status, events } = run;
  let d = run.decision;
  let current = obj;
  if (d.actions.some(run.intent)) current = (await status.write(current, d.status)) ?? current;
  for (const action of run.decision.actions) d = await run.act(action, d);
  for (const e of d.events) events.event(obj, e.type, e.reason, e.message);
  await status.write(current, d.status);
  const changed = d.actions.filter(run.changesTown ?? (() => true));
  if (changed.length > 0) run.town.requestSync(`${run.subject}: ${changed.map((a) => a.type).join(',')}`);
  return d;
}

/** The runtime's result for a decision: requeue after its delay, if any. */
export function requeueOf(decision: { readonly requeueAfterMs?: number | undefined }): ReconcileResult {
  return decision.requeueAfterMs === undefined ? undefined : { requeueAfterMs: decision.requeueAfterMs };
}
