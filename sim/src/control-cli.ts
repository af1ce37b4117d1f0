// `gt-sim`: the control CLI over control.ts, for demos and shell-driven tests. The town is
// --town DIR, else GT_TOWN_ROOT, else found by walking up from the cwd.
import { resolve } from 'node:path';
import { parseArgs, flagValue, flagBool } from './args.ts';
import type { ParsedArgs } from './args.ts';
import * as control from './control.ts';
import { MERGE_REQUEST_OUTCOMES } from './domain.ts';
import { parseFaultRules } from './faults.ts';
import { seededRng, defaultRng } from './ids.ts';
import type { RigStatus } from './model.ts';
import { locateTown } from './paths.ts';
import { parseGtVersion } from './version.ts';

const HELP = `gt-sim - control the simulated Gas Town

Usage: gt-sim <command> [args] [--town DIR]

Commands:
  init [DIR] [--rigs N] [--polecats N] [--beads N] [--convoys N] [--seed N] [--gt-version 1.0|1.2]
                                      create a ready town (DIR defaults to --town / GT_TOWN_ROOT);
                                      the town behaves like that gt release (default GT_SIM_VERSION,
                                      else 1.2); GT_SIM_VERSION on a later gt/bd call overrides it
  add-bead <title> [--rig R] [--type T] [--priority N]   print the new bead id
  close-bead <id> [--reason R]        close a bead like bd close (no event)
  done <rig>/<polecat>                the polecat finishes its work (gt done, event done)
  set-state <rig>/<polecat> <state>   working|idle|done|stuck|stalled|zombie|<any>
  kill-session <rig>/<polecat>        the session dies (event session_death)
  dirty <rig>/<polecat> [--uncommitted a,b] [--unpushed N] [--stash N] [--open-mr]
        [--needs-mq-submit] [--cleanup-status S]  set the worktree's dirt
  clean <rig>/<polecat>               clear all dirt; self-report clean
  merge-request <rig> [--outcome success|resolved|conflict|failure] [--polecat P] [--queued SECONDS]
                                      submit an MR (print its id); with --outcome the refinery finishes it
  finish-mr <id> --outcome O [--reason R]   the refinery finishes an open MR
  park|dock|unpark <rig>              change rig status (no event)
  sling <bead> <rig> [--no-convoy]    sling outside k8s (events spawn/hook/sling)
  remove <rig>/<polecat>              remove a polecat outside k8s (no event)
  settings [--max-polecats N] [--convoy-tracking-fails true|false]
  dispatch                            dispatch scheduler-queued beads
  fault '<json array>' [--add]        set (or append) fault rules
  clear-faults                        remove every fault rule
  calls [--clear]                     print the call log (JSON lines)
  prune-events [--keep N]             prune .events.jsonl by write-and-rename
  tick [--seed N]                     one step of random activity
  activity [--interval 5s] [--seed N] run tick in a loop until interrupted
  state                               print the simulator state (JSON)
`;

function townOf(parsed: ParsedArgs): string {
  const explicit = flagValue(parsed, 'town');
  if (explicit !== undefined) return resolve(explicit);
  const found = locateTown(process.cwd(), process.env);
  if (!found.ok) throw new Error(found.message);
  return found.root;
}

function polecatArg(arg: string | undefined): [string, string] {
  const [rig, name] = (arg ?? '').split('/');
  if (rig === undefined || name === undefined || rig === '' || name === '') throw new Error(`expected <rig>/<polecat>, got '${arg ?? ''}'`);
  return [rig, name];
}

