// The process shell shared by the simulated `gt` and `bd`: find the town, apply faults
// (latency, hang, crash, output corruption), run the command, print like cobra does, append
// the command's events to the town log, and record the call in the call log at exit.
import { setTimeout as sleep } from 'node:timers/promises';
import { appendCall } from './calllog.ts';
import type { EventInput } from './events.ts';
import { NO_FAULTS, takeFaults } from './faults.ts';
import type { ActiveFaults } from './faults.ts';
import type { SimState } from './model.ts';
import { CommandError, ExitError, err, newOutput } from './output.ts';
import type { Output } from './output.ts';
import { isInside, locateTown } from './paths.ts';
import { mutateState, readState } from './store.ts';

export interface CommandContext {
  bin: 'gt' | 'bd';
  root: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  faults: ActiveFaults;
  output: Output;
  /** Events this call emits; written after the command, only by gt and only from inside the town. */
  events: EventInput[];
  /** The cobra command path for the usage text, e.g. "polecat list". */
  commandPath: string;
  read(): SimState;
  mutate<T>(fn: (state: SimState) => T): Promise<T>;
}

export type Dispatch = (ctx: CommandContext, args: readonly string[]) => Promise<void>;

const PANIC_TEXT = `panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x1a2b3c4]

goroutine 1 [running]:
github.com/steveyegge/gastown/internal/beads.(*Beads).List(0x0, {0xc0001a4000, 0x3, 0x4})
	/home/runner/work/gastown/gastown/internal/beads/beads.go:412 +0x44
github.com/steveyegge/gastown/internal/cmd.runCommand(0xc000236f00, {0xc0001b6e40, 0x2, 0x2})
	/home/runner/work/gastown/gastown/internal/cmd/root.go:188 +0x1c5
github.com/spf13/cobra.(*Command).execute(0xc000236f00, {0xc0001b6e00, 0x2, 0x2})
	/home/runner/go/pkg/mod/github.com/spf13/cobra@v1.8.1/command.go:985 +0xaaa
main.main()
	/home/runner/work/gastown/gastown/cmd/gt/main.go:12 +0x25
`;

const STDOUT_WARNINGS = [
  'warning: beads.role not configured; defaulting to maintainer (run: bd config set beads.role maintainer)',
  'warning: database schema is older than this bd binary; run `bd migrate` to upgrade',
];

const GARBAGE = '\u001b[?25l\u0000\u0003\ufffd{"rigs": [<<<\u0010 corrupt \u0007>>>\n';

function usageText(bin: string, path: string): string {
  const leaf = path.split(' ').at(-1) ?? bin;
  const cmd = path === '' ? bin : `${bin} ${path}`;
  return `Usage:\n  ${cmd} [flags]\n\nFlags:\n  -h, --help   help for ${leaf}\n\nGlobal Flags:\n      --no-color   disable color output\n`;
}

function report(ctx: CommandContext, error: unknown): void {
  if (error instanceof ExitError) {
    ctx.output.exitCode = error.exitCode;
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  err(ctx.output, `Error: ${message}`);
  if (error instanceof CommandError && error.usage) ctx.output.stderr.push(usageText(ctx.bin, ctx.commandPath));
  ctx.output.exitCode = 1;
}

function corruptStdout(faults: ActiveFaults, stdout: string): string {
  let text = stdout;
  if (faults.garbage) text = GARBAGE;
  if (faults.truncate) text = text.slice(0, Math.floor(text.length / 2));
  if (faults.stdoutWarnings) text = STDOUT_WARNINGS.map((l) => `${l}\n`).join('') + text;
  return text;
}

function finish(bin: 'gt' | 'bd', root: string | undefined, args: readonly string[], started: number, exitCode: number | null): void {
  if (root === undefined) return;
  appendCall(root, { ts: new Date(Date.now()).toISOString(), bin, args: [...args], durationMs: Math.round(performance.now() - started), exitCode });
}

/** Logs the call when the process is terminated mid-flight (a hang fault), then dies by the signal. */
function logOnTermination(bin: 'gt' | 'bd', root: string, args: readonly string[], started: number): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      finish(bin, root, args, started, null);
      process.kill(process.pid, signal);
    });
  }
}

async function applyPreRunFaults(faults: ActiveFaults): Promise<'crash' | undefined> {
  if (faults.latencyMs > 0) await sleep(faults.latencyMs);
  if (faults.hang) {
    // A hung CLI: never returns. Only a signal ends it (SIGKILL leaves no call-log line).
    setInterval(() => undefined, 1 << 30);
    await new Promise<never>(() => undefined);
  }
  return faults.crash ? 'crash' : undefined;
}

async function execute(ctx: CommandContext, args: readonly string[], dispatch: Dispatch): Promise<void> {
  try {
    await dispatch(ctx, args);
  } catch (error) {
    report(ctx, error);
  }
}

/** Runs one gt/bd invocation end to end and sets the process exit code. */
export async function runMain(bin: 'gt' | 'bd', args: readonly string[], dispatch: Dispatch): Promise<void> {
  const started = performance.now();
  const cwd = process.cwd();
  const env = process.env;
  const town = locateTown(cwd, env);
  const root = town.ok ? town.root : undefined;
  if (root !== undefined) logOnTermination(bin, root, args, started);
  let faults = NO_FAULTS;
  try {
    faults = await takeFaults(root, bin, args, env);
  } catch (error) {
    process.stderr.write(`gt-sim: bad fault rules: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  if ((await applyPreRunFaults(faults)) === 'crash') {
    process.stderr.write(PANIC_TEXT);
    process.exitCode = 2;
    finish(bin, root, args, started, 2);
    return;
  }
  const output = newOutput();
  if (!town.ok) {
    err(output, `Error: ${town.message}`);
    process.stderr.write(output.stderr.join(''));
    process.exitCode = 1;
    return;
  }
  const ctx: CommandContext = {
    bin, root: town.root, cwd, env, faults, output, events: [], commandPath: '',
    read: () => readState(town.root),
    mutate: (fn) => mutateState(town.root, fn),
  };
  await execute(ctx, args, dispatch);
  if (bin === 'gt' && ctx.events.length > 0 && isInside(town.root, cwd)) {
    const { appendEvents } = await import('./events.ts');
    await appendEvents(town.root, ctx.events);
  }
  process.stdout.write(corruptStdout(faults, output.stdout.join('')));
  process.stderr.write(output.stderr.join(''));
  process.exitCode = output.exitCode;
  finish(bin, root, args, started, output.exitCode);
}
