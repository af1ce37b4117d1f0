// Fixtures for town-sync and rig unit tests: domain objects as the gt client returns them, a
// fake GtClient that serves a mutable town and fails loudly on any method a cycle must not call.
import { GtError } from '../../../src/gt/errors.ts';
import type { GtClient } from '../../../src/gt/client.ts';
import type {
  Bead, ConvoyListItem, OpenEnum, PolecatListItem, Rig, RigRuntime, TownStatus,
} from '../../../src/gt/types.ts';
import type { TownData } from '../../../src/controllers/town-sync/snapshot.ts';
import { buildTownData } from '../../../src/controllers/town-sync/observer.ts';

export function known<K extends string>(kind: K): OpenEnum<K> {
  return { kind, raw: kind };
}

export function rig(name: string, status = 'operational', prefix = name.slice(0, 2)): Rig {
  const kind = ['operational', 'parked', 'docked', 'error'].includes(status) ? status : 'unknown';
  return {
    name,
    sessionPrefix: prefix,
    status: { kind: kind as Rig['status']['kind'], raw: status },
    witness: known('running'),
    refinery: known('running'),
    polecatCount: 1,
    crewCount: 0,
  };
}

export function runtime(name: string, polecats: string[] = []): RigRuntime {
  return {
    name,
    polecats,
    polecatCount: polecats.length,
    crews: [],
    crewCount: 0,
    hasWitness: true,
    hasRefinery: true,
    hooks: [],
    agents: [],
    mq: { pending: 2, inFlight: 1, blocked: 0, state: known('processing'), health: known('healthy') },
  };
}

export function polecat(rigName: string, name: string, issue?: string, state = 'working'): PolecatListItem {
  return {
    rig: rigName,
    name,
    state: { kind: state as PolecatListItem['state']['kind'], raw: state },
    sessionRunning: true,
    ...(issue === undefined ? {} : { issue }),
  };
}

export function bead(id: string, status = 'open'): Bead {
  return { id, title: id, description: '', status: { kind: status as Bead['status']['kind'], raw: status }, labels: [], dependencies: [] };
}

export function convoy(id: string, tracked: string[]): ConvoyListItem {
  return {
    id,
    title: id,
    status: known('open'),
    tracked: tracked.map((t) => ({ id: t, title: t, status: known('open'), dependencyType: 'tracks', issueType: 'task', blocked: false, labels: [] })),
    completed: 0,
    total: tracked.length,
  };
}

export interface FakeTown {
  rigs: Rig[];
  polecats: PolecatListItem[];
  convoys: ConvoyListItem[];
  beads: Map<string, Bead>;
}

export function townStatusOf(town: FakeTown): TownStatus {
  const rigs = town.rigs.map((r) => runtime(r.name, town.polecats.filter((p) => p.rig === r.name).map((p) => p.name)));
  return {
    name: 'town',
    location: '/town',
    agents: [],
    rigs,
    summary: { rigCount: rigs.length, polecatCount: town.polecats.length, crewCount: 0, witnessCount: 0, refineryCount: 0, activeHooks: 0 },
  };
}

export function dataOf(town: FakeTown, observedAt = 0): TownData {
  const ids = new Set<string>([...town.polecats.flatMap((p) => (p.issue ? [p.issue] : [])), ...town.convoys.flatMap((c) => c.tracked.map((t) => t.id))]);
  const found = [...ids].flatMap((id) => (town.beads.has(id) ? [town.beads.get(id)!] : []));
  const missing = [...ids].filter((id) => !town.beads.has(id));
  return buildTownData(observedAt, town.rigs, townStatusOf(town), town.polecats, town.convoys, { found, missing }, undefined);
}

export interface FakeGt {
  client: GtClient;
  town: FakeTown;
  calls: string[];
  /** Fails every read with this error while set. */
  failWith: GtError | undefined;
  /** Resolves reads only when released (to hold a cycle in flight). */
  gate: Promise<void> | undefined;
}

function unexpected(name: string): () => never {
  return () => {
    throw new Error(`unexpected GtClient.${name} call in a sync cycle`);
  };
}

export function fakeGt(town: FakeTown): FakeGt {
  const fake: FakeGt = { client: undefined as unknown as GtClient, town, calls: [], failWith: undefined, gate: undefined };
  const read = async <T>(label: string, value: () => T): Promise<T> => {
    fake.calls.push(label);
    if (fake.gate) await fake.gate;
    if (fake.failWith) throw fake.failWith;
    return value();
  };
  fake.client = {
    rigList: () => read('gt rig list', () => [...fake.town.rigs]),
    townStatus: () => read('gt status', () => townStatusOf(fake.town)),
    polecatListAll: () => read('gt polecat list --all', () => [...fake.town.polecats]),
    convoyList: () => read('gt convoy list', () => [...fake.town.convoys]),
    beadShow: (ids) => read('bd show', () => ({
      found: ids.flatMap((id) => (fake.town.beads.has(id) ? [fake.town.beads.get(id)!] : [])),
      missing: ids.filter((id) => !fake.town.beads.has(id)),
    })),
    breakerState: () => 'closed',
    witnessStatus: unexpected('witnessStatus'),
    refineryStatus: unexpected('refineryStatus'),
    mqList: unexpected('mqList'),
    polecatList: unexpected('polecatList'),
    polecatStatus: unexpected('polecatStatus'),
    polecatGitState: unexpected('polecatGitState'),
    polecatCheckRecovery: unexpected('polecatCheckRecovery'),
    polecatNuke: unexpected('polecatNuke'),
    sling: unexpected('sling'),
    hookStatus: unexpected('hookStatus'),
    convoyCreate: unexpected('convoyCreate'),
    convoyStatus: unexpected('convoyStatus'),
    convoyAdd: unexpected('convoyAdd'),
    convoyCheck: unexpected('convoyCheck'),
    convoyClose: unexpected('convoyClose'),
    mailSend: unexpected('mailSend'),
  };
  return fake;
}

export function gtError(kind: GtError['kind'], message = `${kind} failure`): GtError {
  return new GtError(kind, message, { command: 'gt status' });
}
