// sim-agent: the scripted polecat agent of the simulator, for tests and demos. It plays what a
// coding agent does in a gt session, printing each step on stdout (what `gt peek` shows):
// clones its rig (through the gt proxy's git endpoint when GT_PROXY_URL is set, else from the
// town's bare `<GT_ROOT>/<rig>/.repo.git`), commits on `polecat/<name>-<stamp>`, pushes that
// branch, runs `gt done` (the `gt` on its PATH: the proxy client in an image) and exits 0.
// Every stdin line is echoed as `sim-agent: nudge: <line>`, so nudges are visible.
// Options (argv, or SIM_AGENT_ARGS split on spaces when argv is empty):
//   --wait-nudge    wait for one stdin line before `gt done`
//   --push-main     also try to push to main and report the refusal
//   --no-git        skip clone/commit/push
//   --exit <code>   exit with <code> after the work, without `gt done`
//   --oom           die by SIGKILL after the work (exit 137, like an OOM kill)
//   --hold          stay alive after `gt done` until stdin closes or a signal arrives
//   --workdir <dir> where the clone lives (default: the working directory; an existing clone
//                   there, e.g. from an init container, is used as is)
// Self-contained (node: modules only) so the polecat image can carry this file alone.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

interface Options {
  waitNudge: boolean;
  pushMain: boolean;
  git: boolean;
  exitCode?: number;
  oom: boolean;
  hold: boolean;
  workdir: string;
}

function parseOptions(argv: readonly string[]): Options {
  const opts: Options = { waitNudge: false, pushMain: false, git: true, oom: false, hold: false, workdir: process.cwd() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--wait-nudge') opts.waitNudge = true;
    else if (arg === '--push-main') opts.pushMain = true;
    else if (arg === '--no-git') opts.git = false;
    else if (arg === '--oom') opts.oom = true;
    else if (arg === '--hold') opts.hold = true;
    else if (arg === '--exit') opts.exitCode = Number(argv[++i]);
    else if (arg === '--workdir') opts.workdir = resolve(argv[++i] ?? '.');
    else if (arg !== '') throw new Error(`unknown option ${arg ?? ''}`);
  }
  if (opts.exitCode !== undefined && !Number.isInteger(opts.exitCode)) throw new Error('--exit needs an integer');
  return opts;
}

function say(line: string): void {
  process.stdout.write(`sim-agent: ${line}\n`);
}

interface RunResult {
  code: number;
  output: string;
}

function run(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.on('error', (error) => done({ code: 127, output: error.message }));
    child.on('close', (code) => done({ code: code ?? 1, output }));
  });
}

async function must(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  const r = await run(cmd, args, cwd, env);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.output.trim()}`);
  return r.output;
}

/** Git's environment: the proxy's mTLS files (GIT_SSL_*) default to the GT_PROXY_* ones. */
function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0' };
  const pairs = [['GIT_SSL_CAINFO', 'GT_PROXY_CA'], ['GIT_SSL_CERT', 'GT_PROXY_CERT'], ['GIT_SSL_KEY', 'GT_PROXY_KEY']] as const;
  for (const [git, proxy] of pairs) if ((env[git] ?? '') === '' && (env[proxy] ?? '') !== '') env[git] = env[proxy];
  return env;
}

function originUrl(rig: string): string {
  const proxy = process.env['GT_PROXY_URL'] ?? '';
  if (proxy !== '') return `${proxy.replace(/\/$/, '')}/v1/git/${rig}`;
  return join(process.env['GT_ROOT'] ?? '.', rig, '.repo.git');
}

async function doGit(opts: Options, rig: string, name: string): Promise<void> {
  const env = gitEnv();
  let repo = opts.workdir;
  if (!existsSync(join(repo, '.git'))) {
    repo = join(opts.workdir, rig);
    say(`cloning ${originUrl(rig)}`);
    mkdirSync(opts.workdir, { recursive: true });
    await must('git', ['clone', '--quiet', originUrl(rig), repo], opts.workdir, env);
  }
  const branch = `polecat/${name}-${Date.now().toString(36)}`;
  const id = ['-c', `user.name=${name}`, '-c', `user.email=${name}@polecats.gastown.local`];
  await must('git', ['checkout', '--quiet', '-b', branch], repo, env);
  mkdirSync(join(repo, 'work'), { recursive: true });
  writeFileSync(join(repo, 'work', `${name}.txt`), `work by ${rig}/${name} at ${new Date().toISOString()}\n`);
  await must('git', ['add', '--all'], repo, env);
  await must('git', [...id, 'commit', '--quiet', '-m', `${name}: simulated work`], repo, env);
  say(`committed on ${branch}`);
  await must('git', ['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], repo, env);
  say(`pushed ${branch}`);
  if (opts.pushMain) {
    const r = await run('git', ['push', '--quiet', 'origin', 'HEAD:refs/heads/main'], repo, env);
    say(r.code === 0 ? 'push to main accepted' : 'push to main refused');
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opts = parseOptions(args.length > 0 ? args : (process.env['SIM_AGENT_ARGS'] ?? '').split(' '));
  const rig = process.env['GT_RIG'] ?? '';
  const name = process.env['GT_POLECAT'] ?? '';
  if (rig === '' || name === '') throw new Error('GT_RIG and GT_POLECAT must be set (gt sets them for a polecat session)');
  say(`${rig}/${name} starting`);
  const lines = createInterface({ input: process.stdin });
  let nudged: (() => void) | undefined;
  const firstNudge = new Promise<void>((r) => (nudged = r));
  lines.on('line', (line) => {
    say(`nudge: ${line}`);
    nudged?.();
  });
  const stdinClosed = new Promise<void>((r) => lines.on('close', r));
  if (opts.git) await doGit(opts, rig, name);
  if (opts.waitNudge) {
    say('waiting for a nudge');
    await firstNudge;
  }
  if (opts.oom) {
    say('out of memory');
    process.kill(process.pid, 'SIGKILL');
  }
  if (opts.exitCode !== undefined) {
    say(`exiting with ${opts.exitCode}`);
    process.exit(opts.exitCode);
  }
  const done = await run('gt', ['done'], process.cwd(), process.env);
  say(`gt done exited ${done.code}: ${done.output.trim()}`);
  if (opts.hold) {
    say('holding');
    await stdinClosed;
  }
  process.exit(done.code === 0 ? 0 : 1);
}

try {
  await main();
} catch (error) {
  say(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
