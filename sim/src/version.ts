// Which gt/bd release the simulated town behaves like. A town records it in its state
// (`settings.gtVersion`, set at creation); `GT_SIM_VERSION` in a gt/bd call's environment (or
// the test process's, for the control API) overrides it. Default: the current release.
//
//   behaviour                          | 1.0 (gt v1.0.x, bd v1.0.x)  | 1.2 (gt v1.2.x, bd v1.1+)
//   -----------------------------------+-----------------------------+--------------------------------------
//   clean `gt done`                    | polecat stays idle          | polecat retired (record + worktree gone)
//   `gt polecat list --json` items     | rig..session_name only      | + cleanup_status, verdict, blockers, ...
//   list: live session, no issue       | rewritten to `working`      | left as is (idle)
//   `gt polecat check-recovery --json` | v1.0.1 fields               | + reason, safe_to_nuke, needs_mq_submit, ...
//   active MR on a clean polecat       | NEEDS_RECOVERY              | PENDING_MR
//   new convoys                        | issue_type `convoy`         | `task` labelled `gt:convoy`
//   `bd ... --json`                    | no schema_version           | schema_version in top-level objects,
//                                      |                             | deprecation notice on stderr
//   `gt sling --branch/--pr`, `gt mail send --human` | unknown flags | accepted
import type { SimState } from './model.ts';

export const GT_VERSIONS = ['1.0', '1.2'] as const;
export type GtVersion = (typeof GT_VERSIONS)[number];
export const DEFAULT_GT_VERSION: GtVersion = '1.2';

export function parseGtVersion(text: string, source: string): GtVersion {
  const found = GT_VERSIONS.find((v) => v === text);
  if (found === undefined) throw new Error(`${source} must be one of ${GT_VERSIONS.join(', ')}, got '${text}'`);
  return found;
}

/** The version a call behaves like: the env override, else the town's, else the default. */
export function gtVersionOf(state: Pick<SimState, 'settings'>, env: NodeJS.ProcessEnv): GtVersion {
  const override = env['GT_SIM_VERSION'];
  if (override !== undefined && override !== '') return parseGtVersion(override, 'GT_SIM_VERSION');
  return state.settings.gtVersion ?? DEFAULT_GT_VERSION;
}

/** Whether the town behaves like gt v1.2 / bd v1.1 (see the table above). */
export function isCurrent(state: Pick<SimState, 'settings'>, env: NodeJS.ProcessEnv): boolean {
  return gtVersionOf(state, env) === '1.2';
}
