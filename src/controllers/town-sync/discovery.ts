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
//   tombstones of every short-lived polecat would pile up without end. Polecats users created
//   are never deleted here (the Polecat controller marks them Terminated);
// - a gt polecat counts as followed by a Polecat whose status names it (gtName + rig), by a
//   discovered view labelled for it, or by a Polecat of the same rig still waiting for its
//   sling of the same bead (the window between `gt sling` and the status write), so an
//   operator sling never gets a twin view;
// - idempotent: planned from the informer cache, AlreadyExists and NotFound tolerated; a failed
//   read of the town plans nothing (a failed read is not an empty town).
import { createHash } from 'node:crypto';
import {
  decodePolecat, DesiredState, isBeadId, Label, POLECAT_KIND, RIG_NAME_PATTERN, TRUE_VALUE, type Polecat, type PolecatSpec,
} from '../../api/index.ts';
import type { PolecatListItem } from '../../gt/types.ts';
import type { Logger } from '../../observability/logger.ts';
import { silentLogger } from '../../observability/logger.ts';
import { statusCodeOf, type KubeClient, type KubeObject } from '../../runtime/k8s.ts';
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

export interface DiscoveryPlan {
  readonly create: readonly DiscoveredPolecat[];
  readonly updateSpec: readonly { readonly namespace: string; readonly name: string; readonly spec: PolecatSpec }[];
  readonly delete: readonly { readonly namespace: string; readonly name: string; readonly polecat: string }[];
}

/** What a discovered view's spec says for a gt polecat: what it does now. */
export function specFor(polecat: PolecatListItem): PolecatSpec {
  return polecat.issue && isBeadId(polecat.issue)
    ? { rig: polecat.rig, desiredState: DesiredState.Working, beadID: polecat.issue }
    : { rig: polecat.rig, desiredState: DesiredState.Idle };
}

function isDiscovered(p: Polecat): boolean {
  return p.metadata.labels?.[Label.Discovered] === TRUE_VALUE;
}

/** The gt polecat key a Polecat follows, if it is known. */
export function followedKey(p: Polecat): string | undefined {
  const rig = p.status?.rig ?? p.spec.rig;
  const name = p.status?.gtName ?? (isDiscovered(p) ? p.metadata.labels?.[Label.Polecat] : undefined);
  return name ? polecatKey(rig, name) : undefined;
}

/** A Polecat of `rig` waiting for the result of its own sling of `bead`. */
function slingInFlight(p: Polecat, rig: string, bead: string | undefined): boolean {
  return bead !== undefined && !p.status?.gtName && p.spec.rig === rig && p.spec.beadID === bead && p.spec.desiredState === DesiredState.Working;
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

/** Plans creations, spec updates and deletions of discovered views. Pure. */
export function planDiscovery(snapshot: TownSnapshot | undefined, polecats: readonly Polecat[], namespace: string): DiscoveryPlan {
  if (!snapshot?.ok) return { create: [], updateSpec: [], delete: [] };
  const data: TownData = snapshot;
  const followed = new Set(polecats.map(followedKey).filter((k) => k !== undefined));
  const names = new Set(polecats.filter((p) => p.metadata.namespace === namespace).map((p) => p.metadata.name));
  const create: DiscoveredPolecat[] = [];
  for (const [key, gt] of data.polecats) {
    if (followed.has(key) || polecats.some((p) => slingInFlight(p, gt.rig, gt.issue))) continue;
    if (!RIG_NAME_PATTERN.test(gt.rig)) continue;
    const name = discoveredName(gt.rig, gt.name, (n) => names.has(n));
    if (name === undefined) continue;
    names.add(name);
    create.push({ name, namespace, labels: labelsFor(gt), spec: specFor(gt), status: { gtName: gt.name, rig: gt.rig } });
  }
  const updateSpec: DiscoveryPlan['updateSpec'][number][] = [];
  const remove: DiscoveryPlan['delete'][number][] = [];
  for (const view of polecats) {
    if (!isDiscovered(view) || view.metadata.namespace !== namespace || view.metadata.deletionTimestamp) continue;
    const key = followedKey(view);
    if (key === undefined) continue;
    const gt = data.polecats.get(key);
    const ref = { namespace, name: view.metadata.name };
    const spec = gt ? nextSpec(view, gt, data) : undefined;
    if (!gt) remove.push({ ...ref, polecat: key });
    else if (spec !== undefined) updateSpec.push({ ...ref, spec });
  }
  return { create, updateSpec, delete: remove };
}

export interface DiscoveryResult {
  readonly created: number;
  readonly updated: number;
  readonly deleted: number;
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

/** Applies discovery plans; runs are serialized and coalesced (one pending run at most). */
export class PolecatDiscovery {
  readonly #client: KubeClient;
  readonly #list: () => readonly KubeObject[];
  readonly #log: Logger;
  readonly namespace: string;
  #running: Promise<DiscoveryResult> | undefined;
  #latest: TownSnapshot | undefined;
  #dirty = false;

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
    const total = { created: 0, updated: 0, deleted: 0, failed: 0 };
    try {
      while (this.#dirty) {
        this.#dirty = false;
        const r = await this.#apply(this.#latest);
        total.created += r.created;
        total.updated += r.updated;
        total.deleted += r.deleted;
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
      const decoded = decodePolecat(obj);
      if (decoded.ok) polecats.push(decoded.value);
    }
    const plan = planDiscovery(snapshot, polecats, this.namespace);
    const outcomes = await Promise.all([
      ...plan.create.map((d) => this.#create(d)),
      ...plan.updateSpec.map((u) => this.#guard('update', u.name, () => this.#client.patch(POLECAT_KIND, u, { type: 'merge', body: { spec: u.spec } }))),
      ...plan.delete.map((d) => this.#guard('delete', d.name, () => this.#client.delete(POLECAT_KIND, d))),
    ]);
    const failed = outcomes.filter((ok) => !ok).length;
    const result = { created: plan.create.length, updated: plan.updateSpec.length, deleted: plan.delete.length, failed };
    if (plan.create.length + plan.updateSpec.length + plan.delete.length > 0) this.#log.info(result, 'discovered polecat views synced');
    return result;
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
