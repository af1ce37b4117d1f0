// A rig's bare repository `<town>/<rig>/.repo.git`, as gt keeps it (the proxy serves git from
// it; gastown docs/proxy-server.md): created with the real git, branch `main` holding one
// initial commit. Deterministic (fixed author and date), so a seed always gives the same ids.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function rigRepoPath(root: string, rig: string): string {
  return join(root, rig, '.repo.git');
}

function data(text: string): string {
  return `data ${Buffer.byteLength(text)}\n${text}\n`;
}

/** Creates the rig's bare repository unless it exists. */
export function createRigRepo(root: string, rig: string, gitUrl: string): void {
  const repo = rigRepoPath(root, rig);
  if (existsSync(repo)) return;
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: root, GIT_CONFIG_NOSYSTEM: '1' };
  execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', repo], { env, stdio: 'ignore' });
  const who = 'Gas Town <mayor@gastown.local> 1700000000 +0000';
  const stream = `commit refs/heads/main\nauthor ${who}\ncommitter ${who}\n${data(`Initial commit of ${rig}`)}M 644 inline README.md\n${data(`# ${rig}\n\nUpstream: ${gitUrl}`)}`;
  execFileSync('git', ['fast-import', '--quiet'], { cwd: repo, env, input: stream, stdio: ['pipe', 'ignore', 'pipe'] });
}
