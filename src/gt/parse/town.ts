// Parsers for the town- and rig-level reads: `gt rig list`, `gt status`, `gt witness
// status`, `gt refinery status`.
//
// Guarantees: snake_case JSON exactly as gt prints it (Go struct tags of gastown
// internal/cmd/status.go, rig.go, witness.go, refinery.go) in, camelCase domain types out;
// `No rigs configured.` (printed even with --json) reads as an empty list.
import { z } from 'zod';
import {
  MQ_HEALTHS, MQ_STATES, RIG_STATES, SERVICE_STATES,
  type AgentHook, type AgentRuntime, type RefineryStatus, type Rig, type TownStatus, type WitnessStatus,
} from '../types.ts';
import { count, flag, list, openEnum, optString, str } from './fields.ts';
import { isPlainReply, parseJsonOutput } from './json.ts';

const rigListEntry = z
  .object({
    name: z.string(),
    beads_prefix: str,
    status: openEnum(RIG_STATES),
    witness: openEnum(SERVICE_STATES),
    refinery: openEnum(SERVICE_STATES),
    polecats: count,
    crew: count,
  })
  .transform((r): Rig => ({
    name: r.name,
    sessionPrefix: r.beads_prefix,
    status: r.status,
    witness: r.witness,
    refinery: r.refinery,
    polecatCount: r.polecats,
    crewCount: r.crew,
  }));

export function parseRigList(stdout: string): Rig[] {
  if (isPlainReply(stdout, 'No rigs configured.')) return [];
  return parseJsonOutput(z.array(rigListEntry), stdout, 'gt rig list');
}

const agentRuntime = z
  .object({
    name: z.string(),
    address: str,
    session: str,
    role: str,
    running: flag,
    has_work: flag,
    work_title: optString,
    hook_bead: optString,
    state: optString,
    unread_mail: count,
  })
  .transform((a): AgentRuntime => ({
    name: a.name,
    address: a.address,
    session: a.session,
    role: a.role,
    running: a.running,
    hasWork: a.has_work,
    workTitle: a.work_title,
    hookBead: a.hook_bead,
    state: a.state,
    unreadMail: a.unread_mail,
  }));

const agentHook = z
  .object({ agent: z.string(), role: str, has_work: flag, molecule: optString, title: optString })
  .transform((h): AgentHook => ({
    agent: h.agent, role: h.role, hasWork: h.has_work, molecule: h.molecule, title: h.title,
  }));

const mqSummary = z
  .object({
    pending: count,
    in_flight: count,
    blocked: count,
    state: openEnum(MQ_STATES),
    health: openEnum(MQ_HEALTHS),
  })
  .transform((m) => ({
    pending: m.pending, inFlight: m.in_flight, blocked: m.blocked, state: m.state, health: m.health,
  }));

const rigRuntime = z
  .object({
    name: z.string(),
    polecats: list(z.string()),
    polecat_count: count,
    crews: list(z.string()),
    crew_count: count,
    has_witness: flag,
    has_refinery: flag,
    hooks: list(agentHook),
    agents: list(agentRuntime),
    mq: mqSummary.nullish(),
  })
  .transform((r) => ({
    name: r.name,
    polecats: r.polecats,
    polecatCount: r.polecat_count,
    crews: r.crews,
    crewCount: r.crew_count,
    hasWitness: r.has_witness,
    hasRefinery: r.has_refinery,
    hooks: r.hooks,
    agents: r.agents,
    ...(r.mq ? { mq: r.mq } : {}),
  }));

const townStatus = z
  .object({
    name: str,
    location: str,
    agents: list(agentRuntime),
    rigs: list(rigRuntime),
    summary: z
      .object({
        rig_count: count,
        polecat_count: count,
        crew_count: count,
        witness_count: count,
        refinery_count: count,
        active_hooks: count,
      })
      .nullish(),
  })
  .transform((t): TownStatus => ({
    name: t.name,
    location: t.location,
    agents: t.agents,
    rigs: t.rigs,
    summary: {
      rigCount: t.summary?.rig_count ?? t.rigs.length,
      polecatCount: t.summary?.polecat_count ?? 0,
      crewCount: t.summary?.crew_count ?? 0,
      witnessCount: t.summary?.witness_count ?? 0,
      refineryCount: t.summary?.refinery_count ?? 0,
      activeHooks: t.summary?.active_hooks ?? 0,
    },
  }));

export function parseTownStatus(stdout: string): TownStatus {
  return parseJsonOutput(townStatus, stdout, 'gt status');
}

const witnessStatus = z
  .object({ running: flag, rig_name: z.string(), session: optString, monitored_polecats: list(z.string()) })
  .transform((w): WitnessStatus => ({
    running: w.running, rigName: w.rig_name, session: w.session, monitoredPolecats: w.monitored_polecats,
  }));

export function parseWitnessStatus(stdout: string): WitnessStatus {
  return parseJsonOutput(witnessStatus, stdout, 'gt witness status');
}

const refineryStatus = z
  .object({ running: flag, rig_name: z.string(), session: optString, queue_length: count })
  .transform((r): RefineryStatus => ({
    running: r.running, rigName: r.rig_name, session: r.session, queueLength: r.queue_length,
  }));

export function parseRefineryStatus(stdout: string): RefineryStatus {
  return parseJsonOutput(refineryStatus, stdout, 'gt refinery status');
}
