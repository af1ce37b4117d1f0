// Discovered polecats: a Polecat view for every polecat gt runs that no Polecat object follows
// (one started by `gt sling` on the command line, by the mayor, or by gt's scheduler), so work
// done outside Kubernetes shows up in `kubectl get pc`.
//
// Decisions (README: "Discovered polecats"):
// - views go to one configurable namespace (default `default`: it exists in every cluster, so
//   discovery works without setup), labelled `gastown.gastown.io/discovered: "true"` plus the
//   rig and polecat labels; the name is `<rig>-<name>` made DNS-1123, with a hash suffix when
//   that was lossy (upper case, underscores) or the name is taken by another object;
// - the spec says what gt already does (`Working` + `beadID` when a bead is hooked, else `Idle`)
//   and follows gt while the user has not asked for termination, so the operator never fights
//   gt; Working turns Idle only on evidence (gt `idle`/`done`, or the bead closed), never on a
//   listing that merely lacks the issue (what `gt polecat list` prints while the beads database
//   is down); the status (gtName, rig) is written right after creation and is then the Polecat
//   controller's;
// - when the polecat vanishes from gt (nuked outside Kubernetes), its discovered view is
//   DELETED rather than kept as Terminated: the operator created it only to mirror gt, and
//   tombstones of every short-lived polecat would pile up without end. Like a retirement (below)
//   it is orphaned first, so discovery never leads to a nuke, even if a listing missed a live
//   polecat. Polecats users created are never deleted here (the Polecat controller marks them
//   Terminated);
// - a gt polecat counts as followed by a Polecat whose status names it (gtName + rig), by a
//   discovered view labelled for it, or by a Polecat of the same rig still waiting for its
//   sling of the same bead (the window between `gt sling` and the status write), so an
//   operator sling never gets a twin view;
// - a discovered view is RETIRED once a user's Polecat (not discovered) follows the same gt
//   polecat, as when `gt sling` reuses an idle polecat that already had a discovered view:
//   first the annotation `gastown.gastown.io/on-delete: "orphan"` is merge-patched onto it, and
//   only if that succeeded is it deleted, so the Polecat controller releases its finalizer
//   without check-recovery or nuke and the polecat the user's view follows keeps running.
//   Several user Polecats following one gt polecat are the users' business and left alone;
// - idempotent: planned from the informer cache, AlreadyExists and NotFound tolerated; a failed
//   read of the town plans nothing (a failed read is not an empty town).
import { createHash } from 'node:crypto';
import {
  Annotation, decodePolecat, DesiredState, isBeadId, Label, ON_DELETE_ORPHAN, POLECAT_KIND, RIG_NAME_PATTERN, TRUE_VALUE, type Polecat, type PolecatSpec,
} from '../../api/index.ts';
import type { PolecatListItem } from '../../gt/index.ts';
import type { Logger } from '../../observability/logger.ts';
import { silentLogger } from '../../observability/logger.ts';
import { bounded } from '../../runtime/bounded.ts';
import { statusCodeOf, type KubeClient, type KubeObject } from '../../runtime/k8s.ts';
import { followedKey, isDiscovered } from '../polecat/identity.ts';
import { polecatKey, type TownData, type TownSnapshot } from './snapshot.ts';

export const DEFAULT_DISCOVERY_NAMESPACE = 'default';

const MAX_NAME = 63;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export interface DiscoveredPolecat {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly spec: PolecatSpec;
  /** Written to `/status` after creation: the handoff to the Polecat controller. */
  readonly status: { readonly gtName: string; readonly rig: string };
}

/** A discovered view a user's Polecat superseded: annotated on-delete "orphan", then deleted. */
export interface RetiredView {
  readonly namespace: string;
  readonly name: string;
  /** The gt polecat key (`<rig>/<name>`) both views follow. */
  readonly polecat: string;
  /** `namespace/name` of the user's Polecat that follows it (the first by that key). */
  readonly supersededBy: string;
}

export interface DiscoveryPlan {
  readonly create: readonly DiscoveredPolecat[];
  readonly updateSpec: readonly { readonly namespace: string; readonly name: string; readonly spec: PolecatSpec }[];
  /** Views whose gt polecat vanished: orphaned, then deleted. */
  readonly delete: readonly { readonly namespace: string; readonly name: string; readonly polecat: string }[];
  readonly retire: readonly RetiredView[];
}

