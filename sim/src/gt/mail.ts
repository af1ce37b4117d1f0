// `gt mail send <address> -s <subject> -m <body>`: stores the message (unread) and logs the
// `mail` event gt writes for every send. gt v1.2 adds `--human`: the message goes to the
// overseer (the human), no address needed.
import { flagBool, flagValue, parseArgs } from '../args.ts';
import { TOWN_PREFIX, nowIso } from '../domain.ts';
import { defaultRng, freshId } from '../ids.ts';
import { CommandError, out } from '../output.ts';
import type { CommandContext } from '../runtime.ts';
import { DB_DOWN_MESSAGE, actor, dbDown } from './common.ts';
import { isCurrent } from '../version.ts';

const HUMAN = 'overseer';

async function send(ctx: CommandContext, args: readonly string[]): Promise<void> {
  const bools = ['urgent', 'notify', 'self', 'stdin'];
  const parsed = parseArgs(args, {
    bools: isCurrent(ctx.read(), ctx.env) ? [...bools, 'human'] : bools,
    values: ['subject', 'message', 'to', 'type', 'priority', 'reply-to'],
    short: { s: 'subject', m: 'message' },
  });
  const human = flagBool(parsed, 'human');
  const named = parsed.positionals[0] ?? flagValue(parsed, 'to');
  if (human && named !== undefined && named !== HUMAN) throw new CommandError(`--human sends to the overseer; drop the address '${named}'`);
  const to = human ? HUMAN : named;
  if (to === undefined) throw new CommandError('address required (use positional arg, --to, or --self)');
  const subject = flagValue(parsed, 'subject') ?? '';
  const body = flagValue(parsed, 'message') ?? '';
  if (dbDown(ctx)) throw new CommandError(`sending message: ${DB_DOWN_MESSAGE}`);
  const from = actor(ctx);
  await ctx.mutate((state) => {
    state.mail.push({ id: freshId(TOWN_PREFIX, state.beads, defaultRng), to, from, subject, body, sentAt: nowIso(), read: false });
  });
  ctx.events.push({ type: 'mail', actor: from, payload: { to, subject } });
  out(ctx.output, `✓ Message sent to ${to}`);
}

export function run(ctx: CommandContext, args: readonly string[]): Promise<void> {
  const [sub = '', ...rest] = args;
  ctx.commandPath = `mail ${sub}`;
  if (sub !== 'send') return Promise.reject(new CommandError(`unknown command "${sub}" for "gt mail"`, false));
  return send(ctx, rest);
}
