// `gt status [--json] [--fast]`: the town overview, the best single machine-readable read.
// Reproduces gt's nil-slice quirks (`polecats`/`crews` are null when empty), `--fast` leaving
// out hooks, mail and the merge-queue summary, and gastown internal/cmd/status.go gatherStatus:
// structural has_witness/has_refinery, session names from the rig prefix, `mq` only when the
// queue is not empty, hooks from handoff beads only.
import { flagBool, parseArgs } from '../args.ts';
import { openMergeRequests, polecatsByRig, rigAgentSession, sessionName } from '../domain.ts';
import type { SimPolecat, SimRig, SimState } from '../model.ts';
import { json, out } from '../output.ts';
import type { CommandContext } from '../runtime.ts';

interface AgentRuntime {
  name: string;
  address: string;
  session: string;
  role: string;
  running: boolean;
  acp: boolean;
  has_work: boolean;
  work_title?: string;
  hook_bead?: string;
  state?: string;
  unread_mail: number;
  first_subject?: string;
}

function agent(state: SimState, name: string, address: string, session: string, role: string, running: boolean, fast: boolean): AgentRuntime {
  const a: AgentRuntime = { name, address, session, role, running, acp: false, has_work: false, unread_mail: 0 };
  return fast ? a : withMail(state, a);
}

/** gt's populateMailInfo (skipped with --fast): unread count and the first unread subject. */
function withMail(state: SimState, a: AgentRuntime, alias?: string): AgentRuntime {
  const unread = state.mail.filter((m) => (m.to === a.address || m.to === alias) && !m.read);
  a.unread_mail = unread.length;
  if (unread[0] !== undefined) a.first_subject = unread[0].subject;
  return a;
}

function polecatAgent(state: SimState, p: SimPolecat, fast: boolean): AgentRuntime {
  const bead = p.hookBead !== undefined ? state.beads[p.hookBead] : undefined;
  // Built in gt's struct order: has_work, work_title, hook_bead, state, then unread_mail.
  const a: AgentRuntime = {
    name: p.name, address: `${p.rig}/${p.name}`, session: sessionName(state, p.rig, p.name), role: 'polecat', running: p.sessionRunning, acp: false,
    has_work: p.hookBead !== undefined,
    ...(bead !== undefined ? { work_title: bead.title } : {}),
    ...(p.hookBead !== undefined ? { hook_bead: p.hookBead } : {}),
    state: p.state,
    unread_mail: 0,
  };
  return fast ? a : withMail(state, a, `${p.rig}/polecats/${p.name}`);
}

/** An entry of `rigs[].hooks`: gt reads these from `<role> Handoff` pinned beads, which the
 * simulator never has, so no entry shows work (sling hooks show under `agents[]` instead). */
function hookEntry(agentAddress: string, role: string): Record<string, unknown> {
  return { agent: agentAddress, role, has_work: false };
}

/**
 * gt's getMQSummary: open MRs without blockers are pending, in_progress ones in flight; no
 * summary at all (omitted) when the queue is empty.
 */
function mqSummary(state: SimState, rig: SimRig): Record<string, unknown> | undefined {
  const mrs = openMergeRequests(state, rig);
  const inFlight = mrs.filter((m) => m.status === 'in_progress').length;
  const pending = mrs.filter((m) => m.status === 'open').length;
  const blocked = 0;
  if (pending === 0 && inFlight === 0 && blocked === 0) return undefined;
  const queueState = inFlight > 0 ? 'processing' : pending > 0 ? 'idle' : 'blocked';
  const health = pending > 10 && inFlight === 0 ? 'stale' : 'healthy';
  return { pending, in_flight: inFlight, blocked, state: queueState, health };
}

/**
 * One `rigs[]` entry. `has_witness`/`has_refinery` say that the rig has a witness directory
 * and a refinery clone (gastown rig/manager.go loadRig), not that they run: whether they run
 * is `agents[].running` of the `witness`/`refinery` entries. `polecats` lists the polecat
 * directories (a zombie has none), `null` when there are none.
 */
