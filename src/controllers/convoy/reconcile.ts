// The Convoy reconcile: gather -> decide -> act -> write status, level-based on a key.
//
// Gather: the Convoy from the informer cache, the latest town snapshot, and only the targeted
// gt reads decide needs (probesFor): while there is no convoy ID, the search for our marker
// (the snapshot's open convoys first, then `gt convoy list --all`, which also sees closed
// convoys and is not cut at 50: a negative answer must be authoritative before creating);
// `gt convoy status <id>` while tracking is unverified or the snapshot does not list it.
// A Completed or Failed convoy costs nothing: no probes, no bead interest, no requeue.
// Act, fold, write, Events, sync request: shared/reconcile.ts carryOut (create / add / notify
// through the GtClient; the status once, only if it changed, resourceVersion as precondition).
// For the notification the intent is written first (see decide.ts): a stale cache or a restart
// then fails the precondition or finds the intent, and the mail is never sent twice.
import { decodeConvoy, type Convoy, type ConvoyStatus } from '../../api/index.ts';
import type { ConvoyListItem } from '../../gt/index.ts';
import type { Logger } from '../../observability/logger.ts';
import { silentLogger } from '../../observability/logger.ts';
import type { ReconcileContext, ReconcileResult } from '../../runtime/controller.ts';
import { decodeOrThrow } from '../shared/controller.ts';
import { probe } from '../shared/probe.ts';
import { carryOut, requeueOf } from '../shared/reconcile.ts';
import type { GtViewReconcilerDeps } from '../shared/sinks.ts';
import type { TownSnapshot } from '../town-sync/snapshot.ts';
import { DEFAULT_CONVOY_CONFIG, decideConvoy, isSettled, probesFor, type ConvoyAction, type ConvoyConfig, type ConvoyDecision } from './decide.ts';
import { applyAdd, applyCreate, applyNotify } from './outcome.ts';
import { findByMarker } from './status.ts';

export type ConvoyReconcilerDeps = GtViewReconcilerDeps<ConvoyStatus, ConvoyConfig>;

type CallOpts = { signal?: AbortSignal };

export function beadInterestOwner(key: string): string {
  return `convoy:${key}`;
}

export class ConvoyReconciler {
  readonly #deps: ConvoyReconcilerDeps;
  readonly #config: ConvoyConfig;
  readonly #log: Logger;

  constructor(deps: ConvoyReconcilerDeps) {
    this.#deps = deps;
    this.#config = deps.config ?? DEFAULT_CONVOY_CONFIG;
    this.#log = deps.logger ?? silentLogger();
  }

  async reconcile(key: string, ctx?: Pick<ReconcileContext, 'signal'>): Promise<ReconcileResult> {
    const { gt, town, clock, get } = this.#deps;
    const obj = get(key);
    const owner = beadInterestOwner(key);
    if (obj === undefined) {
      town.unregisterBeadInterest(owner);
      return undefined;
    }
    const convoy = decodeOrThrow(decodeConvoy, obj);
    if (isSettled(convoy)) town.unregisterBeadInterest(owner);
    else town.registerBeadInterest(owner, [...convoy.spec.trackedBeads, ...(convoy.status?.beadsConvoyID ? [convoy.status.beadsConvoyID] : [])]);
    const opts: CallOpts = ctx?.signal === undefined ? {} : { signal: ctx.signal };
    const snapshot = town.current();
    const wanted = probesFor(convoy, snapshot);
    const id = convoy.status?.beadsConvoyID;
    const [search, gtConvoy] = await Promise.all([
      wanted.search ? probe(() => this.#search(convoy, snapshot, opts)) : undefined,
      wanted.status && id !== undefined ? probe(() => gt.convoyStatus(id, opts)) : undefined,
    ]);
    const now = clock.now();
    const d = decideConvoy(
      { convoy, snapshot, gtReachable: gt.breakerState() !== 'open', ...(search ? { search } : {}), ...(gtConvoy ? { gtConvoy } : {}) },
      now,
      this.#config,
    );
    const decided = await carryOut<ConvoyStatus, ConvoyAction, ConvoyDecision>({
      subject: `convoy ${key}`,
      obj,
      decision: d,
      intent: (action) => action.type === 'notify',
      act: (action, current) => this.#act(action, current, opts),
      status: this.#deps.status,
      events: this.#deps.events,
      town,
    });
    return requeueOf(decided);
  }

  /** Our gt convoy by marker: the snapshot's open convoys, else the full list (closed too, no 50 cap). */
  async #search(convoy: Convoy, snapshot: TownSnapshot | undefined, opts: CallOpts): Promise<ConvoyListItem | undefined> {
    const cached = snapshot?.ok ? findByMarker(snapshot.openConvoys.values(), convoy) : undefined;
    if (cached !== undefined) return cached;
    return findByMarker(await this.#deps.gt.convoyList({ ...opts, all: true }), convoy);
  }

  async #act(action: ConvoyAction, d: ConvoyDecision, opts: CallOpts): Promise<ConvoyDecision> {
    const { gt, clock } = this.#deps;
    switch (action.type) {
      case 'create': {
        // No --notify: the operator sends its own single notification (gt would mail again on auto-close).
        const result = await probe(() => gt.convoyCreate(action.title, action.beads, opts));
        this.#log.info({ title: action.title, ok: result.ok }, 'gt convoy create');
        return applyCreate(d, action, result, clock.now(), this.#config);
      }
      case 'add': {
        const result = await probe(() => gt.convoyAdd(action.id, action.beads, opts));
        return applyAdd(d, action, result, clock.now(), this.#config);
      }
      case 'notify': {
        const result = await probe(() => gt.mailSend(action.address, action.subject, action.body, opts));
        this.#log.info({ address: action.address, ok: result.ok }, 'convoy completion mail');
        return applyNotify(d, action, result, clock.now(), this.#config);
      }
    }
  }
}
