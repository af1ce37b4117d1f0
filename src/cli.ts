// The command line: `gastown-operator <command>`. Each command lives in src/commands/; this
// file only declares flags (with their environment fallbacks and defaults, shown in --help)
// and maps failures to exit codes with a one-line reason on stderr.
import { Command, InvalidArgumentError, Option } from 'commander';
import { runInspect } from './commands/inspect-command.ts';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function buildCli(): Command {
  const program = new Command('gastown-operator')
    .description('Kubernetes operator for Gas Town: Rig, Polecat and Convoy views of a gt town')
    .showHelpAfterError()
    .configureHelp({ sortOptions: false });

  program
    .command('inspect')
    .description('read the town through gt/bd and print what the operator sees (rigs, polecats, convoys)')
    .addOption(new Option('--town-root <dir>', 'Gas Town root directory (default: ~/gt; with --simulate: ~/.gastown-operator/sim-town)').env('GT_TOWN_ROOT'))
    .addOption(new Option('--gt-path <path>', 'gt binary (looked up on PATH)').env('GT_PATH'))
    .addOption(new Option('--bd-path <path>', 'bd binary (looked up on PATH)').env('BD_PATH'))
    .option('--simulate', 'read the bundled town simulator instead of a real gt (creates a demo town)', false)
    .addOption(new Option('--timeout <ms>', 'per-call timeout for gt/bd').argParser(positiveInt).default(30_000))
    .option('--json', 'print {"rigs":[...],"polecats":[...],"convoys":[...]} instead of tables', false)
    .action(async (opts: InspectFlags) => {
      process.exitCode = await runInspect(opts);
    });

  return program;
}

export interface InspectFlags {
  townRoot?: string;
  gtPath?: string;
  bdPath?: string;
  simulate: boolean;
  timeout: number;
  json: boolean;
}