const EMPTY_PLAN: DiscoveryPlan = { create: [], updateSpec: [], delete: [], retire: [] };

/** What a discovered view's spec says for a gt polecat: what it does now. */
export function specFor(polecat: PolecatListItem): PolecatSpec {
  return polecat.issue && isBeadId(polecat.issue)
    ? { rig: polecat.rig, desiredState: DesiredState.Working, beadID: polecat.issue }
    : { rig: polecat.rig, desiredState: DesiredState.Idle };
}

/**
 * The `rig|bead` pairs of Polecats waiting for the result of their own sling (Working, a bead,
 * no gt polecat yet): a gt polecat of that rig working on that bead is theirs. A set, so a plan
 * costs O(views + polecats), not their product (10,000 x 10,000 at 100 rigs x 100 polecats).
 */
function slingsInFlight(polecats: readonly Polecat[]): Set<string> {
  const out = new Set<string>();
  for (const p of polecats) {
    if (!p.status?.gtName && p.spec.beadID !== undefined && p.spec.desiredState === DesiredState.Working) out.add(`${p.spec.rig}|${p.spec.beadID}`);
  }
  return out;
}

function hash6(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 6);
}

/** `<rig>-<name>` as a DNS-1123 label; lossy or taken names get a stable hash suffix. */
export function discoveredName(rig: string, name: string, taken: (candidate: string) => boolean): string | undefined {
  const wanted = `${rig}-${name}`;
  const base = wanted.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '') || 'polecat';
  if (base === wanted && base.length <= MAX_NAME && !taken(base)) return base;
  const hashed = `${base.slice(0, MAX_NAME - 7).replace(/-$/, '')}-${hash6(polecatKey(rig, name))}`;
  return taken(hashed) ? undefined : hashed;
}

function labelsFor(polecat: PolecatListItem): Record<string, string> {
  const labels: Record<string, string> = { [Label.Discovered]: TRUE_VALUE };
  if (polecat.rig.length <= MAX_NAME && LABEL_VALUE.test(polecat.rig)) labels[Label.Rig] = polecat.rig;
  if (polecat.name.length <= MAX_NAME && LABEL_VALUE.test(polecat.name)) labels[Label.Polecat] = polecat.name;
  return labels;
}

function sameSpec(a: PolecatSpec, b: PolecatSpec): boolean {
  return a.desiredState === b.desiredState && (a.beadID ?? '') === (b.beadID ?? '');
}

/**
 * Whether a listing without an issue shows the view's work is over: gt says `idle`/`done`, or
 * the batched bead read has the view's bead closed or unknown. A listing alone does not: with
 * the beads database down, `gt polecat list` exits 0 and shows every polecat `working`/`stalled`
 * with no issue, which must not turn a Working view Idle.
 */
function workOver(view: Polecat, gt: PolecatListItem, data: TownData): boolean {
  const bead = view.spec.beadID;
  if (bead === undefined || gt.state.kind === 'idle' || gt.state.kind === 'done') return true;
  return data.beads.get(bead)?.status.kind === 'closed' || data.missingBeads.has(bead);
}

/** The spec a discovered view should now have, or undefined to leave it as it is. */
function nextSpec(view: Polecat, gt: PolecatListItem, data: TownData): PolecatSpec | undefined {
  const wanted = specFor(gt);
  if (view.spec.desiredState === DesiredState.Terminated || sameSpec(view.spec, wanted)) return undefined;
  if (wanted.desiredState === DesiredState.Idle && !workOver(view, gt, data)) return undefined;
  return wanted;
}

/** The user's Polecats (not discovered) by the gt polecat key they follow, `namespace/name` sorted. */
function userFollowers(polecats: readonly Polecat[]): Map<string, string[]> {
  const byKey = new Map<string, string[]>();
  for (const p of polecats) {
    const key = isDiscovered(p) ? undefined : followedKey(p);
    if (key === undefined) continue;
    byKey.set(key, [...(byKey.get(key) ?? []), `${p.metadata.namespace ?? ''}/${p.metadata.name}`].sort());
  }
  return byKey;
}

