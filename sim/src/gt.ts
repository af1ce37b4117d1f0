// Entry point of the simulated `gt`. Only the command group that runs is imported, to keep
// each process start (one per operator call) cheap.
import { runMain } from './runtime.ts';
import type { CommandContext } from './runtime.ts';

const HELP = `Gas Town (simulated) - multi-agent workspace manager

Usage:
  gt [command]

Available Commands:
  convoy      Track batches of work across rigs
  done        Signal work ready for merge queue
  hook        Show or attach work on a hook
  mail        Agent messaging system
  mq          Merge queue operations
  nudge       Send a message to a polecat session
  peek        View recent output from a polecat session
  polecat     Manage polecats (persistent identity, ephemeral sessions)
  refinery    Manage the Refinery (merge queue processor)
  rig         Manage rigs in the workspace
  sling       Assign work to an agent
  status      Show overall town status
  witness     Manage the Witness (per-rig polecat health monitor)
`;

async function dispatch(ctx: CommandContext, args: readonly string[]): Promise<void> {
  const [group = '', ...rest] = args;
  switch (group) {
    case '':
    case 'help':
    case '--help':
    case '-h':
      ctx.output.stdout.push(HELP);
      return;
    case 'rig': return (await import('./gt/rig.ts')).run(ctx, rest);
    case 'status': return (await import('./gt/status.ts')).run(ctx, rest);
    case 'witness':
    case 'refinery':
    case 'mq':
      return (await import('./gt/agents.ts')).run(ctx, group, rest);
    case 'polecat': return (await import('./gt/polecat.ts')).run(ctx, rest);
    case 'sling': return (await import('./gt/sling.ts')).run(ctx, rest);
    case 'hook': return (await import('./gt/hook.ts')).run(ctx, rest);
    case 'convoy': return (await import('./gt/convoy.ts')).run(ctx, rest);
    case 'mail': return (await import('./gt/mail.ts')).run(ctx, rest);
    case 'done': return (await import('./gt/done.ts')).run(ctx, rest);
    case 'nudge':
    case 'peek':
      return (await import('./gt/session.ts')).run(ctx, group, rest);
    default:
      ctx.output.stderr.push(`Error: unknown command "${group}" for "gt"\nRun 'gt --help' for usage.\n`);
      ctx.output.exitCode = 1;
  }
}

await runMain('gt', process.argv.slice(2), dispatch);
