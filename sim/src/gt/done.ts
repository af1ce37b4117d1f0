// `gt done`, run from inside a polecat worktree (or through the gt proxy, which names the
// caller in GT_PROXY_IDENTITY=<rig>/<name> from its client certificate): the polecat hands its
// work in. The sim closes the hooked bead directly (the real refinery would merge first), idles
// the polecat (gt v1.2: retires it when clean, see domain.finishWork), ends its session (a
// session process gets a grace period to exit by itself) and logs the `done` event with the
// polecat as actor.
import { relative } from 'node:path';
import { agentAddress, findPolecat, finishWork, sessionName } from '../domain.ts';
import { CommandError, out } from '../output.ts';
import type { CommandContext } from '../runtime.ts';
import { endSession } from '../session/sessions.ts';

function caller(ctx: CommandContext): { rig: string; name: string } {
  const [rig, dir, name] = relative(ctx.root, ctx.cwd).split('/');
  if (rig !== undefined && dir === 'polecats' && name !== undefined) return { rig, name };
  const [proxyRig, proxyName, ...rest] = (ctx.env['GT_PROXY_IDENTITY'] ?? '').split('/');
  if (proxyRig !== undefined && proxyRig !== '' && proxyName !== undefined && proxyName !== '' && rest.length === 0) return { rig: proxyRig, name: proxyName };
  throw new CommandError('not in a polecat worktree (gt done must run from a polecat session)');
}

export async function run(ctx: CommandContext, _args: readonly string[]): Promise<void> {
  ctx.commandPath = 'done';
  const { rig, name } = caller(ctx);
  const session = await ctx.mutate((state) => {
    const p = findPolecat(state, rig, name);
    if (p === undefined) throw new CommandError(`polecat '${name}' not found in rig '${rig}'`);
    const branch = p.branch;
    const session = sessionName(state, rig, name);
    const { bead } = finishWork(ctx.root, state, p);
    ctx.events.push({ type: 'done', actor: agentAddress(p), payload: { bead: bead?.id ?? '', branch } });
    out(ctx.output, `✓ Work complete: ${bead?.id ?? '(no hooked bead)'}`);
    return session;
  });
  await endSession(ctx.root, session, 'grace');
}
