// Builders for the Polecat and Convoy decision tables: decoded resources (schema defaults
// applied, as the reconcilers see them), gt domain values and town snapshots, all plain data.
import { decodeConvoy, decodePolecat, type Convoy, type ConvoyInput, type Polecat, type PolecatInput } from '../../../src/api/index.ts';
import { GtError, type GtErrorKind } from '../../../src/gt/errors.ts';
import type {
  Bead, BeadStatusKind, ConvoyListItem, OpenEnum, PolecatListItem, RecoveryCheck, Rig, RigRuntime, TrackedBead,
} from '../../../src/gt/types.ts';
import { polecatKey, type TownData, type TownSnapshot } from '../../../src/controllers/town-sync/snapshot.ts';

export const NOW = Date.UTC(2026, 3, 1, 12, 0, 0);
export const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

export function open<K extends string>(raw: string, known: readonly K[]): OpenEnum<K> {
  return { kind: (known as readonly string[]).includes(raw) ? (raw as K) : 'unknown', raw };
}

const POLECAT_STATES = ['working', 'idle', 'done', 'stuck', 'stalled', 'zombie', 'active'] as const;
const BEAD_STATES = ['open', 'in_progress', 'blocked', 'deferred', 'closed', 'pinned', 'hooked', 'tombstone'] as const;

export function polecat(over: { spec?: Partial<PolecatInput['spec']>; status?: Polecat['status']; labels?: Record<string, string>; annotations?: Record<string, string>; generation?: number } = {}): Polecat {
  const input: PolecatInput = {
    metadata: { name: 'pc1', namespace: 'ns', uid: 'u-1', generation: over.generation ?? 1, resourceVersion: '1', ...(over.labels ? { labels: over.labels } : {}), ...(over.annotations ? { annotations: over.annotations } : {}) },
    spec: { rig: 'gastown', desiredState: 'Working', beadID: 'gt-abc12', ...over.spec },
    ...(over.status ? { status: over.status } : {}),
  };
  const decoded = decodePolecat(input);
  if (!decoded.ok) throw decoded.error;
  return decoded.value;
}

export function convoy(over: { spec?: Partial<ConvoyInput['spec']>; status?: Convoy['status']; generation?: number } = {}): Convoy {
  const input: ConvoyInput = {
    metadata: { name: 'cv1', namespace: 'ns', uid: '1234abcd-0000-4000-8000-000000000000', generation: over.generation ?? 1, resourceVersion: '1' },
    spec: { description: 'Ship it', trackedBeads: ['gt-aaa11', 'bd-bbb22'], ...over.spec },
    ...(over.status ? { status: over.status } : {}),
  };
  const decoded = decodeConvoy(input);
  if (!decoded.ok) throw decoded.error;
  return decoded.value;
}

export function item(name: string, state: string, extra: Partial<PolecatListItem> = {}): PolecatListItem {
  return { rig: 'gastown', name, state: open(state, POLECAT_STATES), sessionRunning: state !== 'stalled', ...extra };
}

export function bead(id: string, status: string): Bead {
  return { id, title: id, description: '', status: open(status, BEAD_STATES), labels: [], dependencies: [] };
}

export function tracked(id: string, status: string): TrackedBead {
  return { id, title: id, status: open<BeadStatusKind>(status, BEAD_STATES), dependencyType: 'tracks', issueType: 'task', blocked: false, labels: [] };
}

export function listedConvoy(id: string, title: string, beads: readonly TrackedBead[], status = 'open'): ConvoyListItem {
  return { id, title, status: open(status, ['open', 'closed', 'staged_ready', 'staged_warnings'] as const), createdAt: '2026-04-01T10:00:00Z', tracked: beads, completed: beads.filter((b) => b.status.kind === 'closed').length, total: beads.length };
}

export function rig(name: string, status = 'operational'): Rig {
  const svc = open('running', ['running', 'stopped'] as const);
  return { name, sessionPrefix: name.slice(0, 2), status: open(status, ['operational', 'parked', 'docked', 'error'] as const), witness: svc, refinery: svc, polecatCount: 0, crewCount: 0 };
}

export function recovery(verdict: string, cleanup: string): RecoveryCheck {
  return {
    rig: 'gastown', polecat: 'nux', needsRecovery: verdict !== 'SAFE_TO_NUKE',
    verdict: open(verdict, ['SAFE_TO_NUKE', 'NEEDS_RECOVERY', 'NEEDS_MQ_SUBMIT', 'PENDING_MR'] as const),
    cleanupStatus: open(cleanup, ['clean', 'has_uncommitted', 'has_stash', 'has_unpushed', 'unknown'] as const),
    blockers: [],
  };
}

export function gtError(kind: GtErrorKind, message = `${kind} happened`, extra: { possiblyTransient?: boolean; stderr?: string; blocked?: { target: string; reasons: string[] }[] } = {}): GtError {
  return new GtError(kind, message, { command: 'gt test', ...extra });
}

export interface TownParts {
  observedAt?: number;
  rigs?: Rig[];
  polecats?: PolecatListItem[];
  runtime?: RigRuntime[];
  beads?: Bead[];
  missing?: string[];
  convoys?: ConvoyListItem[];
}

export function townData(parts: TownParts = {}): TownData {
  const rigs = parts.rigs ?? [rig('gastown')];
  return {
    observedAt: parts.observedAt ?? NOW - 500,
    rigs: new Map(rigs.map((r) => [r.name, r])),
    rigRuntime: new Map((parts.runtime ?? []).map((r) => [r.name, r])),
    town: { name: 't', location: '/t', agents: [], rigs: parts.runtime ?? [], summary: { rigCount: rigs.length, polecatCount: 0, crewCount: 0, witnessCount: 0, refineryCount: 0, activeHooks: 0 } },
    polecats: new Map((parts.polecats ?? []).map((p) => [polecatKey(p.rig, p.name), p])),
    openConvoys: new Map((parts.convoys ?? []).map((c) => [c.id, c])),
    beads: new Map((parts.beads ?? []).map((b) => [b.id, b])),
    missingBeads: new Set(parts.missing ?? []),
  };
}

export function town(parts: TownParts = {}): TownSnapshot {
  return { ok: true, ...townData(parts) };
}

export function failedTown(error: GtError): TownSnapshot {
  return { ok: false, observedAt: NOW - 500, error };
}

export function cond(status: { conditions?: readonly { type: string; status: string; reason: string }[] } | undefined, type: string): { status: string; reason: string } | undefined {
  const c = status?.conditions?.find((x) => x.type === type);
  return c === undefined ? undefined : { status: c.status, reason: c.reason };
}
