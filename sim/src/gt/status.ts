// `gt status [--json] [--fast]`: the town overview, the best single machine-readable read.
// Reproduces gt's nil-slice quirks (`polecats`/`crews` are null when empty) and `--fast`
// leaving out hooks, mail and the merge-queue summary.
import { flagBool, parseArgs } from '../args.ts';
import { openMergeRequests, rigPolecats, sessionName } from '../domain.ts';
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
}

function unread(state: SimState, address: string, fast: boolean): number {
  return fast ? 0 : state.mail.filter((m) => m.to === address && !m.read).length;
}

function agent(name: string, address: string, session: string, role: string, running: boolean, mail: number): AgentRuntime {
  return { name, address, session, role, running, acp: false, has_work: false, unread_mail: mail };
}

function polecatAgent(state: SimState, p: SimPolecat, fast: boolean): AgentRuntime {
  const a = agent(p.name, `${p.rig}/${p.name}`, sessionName(p.rig, p.name), 'polecat', p.sessionRunning, unread(state, `${p.rig}/polecats/${p.name}`, fast));
  const bead = p.hookBead !== undefined ? state.beads[p.hookBead] : undefined;
  if (bead !== undefined) {
    a.has_work = true;
    a.work_title = bead.title;
    a.hook_bead = bead.id;
  }
  a.state = p.state;
  return a;
}

function rigStatus(state: SimState, rig: SimRig, fast: boolean): Record<string, unknown> {
  const polecats = rigPolecats(state, rig.name);
  const agents = [
    agent('witness', `${rig.name}/witness`, `gt-${rig.name}-witness`, 'witness', rig.witnessRunning, unread(state, `${rig.name}/witness`, fast)),
    agent('refinery', `${rig.name}/refinery`, `gt-${rig.name}-refinery`, 'refinery', rig.refineryRunning, unread(state, `${rig.name}/refinery`, fast)),
    ...polecats.map((p) => polecatAgent(state, p, fast)),
  ];
  const out: Record<string, unknown> = {
    name: rig.name,
    polecats: polecats.length === 0 ? null : polecats.map((p) => p.name),
    polecat_count: polecats.length,
    crews: rig.crew.length === 0 ? null : [...rig.crew],
    crew_count: rig.crew.length,
    has_witness: rig.witnessRunning,
    has_refinery: rig.refineryRunning,
  };
  if (!fast) {
    const hooks = polecats.map((p) => {
      const bead = p.hookBead !== undefined ? state.beads[p.hookBead] : undefined;
      return bead === undefined
        ? { agent: `${rig.name}/${p.name}`, role: 'polecat', has_work: false }
        : { agent: `${rig.name}/${p.name}`, role: 'polecat', has_work: true, title: bead.title };
    });
    if (hooks.length > 0) out['hooks'] = hooks;
  }
  out['agents'] = agents;
  if (!fast) {
    const mrs = openMergeRequests(state, rig);
    const inFlight = mrs.filter((m) => m.status === 'in_progress').length;
    const pending = mrs.length - inFlight;
    out['mq'] = {
      pending,
      in_flight: inFlight,
      blocked: 0,
      state: inFlight > 0 ? 'processing' : 'idle',
      health: mrs.length === 0 ? 'empty' : 'healthy',
    };
  }
  return out;
}

export function townStatus(ctx: CommandContext, fast: boolean): Record<string, unknown> {
  const state = ctx.read();
  const rigs = Object.values(state.rigs).sort((a, b) => a.name.localeCompare(b.name));
  const polecats = Object.values(state.polecats);
  return {
    name: state.townName,
    location: ctx.root,
    agents: [
      agent('mayor', 'mayor/', 'hq-mayor', 'coordinator', true, unread(state, 'mayor/', fast)),
      agent('deacon', 'deacon/', 'hq-deacon', 'health-check', true, unread(state, 'deacon/', fast)),
    ],
    rigs: rigs.map((r) => rigStatus(state, r, fast)),
    summary: {
      rig_count: rigs.length,
      polecat_count: polecats.length,
      crew_count: rigs.reduce((n, r) => n + r.crew.length, 0),
      witness_count: rigs.filter((r) => r.witnessRunning).length,
      refinery_count: rigs.filter((r) => r.refineryRunning).length,
      active_hooks: fast ? 0 : polecats.filter((p) => p.hookBead !== undefined).length,
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