/** Plans creations, spec updates, deletions and retirements of discovered views. Pure. */
export function planDiscovery(snapshot: TownSnapshot | undefined, polecats: readonly Polecat[], namespace: string): DiscoveryPlan {
  if (!snapshot?.ok) return EMPTY_PLAN;
  const data: TownData = snapshot;
  const followed = new Set(polecats.map(followedKey).filter((k) => k !== undefined));
  const names = new Set(polecats.filter((p) => p.metadata.namespace === namespace).map((p) => p.metadata.name));
  const slinging = slingsInFlight(polecats);
  const create: DiscoveredPolecat[] = [];
  for (const [key, gt] of data.polecats) {
    if (followed.has(key) || (gt.issue !== undefined && slinging.has(`${gt.rig}|${gt.issue}`))) continue;
    if (!RIG_NAME_PATTERN.test(gt.rig)) continue;
    const name = discoveredName(gt.rig, gt.name, (n) => names.has(n));
    if (name === undefined) continue;
    names.add(name);
    create.push({ name, namespace, labels: labelsFor(gt), spec: specFor(gt), status: { gtName: gt.name, rig: gt.rig } });
  }
  const updateSpec: DiscoveryPlan['updateSpec'][number][] = [];
  const remove: DiscoveryPlan['delete'][number][] = [];
  const retire: RetiredView[] = [];
  const users = userFollowers(polecats);
  for (const view of polecats) {
    if (!isDiscovered(view) || view.metadata.namespace !== namespace || view.metadata.deletionTimestamp) continue;
    const key = followedKey(view);
    if (key === undefined) continue;
    const ref = { namespace, name: view.metadata.name };
    // Before the vanished check: retiring never touches gt, so it is the safer way out even
    // when the listing no longer shows the polecat.
    const supersededBy = users.get(key)?.[0];
    if (supersededBy !== undefined) {
      retire.push({ ...ref, polecat: key, supersededBy });
      continue;
    }
    const gt = data.polecats.get(key);
    const spec = gt ? nextSpec(view, gt, data) : undefined;
    if (!gt) remove.push({ ...ref, polecat: key });
    else if (spec !== undefined) updateSpec.push({ ...ref, spec });
  }
  return { create, updateSpec, delete: remove, retire };
}

export interface DiscoveryResult {
  readonly created: number;
  readonly updated: number;
  readonly deleted: number;
  readonly retired: number;
  readonly failed: number;
}

export interface PolecatDiscoveryOptions {
  readonly client: KubeClient;
  /** Polecats as the informer cache holds them (raw objects; undecodable ones are skipped). */
  readonly listPolecats: () => readonly KubeObject[];
  /** Where discovered views go; default `default`. */
  readonly namespace?: string;
  readonly logger?: Logger;
}

/**
 * Writes in flight at once. A first sync of a big town plans hundreds of views: sent all at once,
 * each request opens its own connection and TLS handshake (the pool has no idle one to reuse),
 * and on a busy node, or against the embedded API server sharing this event loop, handshakes
 * then time out and the views wait for the next cycle. A few at a time reuse kept-alive ones.
 */
const MAX_IN_FLIGHT = 16;

/** Applies discovery plans; runs are serialized and coalesced (one pending run at most). */
export class PolecatDiscovery {
  readonly #client: KubeClient;
  readonly #list: () => readonly KubeObject[];
  readonly #log: Logger;
  readonly namespace: string;
  #running: Promise<DiscoveryResult> | undefined;
  #latest: TownSnapshot | undefined;
  #dirty = false;
  /**
   * Decoded views by the cached object itself (null: does not decode). The cache replaces an
   * object on every change and hands out the same object until then, so each version is decoded
   * once instead of every view on every cycle (0.9 s a minute at 10,000 idle views).
   */
  readonly #decoded = new WeakMap<KubeObject, Polecat | null>();

  constructor(options: PolecatDiscoveryOptions) {
    this.#client = options.client;
    this.#list = options.listPolecats;
    this.namespace = options.namespace ?? DEFAULT_DISCOVERY_NAMESPACE;
    this.#log = (options.logger ?? silentLogger()).child({ component: 'discovery' });
  }

  /**
   * Brings the discovered views in line with `snapshot`; never rejects. A call during a run
   * makes that run go round once more with the latest snapshot; the result sums the rounds.
   */
  sync(snapshot: TownSnapshot | undefined): Promise<DiscoveryResult> {
    this.#latest = snapshot;
    this.#dirty = true;
    this.#running ??= this.#loop();
    return this.#running;
  }

