// The gt client interface: one typed async method per gt/bd command the operator needs.
//
// Guarantees: every method validates its arguments before anything is executed, goes
// through the one shared runner (timeout, output cap, concurrency limit, circuit breaker),
// parses the real output per docs/gt-contract.md, and resolves to camelCase domain types or
// rejects with a GtError (see errors.ts). Everything outside src/gt/ depends on this
// interface only, so controllers can be tested with a fake and metrics hook in via the
// runner's observer. Reads are batched where gt allows it (townStatus, polecatListAll,
// beadShow with many ids): prefer those over per-resource calls.
import type { BreakerState } from './breaker.ts';
import type {
  BeadShowResult, Convoy, ConvoyAddResult, ConvoyCheckResult, ConvoyCloseResult,
  ConvoyCreateOptions, ConvoyCreateResult, ConvoyListItem, GitState, HookStatus,
  MailSendResult, MergeRequest, MqListStatus, NukeResult, PolecatListItem, PolecatStatus, RecoveryCheck,
  RefineryStatus, Rig, SlingOptions, SlingResult, TownStatus, WitnessStatus,
} from './types.ts';

export type { BreakerState };

/** Options every call accepts. */
export interface CallOptions {
  /** Cancels the call: the process group is killed and the call rejects with Transient. */
  readonly signal?: AbortSignal;
}

export interface GtClient {
  /** `gt rig list --json`; `No rigs configured.` reads as `[]`. */
  rigList(opts?: CallOptions): Promise<Rig[]>;
  /** `gt status --json [--fast]`: rigs, agents, hooks and merge queues in one call. */
  townStatus(opts?: CallOptions & { readonly fast?: boolean }): Promise<TownStatus>;
  witnessStatus(rig: string, opts?: CallOptions): Promise<WitnessStatus>;
  refineryStatus(rig: string, opts?: CallOptions): Promise<RefineryStatus>;
  /**
   * `gt mq list <rig> --json [--status <s>]`: merge-request beads with their description
   * fields parsed. Without `status` gt lists open MRs only; `closed` lists the finished ones
   * (gt's own `--status` flag, exact match: gastown internal/cmd/mq.go, mq_list.go). Closed
   * MRs stored as wisps come without `closed_at` (gt reads them with SQL that does not select
   * it): use `updatedAt` then. gt's JSON never carries the bead's `close_reason`.
   */
  mqList(rig: string, opts?: CallOptions & { readonly status?: MqListStatus }): Promise<MergeRequest[]>;
  /**
   * `gt polecat list <rig> --json`. gt skips a rig it cannot read and still exits 0; the
   * client rejects instead (Unavailable when the database is down), so an empty or short
   * list always means there are no (more) polecats.
   */
  polecatList(rig: string, opts?: CallOptions): Promise<PolecatListItem[]>;
  /** `gt polecat list --all --json`: every rig in one call; rejects if gt skipped any rig. */
  polecatListAll(opts?: CallOptions): Promise<PolecatListItem[]>;
  polecatStatus(rig: string, name: string, opts?: CallOptions): Promise<PolecatStatus>;
  polecatGitState(rig: string, name: string, opts?: CallOptions): Promise<GitState>;
  /** The Witness's safety check; ask it before any nuke. */
  polecatCheckRecovery(rig: string, name: string, opts?: CallOptions): Promise<RecoveryCheck>;
  /**
   * `gt polecat nuke <rig>/<name> [--force]`. Idempotent (a missing polecat succeeds).
   * A refusal rejects with CLIError whose `blocked` lists the reasons gt printed.
   */
  polecatNuke(rig: string, name: string, opts?: CallOptions & { readonly force?: boolean }): Promise<NukeResult>;
  /** `gt sling <bead> <rig>`: returns the real polecat name and any convoy id printed. */
  sling(bead: string, rig: string, opts?: CallOptions & SlingOptions): Promise<SlingResult>;
  /** `gt hook status <target> --json`; target is an agent address such as `<rig>/polecats/<name>`. */
  hookStatus(target: string, opts?: CallOptions): Promise<HookStatus>;
  /** `gt convoy create <name> <beads...>`: returns the new id (verify tracking with convoyStatus). */
  convoyCreate(
    name: string,
    beads: readonly string[],
    opts?: CallOptions & ConvoyCreateOptions,
  ): Promise<ConvoyCreateResult>;
  /**
   * `gt convoy status <id> --json`. NotFound carries `possiblyTransient: true`: gt prints
   * the same text when the database is down.
   */
  convoyStatus(id: string, opts?: CallOptions): Promise<Convoy>;
  /** `gt convoy list --json [--all]`: open convoys (at most 50) unless `all`. */
  convoyList(opts?: CallOptions & { readonly all?: boolean }): Promise<ConvoyListItem[]>;
  convoyAdd(id: string, beads: readonly string[], opts?: CallOptions): Promise<ConvoyAddResult>;
  /** `gt convoy check [id]`: closes convoys whose beads are all closed. */
  convoyCheck(id?: string, opts?: CallOptions): Promise<ConvoyCheckResult>;
  convoyClose(id: string, opts?: CallOptions & { readonly force?: boolean }): Promise<ConvoyCloseResult>;
  /**
   * `bd show <ids...> --json` in ONE call. Ids bd does not know are listed in `missing`
   * (bd's "no issues found" exit-1 reply means all are missing); nothing is thrown for them.
   */
  beadShow(ids: readonly string[], opts?: CallOptions): Promise<BeadShowResult>;
  /** `gt mail send <address> -s <subject> -m <body>`. */
  mailSend(address: string, subject: string, body: string, opts?: CallOptions): Promise<MailSendResult>;
  /** The shared circuit breaker's state, for health endpoints and conditions. */
  breakerState(): BreakerState;
}