function num(parsed: ParsedArgs, name: string): number | undefined {
  const v = flagValue(parsed, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number`);
  return n;
}

function intervalMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (m === null) throw new Error(`bad interval '${text}' (e.g. 500ms, 5s, 1m)`);
  const scale = m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000;
  return Number(m[1]) * scale;
}

async function init(parsed: ParsedArgs): Promise<void> {
  const { createTown, DEFAULT_RIGS } = await import('./town.ts');
  const dir = parsed.positionals[1] ?? flagValue(parsed, 'town') ?? process.env['GT_TOWN_ROOT'];
  if (dir === undefined) throw new Error('init needs a directory (argument, --town or GT_TOWN_ROOT)');
  const rigCount = num(parsed, 'rigs');
  const extra = ['wasteland', 'citadel', 'bullet', 'gastown2', 'farm', 'tanker'];
  const rigs = rigCount === undefined ? [...DEFAULT_RIGS] : Array.from({ length: rigCount }, (_, i) => DEFAULT_RIGS[i] ?? { name: extra[i - 2] ?? `rig${i}`, prefix: `r${i}` });
  const version = flagValue(parsed, 'gt-version');
  const opts = {
    rigs, polecatsPerRig: num(parsed, 'polecats'), beadsPerRig: num(parsed, 'beads'), convoys: num(parsed, 'convoys'), seed: num(parsed, 'seed'),
    gtVersion: version === undefined ? undefined : parseGtVersion(version, '--gt-version'),
  };
  await createTown(dir, Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)));
  console.log(`Town created at ${resolve(dir)}`);
}

async function activity(root: string, parsed: ParsedArgs): Promise<void> {
  const every = intervalMs(flagValue(parsed, 'interval') ?? '5s');
  const seed = num(parsed, 'seed');
  const rng = seed === undefined ? defaultRng : seededRng(seed);
  for (;;) {
    console.log(`${new Date().toISOString()} ${await control.tick(root, rng)}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

async function polecatCommand(cmd: string, root: string, parsed: ParsedArgs): Promise<void> {
  const [rig, name] = polecatArg(parsed.positionals[1]);
  if (cmd === 'done') console.log((await control.finishWork(root, rig, name)) ?? '');
  else if (cmd === 'set-state') await control.setPolecatState(root, rig, name, parsed.positionals[2] ?? 'idle');
  else if (cmd === 'kill-session') await control.killSession(root, rig, name);
  else if (cmd === 'remove') await control.removePolecatOutside(root, rig, name);
  else if (cmd === 'clean') await control.makeDirty(root, rig, name, { uncommittedFiles: [], unpushedCommits: 0, stashCount: 0, openMr: false, needsMqSubmit: false, cleanupStatus: 'clean' });
  else {
    const files = flagValue(parsed, 'uncommitted');
    const status = flagValue(parsed, 'cleanup-status');
    await control.makeDirty(root, rig, name, {
      ...(files !== undefined ? { uncommittedFiles: files.split(',') } : {}),
      ...(num(parsed, 'unpushed') !== undefined ? { unpushedCommits: num(parsed, 'unpushed') } : {}),
      ...(num(parsed, 'stash') !== undefined ? { stashCount: num(parsed, 'stash') } : {}),
      ...(flagBool(parsed, 'open-mr') ? { openMr: true } : {}),
      ...(flagBool(parsed, 'needs-mq-submit') ? { needsMqSubmit: true } : {}),
      ...(status !== undefined ? { cleanupStatus: status } : {}),
    });
  }
}

type TownCommand = (root: string, parsed: ParsedArgs) => Promise<unknown>;

function outcomeArg(value: string | undefined): control.MergeRequestOutcome | undefined {
  if (value === undefined) return undefined;
  const outcome = MERGE_REQUEST_OUTCOMES.find((o) => o === value);
  if (outcome === undefined) throw new Error(`--outcome must be one of ${MERGE_REQUEST_OUTCOMES.join(', ')}, got '${value}'`);
  return outcome;
}

function rigStatusCommand(status: RigStatus): TownCommand {
  return (root, parsed) => control.setRigStatus(root, parsed.positionals[1] ?? '', status);
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

const TOWN_COMMANDS: Record<string, TownCommand> = {
  'add-bead': async (root, p) => {
    const input = { title: p.positionals[1] ?? 'New task', ...optional('rig', flagValue(p, 'rig')), ...optional('issueType', flagValue(p, 'type')), ...optional('priority', num(p, 'priority')) };
    console.log(await control.addBead(root, input));
  },
  'merge-request': async (root, p) => {
    const opts = { ...optional('outcome', outcomeArg(flagValue(p, 'outcome'))), ...optional('polecat', flagValue(p, 'polecat')), ...optional('queuedSeconds', num(p, 'queued')), ...optional('closeReason', flagValue(p, 'reason')) };
    console.log(await control.mergeRequest(root, p.positionals[1] ?? '', opts));
  },
  'finish-mr': (root, p) => {
    const outcome = outcomeArg(flagValue(p, 'outcome'));
    if (outcome === undefined) throw new Error('finish-mr needs --outcome');
    return control.finishMergeRequest(root, p.positionals[1] ?? '', outcome, defaultRng, flagValue(p, 'reason'));
  },
  'close-bead': (root, p) => control.closeBead(root, p.positionals[1] ?? '', flagValue(p, 'reason') ?? 'Closed'),
  park: rigStatusCommand('parked'),
  dock: rigStatusCommand('docked'),
  unpark: rigStatusCommand('operational'),
  sling: async (root, p) => {
    console.log(JSON.stringify(await control.slingOutside(root, p.positionals[1] ?? '', p.positionals[2] ?? '', { convoy: !flagBool(p, 'no-convoy') })));
  },
  settings: (root, p) => {
    const fails = flagValue(p, 'convoy-tracking-fails');
    return control.setSettings(root, { ...optional('maxPolecats', num(p, 'max-polecats')), ...optional('convoyTrackingFails', fails === undefined ? undefined : fails === 'true') });
  },
  dispatch: async (root) => console.log(await control.dispatchScheduled(root)),
  fault: (root, p) => {
    const rules = parseFaultRules(JSON.parse(p.positionals[1] ?? '[]'));
    return flagBool(p, 'add') ? control.addFaultRules(root, rules) : control.setFaultRules(root, rules);
  },
  'clear-faults': (root) => control.clearFaults(root),
  calls: (root, p) => {
    if (flagBool(p, 'clear')) control.clearCalls(root);
    else for (const c of control.readCalls(root)) console.log(JSON.stringify(c));
    return Promise.resolve();
  },
  'prune-events': async (root, p) => console.log(await control.pruneEventLog(root, num(p, 'keep') ?? 0)),
  tick: async (root, p) => {
    const seed = num(p, 'seed');
    console.log(await control.tick(root, seed === undefined ? defaultRng : seededRng(seed)));
  },
  activity: (root, p) => activity(root, p),
  state: (root) => {
    console.log(JSON.stringify(control.readTown(root), null, 2));
    return Promise.resolve();
  },
};

const POLECAT_COMMANDS = new Set(['done', 'set-state', 'kill-session', 'dirty', 'clean', 'remove']);

async function main(argv: readonly string[]): Promise<void> {
  const parsed = parseArgs(argv, {
    bools: ['help', 'no-convoy', 'open-mr', 'needs-mq-submit', 'add', 'clear'],
    values: ['town', 'rigs', 'polecats', 'beads', 'convoys', 'seed', 'rig', 'type', 'priority', 'reason', 'uncommitted', 'unpushed', 'stash', 'cleanup-status', 'max-polecats', 'convoy-tracking-fails', 'keep', 'interval', 'outcome', 'polecat', 'queued', 'gt-version'],
    short: { h: 'help' },
  });
  const cmd = parsed.positionals[0];
  if (cmd === undefined || cmd === 'help' || flagBool(parsed, 'help')) {
    process.stdout.write(HELP);
    return;
  }
  if (cmd === 'init') return init(parsed);
  const root = townOf(parsed);
  if (POLECAT_COMMANDS.has(cmd)) return polecatCommand(cmd, root, parsed);
  const command = TOWN_COMMANDS[cmd];
  if (command === undefined) throw new Error(`unknown command '${cmd}' (see gt-sim --help)`);
  await command(root, parsed);
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`gt-sim: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
