// Who a session wrapper speaks for (docs/pod-execution.md): the polecat gt started it for,
// read from the environment gt exports into the pane (`GT_RIG`, `GT_POLECAT`, `GT_ROLE`,
// `GT_ROOT`), and the branch it works on, read from the polecat's git worktree (the pane's
// working directory).
//
// Guarantees: an identity is returned only for a polecat session whose rig and polecat names
// the proxy certificate CN can carry; everything else is an error value with a message that
// says what to fix, before any cluster object is touched. Only `readBranch` does I/O (reads).
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { certificateCN, sessionPodName } from './session-pod.ts';

export interface SessionIdentity {
  readonly rig: string;
  readonly polecat: string;
  /** The proxy certificate CN, `gt-<rig>-<name>`. */
  readonly cn: string;
  /** The session pod's deterministic name. */
  readonly podName: string;
  /** gt's town root (`GT_ROOT`), when gt exported it. */
  readonly townRoot: string | undefined;
}

export type SessionInputError = { readonly kind: 'InvalidIdentity' | 'NotAPolecatSession' | 'NoBranch'; readonly message: string };

type Result<T> = { ok: true; value: T } | { ok: false; error: SessionInputError };

/** The identity gt gave the pane, validated. */
export function sessionIdentity(env: Readonly<Record<string, string | undefined>>): Result<SessionIdentity> {
  const rig = env.GT_RIG ?? '';
  const polecat = env.GT_POLECAT ?? '';
  if (rig === '' || polecat === '') {
    const role = env.GT_ROLE === undefined ? '' : ` (GT_ROLE=${env.GT_ROLE})`;
    return {
      ok: false,
      error: {
        kind: 'NotAPolecatSession',
        message: `GT_RIG and GT_POLECAT must be set${role}: gastown-operator session runs polecat sessions, started by gt through the rig's runtime.exec_wrapper`,
      },
    };
  }
  // gt's role for a polecat is `<rig>/polecats/<name>`; any other role is not ours to run.
  if (env.GT_ROLE !== undefined && env.GT_ROLE !== '' && env.GT_ROLE !== `${rig}/polecats/${polecat}`) {
    return { ok: false, error: { kind: 'NotAPolecatSession', message: `GT_ROLE=${env.GT_ROLE} is not the polecat ${rig}/polecats/${polecat}: only polecat sessions run in pods` } };
  }
  const cn = certificateCN(rig, polecat);
  if (!cn.ok) return { ok: false, error: { kind: 'InvalidIdentity', message: `${cn.error.message}; no session pod was created` } };
  const townRoot = env.GT_ROOT !== undefined && env.GT_ROOT !== '' ? env.GT_ROOT : undefined;
  return { ok: true, value: { rig, polecat, cn: cn.cn, podName: sessionPodName(rig, polecat), townRoot } };
}

/** The Rig view a gt rig is looked up as by default: its name as a DNS-1123 label. */
export function defaultRigViewName(rig: string): string {
  return rig.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
}

/** A git branch name as `git check-ref-format --branch` would take it (the subset we pass on). */
const BRANCH = /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)[A-Za-z0-9._/@+-]{1,255}(?<![./])$/;

export function validBranch(branch: string): Result<string> {
  if (BRANCH.test(branch) && !branch.endsWith('.lock')) return { ok: true, value: branch };
  return { ok: false, error: { kind: 'NoBranch', message: `branch ${JSON.stringify(branch)} is not a valid git branch name` } };
}

/**
 * The branch checked out in the git worktree at `dir` (a `.git` directory, or the `.git` file
 * of a linked worktree pointing at its git dir), from its HEAD; an error value when the
 * directory is not a worktree or HEAD is detached.
 */
export function readBranch(dir: string): Result<string> {
  const noBranch = (why: string): Result<string> => ({ ok: false, error: { kind: 'NoBranch', message: `cannot tell the polecat's branch from ${dir}: ${why}; pass --branch` } });
  const dotGit = join(dir, '.git');
  let gitDir: string;
  try {
    if (statSync(dotGit).isDirectory()) {
      gitDir = dotGit;
    } else {
      const pointer = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'))?.[1]?.trim();
      if (pointer === undefined) return noBranch('.git is neither a directory nor a gitdir file');
      gitDir = isAbsolute(pointer) ? pointer : join(dir, pointer);
    }
  } catch {
    return noBranch('not a git worktree');
  }
  let head: string;
  try {
    head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
  } catch {
    return noBranch(`${gitDir}/HEAD cannot be read`);
  }
  const ref = /^ref: refs\/heads\/(.+)$/.exec(head)?.[1];
  if (ref === undefined) return noBranch('HEAD is detached');
  return validBranch(ref);
}
