// Whether a rig is wired for Pod execution: `Rig.spec.execution.mode` against the rig's gt
// settings (`<rig>/settings/config.json`, `runtime.exec_wrapper`, docs/pod-execution.md).
//
// gt configuration is the user's: the operator only reads the file and, when the two disagree,
// says in the ExecutionWired condition exactly which line to add or which field to set. A Pod
// mode rig whose gt name the proxy certificate CN cannot carry is reported first: no wiring
// makes its sessions run (the wrapper refuses them before any pod). The read is I/O
// (readExecWrapper); the judgement is pure (executionWiring).
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { ConditionType, gtRigName, Reason, type Rig } from '../../api/index.ts';
import { certificateCN } from '../../execution/session-pod.ts';

/** The wrapper argv the rig's settings must carry for Pod mode. */
export const SESSION_WRAPPER_ARGV = ['gastown-operator', 'session', '--'] as const;
/** The settings file, relative to the rig directory. */
export const RIG_SETTINGS_FILE = join('settings', 'config.json');

/** The ExecutionWired condition's fields (the caller adds observedGeneration). */
export interface ExecutionWiring {
  readonly type: typeof ConditionType.ExecutionWired;
  readonly status: 'True' | 'False';
  readonly reason: Reason;
  readonly message: string;
}

/** What the rig's settings say about `runtime.exec_wrapper`. */
export type WrapperCheck =
  | { readonly kind: 'set'; readonly argv: readonly string[] }
  | { readonly kind: 'unset' }
  | { readonly kind: 'unreadable'; readonly message: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads `runtime.exec_wrapper` from `<rigDir>/settings/config.json`; a missing file is "unset". */
export async function readExecWrapper(rigDir: string): Promise<WrapperCheck> {
  let text: string;
  try {
    text = await readFile(join(rigDir, RIG_SETTINGS_FILE), 'utf8');
  } catch (error) {
    const code = isRecord(error) ? String(error.code) : '';
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'unset' };
    return { kind: 'unreadable', message: error instanceof Error ? error.message : String(error) };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { kind: 'unreadable', message: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const runtime = isRecord(parsed) ? parsed.runtime : undefined;
  const wrapper = isRecord(runtime) ? runtime.exec_wrapper : undefined;
  if (wrapper === undefined || (Array.isArray(wrapper) && wrapper.length === 0)) return { kind: 'unset' };
  if (!Array.isArray(wrapper) || !wrapper.every((a): a is string => typeof a === 'string')) {
    return { kind: 'unreadable', message: 'runtime.exec_wrapper is not an array of strings' };
  }
  return { kind: 'set', argv: wrapper };
}

/** The wrapper starts `gastown-operator session` (any path to the binary; `--` before the agent). */
export function isSessionWrapper(argv: readonly string[]): boolean {
  const [bin, sub] = argv;
  return bin !== undefined && posix.basename(bin) === SESSION_WRAPPER_ARGV[0] && sub === SESSION_WRAPPER_ARGV[1] && argv.at(-1) === '--';
}

const SETTINGS_LINE = `"runtime": { "exec_wrapper": ${JSON.stringify(SESSION_WRAPPER_ARGV)} }`;

/**
 * The ExecutionWired condition for a rig, or undefined when the rig uses neither Pod mode nor
 * the session wrapper (the condition is then left off: Local rigs look as before).
 */
export function executionWiring(rig: Pick<Rig, 'spec'>, wrapper: WrapperCheck): ExecutionWiring | undefined {
  const podMode = rig.spec.execution?.mode === 'Pod';
  const settings = posix.join(rig.spec.localPath, RIG_SETTINGS_FILE);
  const type = ConditionType.ExecutionWired;
  if (wrapper.kind === 'unreadable') {
    if (!podMode) return undefined;
    return { type, status: 'False', reason: Reason.RigSettingsUnreadable, message: `${settings} cannot be read: ${wrapper.message}` };
  }
  const ours = wrapper.kind === 'set' && isSessionWrapper(wrapper.argv);
  // Any valid polecat name: only the rig's part of the CN is judged here.
  const identity = certificateCN(gtRigName(rig), 'polecat');
  if (podMode && !identity.ok) {
    return {
      type, status: 'False', reason: Reason.InvalidIdentity,
      message: `${identity.error.message}: the session wrapper refuses this rig's polecats and the gt proxy cannot issue their certificates; run the rig with spec.execution.mode: Local`,
    };
  }
  if (podMode && ours) {
    return { type, status: 'True', reason: Reason.PodExecutionWired, message: `gt starts this rig's sessions through ${wrapper.argv.join(' ')}` };
  }
  if (podMode) {
    const other = wrapper.kind === 'set' ? ` (it has ${JSON.stringify(wrapper.argv)})` : '';
    return {
      type, status: 'False', reason: Reason.ExecWrapperMissing,
      message: `spec.execution.mode is Pod but gt would run agents on the town host: add ${SETTINGS_LINE} to ${settings}${other}`,
    };
  }
  if (ours) {
    return {
      type, status: 'False', reason: Reason.PodModeNotSet,
      message: `${settings} starts sessions through ${wrapper.argv.join(' ')} but spec.execution.mode is not Pod: ` +
        'set spec.execution.mode: Pod (with spec.execution.pod and proxyURL) or remove runtime.exec_wrapper',
    };
  }
  return undefined;
}