  async #loop(): Promise<DiscoveryResult> {
    const total = { created: 0, updated: 0, deleted: 0, retired: 0, failed: 0 };
    try {
      while (this.#dirty) {
        this.#dirty = false;
        const r = await this.#apply(this.#latest);
        total.created += r.created;
        total.updated += r.updated;
        total.deleted += r.deleted;
        total.retired += r.retired;
        total.failed += r.failed;
      }
      return total;
    } finally {
      this.#running = undefined;
    }
  }

  async #apply(snapshot: TownSnapshot | undefined): Promise<DiscoveryResult> {
    const polecats: Polecat[] = [];
    for (const obj of this.#list()) {
      const polecat = this.#decode(obj);
      if (polecat) polecats.push(polecat);
    }
    const plan = planDiscovery(snapshot, polecats, this.namespace);
    const outcomes = await bounded(MAX_IN_FLIGHT, [
      ...plan.create.map((d) => () => this.#create(d)),
      ...plan.updateSpec.map((u) => () => this.#guard('update', u.name, () => this.#client.patch(POLECAT_KIND, u, { type: 'merge', body: { spec: u.spec } }))),
      ...plan.delete.map((d) => () => this.#orphanAndDelete(d, { polecat: d.polecat }, 'discovered polecat view removed: its gt polecat is gone')),
      ...plan.retire.map((r) => () => this.#orphanAndDelete(r, { polecat: r.polecat, supersededBy: r.supersededBy }, 'discovered polecat view retired: a user Polecat follows its gt polecat')),
    ]);
    const failed = outcomes.filter((ok) => !ok).length;
    const result = { created: plan.create.length, updated: plan.updateSpec.length, deleted: plan.delete.length, retired: plan.retire.length, failed };
    if (plan.create.length + plan.updateSpec.length + plan.delete.length + plan.retire.length > 0) this.#log.info(result, 'discovered polecat views synced');
    return result;
  }

  #decode(obj: KubeObject): Polecat | null {
    let polecat = this.#decoded.get(obj);
    if (polecat === undefined) {
      const decoded = decodePolecat(obj);
      polecat = decoded.ok ? decoded.value : null;
      this.#decoded.set(obj, polecat);
    }
    return polecat;
  }

  /**
   * Orphan first, delete only then: the Polecat controller releases an orphaned view without
   * check-recovery or nuke. A failed patch leaves the view for the next cycle.
   */
  async #orphanAndDelete(view: { namespace: string; name: string }, fields: Record<string, string>, message: string): Promise<boolean> {
    const ref = { namespace: view.namespace, name: view.name };
    const orphan = { metadata: { annotations: { [Annotation.OnDelete]: ON_DELETE_ORPHAN } } };
    const marked = await this.#guard('orphan', view.name, () => this.#client.patch(POLECAT_KIND, ref, { type: 'merge', body: orphan }));
    if (!marked) return false;
    const deleted = await this.#guard('delete', view.name, () => this.#client.delete(POLECAT_KIND, ref));
    if (deleted) this.#log.info({ view: `${view.namespace}/${view.name}`, ...fields }, message);
    return deleted;
  }

  async #create(d: DiscoveredPolecat): Promise<boolean> {
    const body = { metadata: { name: d.name, namespace: d.namespace, labels: { ...d.labels } }, spec: d.spec };
    const created = await this.#guard('create', d.name, async () => {
      try {
        await this.#client.create(POLECAT_KIND, body);
      } catch (error) {
        if (statusCodeOf(error) !== 409) throw error;
      }
    });
    if (!created) return false;
    const ref = { namespace: d.namespace, name: d.name };
    return this.#guard('status', d.name, () => this.#client.patch(POLECAT_KIND, ref, { type: 'merge', body: { status: d.status } }, 'status'));
  }

  async #guard(action: string, name: string, fn: () => Promise<unknown>): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (error) {
      if (statusCodeOf(error) === 404 && action !== 'create') return true;
      this.#log.warn({ err: error, action, name, namespace: this.namespace }, 'discovered polecat view not synced; retrying next cycle');
      return false;
    }
  }
}
