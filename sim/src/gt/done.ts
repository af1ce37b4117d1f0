// `gt done`, run from inside a polecat worktree: the polecat hands its work in. The sim
// closes the hooked bead directly (the real refinery would merge first), idles the polecat,
// ends its session and logs the `done` event with the polecat as actor.
import { relative } from 'node:path';
import { agentAddress, findPolecat, finishWork } from '../domain.ts';
import { CommandError, out } from '../output.ts';
import type { CommandContext } from '../runtime.ts';

export async function run(ctx: CommandContext, _args: readonly string[]): Promise<void> {
  ctx.commandPath = 'done';
  const [rig, dir, name] = relative(ctx.root, ctx.cwd).split('/');
  if (rig === undefined || dir !== 'polecats' || name === undefined) throw new CommandError('not in a polecat worktree (gt done must run from a polecat session)');
  await ctx.mutate((state) => {
    const p = findPolecat(state, rig, name);
    if (p === undefined) throw new CommandError(`polecat '${name}' not found in rig '${rig}'`);
    const branch = p.branch;
    const bead = finishWork(state, p);
    ctx.events.push({ type: 'done', actor: agentAddress(p), payload: { bead: bead?.id ?? '', branch } });
    out(ctx.output, `✓ Work complete: ${bead?.id ?? '(no hooked bead)'}`);
  });
}