function rigStatus(state: SimState, rig: SimRig, rigsPolecats: readonly SimPolecat[], fast: boolean): Record<string, unknown> {
  const polecats = rigsPolecats.filter((p) => p.worktree);
  const out: Record<string, unknown> = {
    name: rig.name,
    polecats: polecats.length === 0 ? null : polecats.map((p) => p.name),
    polecat_count: polecats.length,
    crews: rig.crew.length === 0 ? null : [...rig.crew],
    crew_count: rig.crew.length,
    has_witness: true,
    has_refinery: true,
  };
  if (!fast) {
    out['hooks'] = [
      ...polecats.map((p) => hookEntry(`${rig.name}/${p.name}`, 'polecat')),
      ...rig.crew.map((c) => hookEntry(`${rig.name}/crew/${c}`, 'crew')),
      hookEntry(`${rig.name}/witness`, 'witness'),
      hookEntry(`${rig.name}/refinery`, 'refinery'),
    ];
  }
  out['agents'] = [
    agent(state, 'witness', `${rig.name}/witness`, rigAgentSession(state, rig.name, 'witness'), 'witness', rig.witnessRunning, fast),
    agent(state, 'refinery', `${rig.name}/refinery`, rigAgentSession(state, rig.name, 'refinery'), 'refinery', rig.refineryRunning, fast),
    ...polecats.map((p) => polecatAgent(state, p, fast)),
    ...rig.crew.map((c) => agent(state, c, `${rig.name}/crew/${c}`, `${rig.prefix}-crew-${c}`, 'crew', false, fast)),
  ];
  if (!fast) {
    const mq = mqSummary(state, rig);
    if (mq !== undefined) out['mq'] = mq;
  }
  return out;
}

export function townStatus(ctx: CommandContext, fast: boolean): Record<string, unknown> {
  const state = ctx.read();
  const rigs = Object.values(state.rigs).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const byRig = polecatsByRig(state);
  const rigEntries = rigs.map((r) => rigStatus(state, r, byRig.get(r.name) ?? [], fast));
  const hooksWithWork = rigEntries.flatMap((r) => (r['hooks'] as Array<{ has_work: boolean }> | undefined) ?? []).filter((h) => h.has_work).length;
  return {
    name: state.townName,
    location: ctx.root,
    agents: [
      agent(state, 'mayor', 'mayor/', 'hq-mayor', 'coordinator', true, fast),
      agent(state, 'deacon', 'deacon/', 'hq-deacon', 'health-check', true, fast),
    ],
    rigs: rigEntries,
    summary: {
      rig_count: rigs.length,
      polecat_count: rigEntries.reduce((n, r) => n + (r['polecat_count'] as number), 0),
      crew_count: rigs.reduce((n, r) => n + r.crew.length, 0),
      witness_count: rigs.length,
      refinery_count: rigs.length,
      active_hooks: hooksWithWork,
    },
  };
}

export function run(ctx: CommandContext, args: readonly string[]): Promise<void> {
  ctx.commandPath = 'status';
  const parsed = parseArgs(args, { bools: ['json', 'fast', 'verbose'], short: { v: 'verbose' } });
  const status = townStatus(ctx, flagBool(parsed, 'fast'));
  if (flagBool(parsed, 'json')) {
    json(ctx.output, status);
    return Promise.resolve();
  }
  const summary = status['summary'] as Record<string, number>;
  out(ctx.output, `Town: ${String(status['name'])}`);
  out(ctx.output, `${ctx.root}`);
  out(ctx.output);
  out(ctx.output, `Rigs: ${summary['rig_count']}  Polecats: ${summary['polecat_count']}  Hooks: ${summary['active_hooks']}`);
  return Promise.resolve();
}
