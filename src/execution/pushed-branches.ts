// Where a Pod-mode polecat's work is saved: the `polecat/<name>-*` branches of the rig's bare
// repository `<town>/<rig>/.repo.git`, the only refs a polecat may push through the gt proxy
// (docs/pod-execution.md, "Nuke safety").
//
// gt judges unsaved work from the town host: check-recovery's `cleanup_status` is what the
// polecat last reported about the worktree it ran `gt done` in, and `gt polecat git-state`
// inspects `<town>/<rig>/polecats/<name>/<rig>/`. A polecat in a pod commits in the pod and
// pushes through the proxy, so the host worktree never sees its commits (it reads clean). The
// bare repository does: a pushed branch is there, an unpushed one is not.
//
// Reads the refs as files (loose refs under refs/heads/polecat/, then packed-refs); no git
// process. Errors are values.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export type BranchReadError = { readonly kind: 'Unreadable'; readonly message: string };
export type BranchRead = { readonly ok: true; readonly repo: string; readonly branches: readonly string[] } | { readonly ok: false; readonly error: BranchReadError };

export function rigBareRepo(townRoot: string, rig: string): string {
  return join(townRoot, rig, '.repo.git');
}

function code(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
}

async function looseRefs(dir: string, prefix: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).filter((n) => n.startsWith(prefix));
  } catch (error) {
    if (code(error) === 'ENOENT') return [];
    throw error;
  }
}

async function packedRefs(repo: string, prefix: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(join(repo, 'packed-refs'), 'utf8');
  } catch (error) {
    if (code(error) === 'ENOENT') return [];
    throw error;
  }
  const names: string[] = [];
  for (const line of text.split('\n')) {
    const ref = /^[0-9a-f]{40,64} refs\/heads\/polecat\/(.+)$/.exec(line)?.[1];
    if (ref !== undefined && ref.startsWith(prefix)) names.push(ref);
  }
  return names;
}

/** The `polecat/<name>-*` branches of the rig's bare repository (names without `refs/heads/`). */
export async function pushedPolecatBranches(townRoot: string, rig: string, name: string): Promise<BranchRead> {
  const repo = rigBareRepo(townRoot, rig);
  const prefix = `${name}-`;
  try {
    await readdir(repo);
    const found = new Set([...(await looseRefs(join(repo, 'refs', 'heads', 'polecat'), prefix)), ...(await packedRefs(repo, prefix))]);
    return { ok: true, repo, branches: [...found].sort().map((b) => `polecat/${b}`) };
  } catch (error) {
    return { ok: false, error: { kind: 'Unreadable', message: `${repo}: ${error instanceof Error ? error.message : String(error)}` } };
  }
}
