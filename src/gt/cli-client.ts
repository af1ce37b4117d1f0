// The GtClient implementation: builds argv for each command, validates it, runs it through
// the shared runner and parses the answer.
//
// Guarantees: validation happens before the runner is touched (an invalid argument never
// queues, never spawns, never counts for the breaker); argv is built from fixed literals
// plus validated values only; each command's non-zero exits are read per docs/gt-contract.md
// (bd's "no issues found", nuke refusals) before falling back to the generic classifier,
// and a polecat listing that silently skipped rigs is an error, not a shorter list.
import type { CallOptions, GtClient } from './client.ts';
import { classifyFailure, partialListingError } from './classify.ts';
import { GtError } from './errors.ts';
import { isBeadShowNoMatch, parseBeadShow, parseMqList } from './parse/bead.ts';
import { parseConvoyList, parseConvoyStatus } from './parse/convoy.ts';
import { parseConvoyAdd, parseConvoyCheck, parseConvoyClose, parseConvoyCreate } from './parse/convoy-text.ts';
import { parseHookStatus } from './parse/hook.ts';
import { NUKE_BLOCKED_STDERR, parseNukeBlocked } from './parse/nuke.ts';
import {
  parseGitState, parsePolecatList, parsePolecatStatus, parseRecoveryCheck, skippedRigs,
} from './parse/polecat.ts';
import { parseOncePerOutput, type Parse } from './parse/same-output.ts';
import { parseSling } from './parse/sling.ts';
import { parseRefineryStatus, parseRigList, parseTownStatus, parseWitnessStatus } from './parse/town.ts';
import { requireSuccess, type CompletedCall, type GtRunner, type Invocation } from './runner.ts';
import { MQ_LIST_STATUSES, type BeadShowResult, type NukeResult, type PolecatListItem } from './types.ts';
import {
  validateAddress, validateBeadId, validateBeadIds, validateConvoyId, validatePolecatName,
  validateRigName, validateText,
} from './validate.ts';

export function createCliGtClient(runner: GtRunner): GtClient {
  /** Runs a gt command that must exit 0 and parses its stdout. */
  const gt = <T>(label: string, args: readonly string[], opts: CallOptions | undefined, parse: Parse<T>): Promise<T> =>
    runner.run({ bin: 'gt', args, label, signal: opts?.signal }, (call, inv) => {
      requireSuccess(call, inv);
      return parse(call.stdout);
    });

  const polecatRef = (label: string, rig: string, name: string): string => {
    validateRigName(label, rig);
    validatePolecatName(label, name);
    return `${rig}/${name}`;
  };

  // The whole-town reads of every sync cycle, parsed once per distinct output (same-output.ts).
  const rigListOnce = parseOncePerOutput(parseRigList);
  const townStatusOnce = { full: parseOncePerOutput(parseTownStatus), fast: parseOncePerOutput(parseTownStatus) };
  const polecatListAllOnce = parseOncePerOutput(parsePolecatList);
  const convoyListOnce = { open: parseOncePerOutput(parseConvoyList), all: parseOncePerOutput(parseConvoyList) };

  return {
    rigList: (opts) => gt('gt rig list', ['rig', 'list', '--json'], opts, rigListOnce),

    townStatus: (opts) =>
      gt('gt status', ['status', '--json', ...(opts?.fast ? ['--fast'] : [])], opts, opts?.fast ? townStatusOnce.fast : townStatusOnce.full),

    witnessStatus: async (rig, opts) => {
      validateRigName('gt witness status', rig);
      return gt('gt witness status', ['witness', 'status', rig, '--json'], opts, parseWitnessStatus);
    },

    refineryStatus: async (rig, opts) => {
      validateRigName('gt refinery status', rig);
      return gt('gt refinery status', ['refinery', 'status', rig, '--json'], opts, parseRefineryStatus);
    },

    mqList: async (rig, opts) => {
      const label = 'gt mq list';
      validateRigName(label, rig);
      const status = opts?.status;
      if (status !== undefined && !MQ_LIST_STATUSES.includes(status)) {
        throw new GtError('InvalidArgument', `${label}: invalid status ${JSON.stringify(status)}: expected one of ${MQ_LIST_STATUSES.join(', ')}`, { command: label });
      }
      return gt(label, ['mq', 'list', rig, '--json', ...(status !== undefined ? ['--status', status] : [])], opts, parseMqList);
    },

    polecatList: async (rig, opts) => {
      validateRigName('gt polecat list', rig);
      return runner.run({ bin: 'gt', args: ['polecat', 'list', rig, '--json'], label: 'gt polecat list', signal: opts?.signal },
        interpretPolecatList);
    },

    polecatListAll: (opts) =>
      runner.run({ bin: 'gt', args: ['polecat', 'list', '--all', '--json'], label: 'gt polecat list', signal: opts?.signal },
        (call, inv) => interpretPolecatList(call, inv, polecatListAllOnce)),

    polecatStatus: async (rig, name, opts) => {
      const ref = polecatRef('gt polecat status', rig, name);
      return gt('gt polecat status', ['polecat', 'status', ref, '--json'], opts, parsePolecatStatus);
    },

    polecatGitState: async (rig, name, opts) => {
      const ref = polecatRef('gt polecat git-state', rig, name);
      return gt('gt polecat git-state', ['polecat', 'git-state', ref, '--json'], opts, parseGitState);
    },

    polecatCheckRecovery: async (rig, name, opts) => {
      const ref = polecatRef('gt polecat check-recovery', rig, name);
      return gt('gt polecat check-recovery', ['polecat', 'check-recovery', ref, '--json'], opts, parseRecoveryCheck);
    },

    polecatNuke: async (rig, name, opts) => {
      const label = 'gt polecat nuke';
      const target = polecatRef(label, rig, name);
      const args = ['polecat', 'nuke', target, ...(opts?.force ? ['--force'] : [])];
      return runner.run({ bin: 'gt', args, label, signal: opts?.signal }, (call, inv) => interpretNuke(call, inv, target));
    },

    sling: async (bead, rig, opts) => {
      const label = 'gt sling';
      validateBeadId(label, bead);
      validateRigName(label, rig);
      if (opts?.message !== undefined) validateText(label, 'message', opts.message);
      const args = [
        'sling', bead, rig,
        ...(opts?.noConvoy ? ['--no-convoy'] : []),
        ...(opts?.force ? ['--force'] : []),
        ...(opts?.message !== undefined ? ['-m', opts.message] : []),
      ];
      return gt(label, args, opts, (stdout) => parseSling(stdout, bead, rig));
    },

    hookStatus: async (target, opts) => {
      validateAddress('gt hook status', target);
      return gt('gt hook status', ['hook', 'status', target, '--json'], opts, parseHookStatus);
    },

    convoyCreate: async (name, beads, opts) => {
      const label = 'gt convoy create';
      validateText(label, 'convoy name', name, { singleLine: true });
      for (const b of beads) validateBeadId(label, b);
      if (typeof opts?.notify === 'string') validateAddress(label, opts.notify);
      if (opts?.owner !== undefined) validateAddress(label, opts.owner);
      // `--notify` takes an optional value (bare = mayor/), so a value must use `=`:
      // `--notify addr` would make addr a positional bead argument.
      const notify = opts?.notify === true ? ['--notify'] : typeof opts?.notify === 'string' ? [`--notify=${opts.notify}`] : [];
      const owner = opts?.owner !== undefined ? [`--owner=${opts.owner}`] : [];
      return gt(label, ['convoy', 'create', name, ...beads, ...notify, ...owner], opts, parseConvoyCreate);
    },

    convoyStatus: async (id, opts) => {
      validateConvoyId('gt convoy status', id);
      return gt('gt convoy status', ['convoy', 'status', id, '--json'], opts, parseConvoyStatus);
    },

    convoyList: (opts) =>
      gt('gt convoy list', ['convoy', 'list', '--json', ...(opts?.all ? ['--all'] : [])], opts, opts?.all ? convoyListOnce.all : convoyListOnce.open),

    convoyAdd: async (id, beads, opts) => {
      const label = 'gt convoy add';
      validateConvoyId(label, id);
      validateBeadIds(label, beads);
      return gt(label, ['convoy', 'add', id, ...beads], opts, (stdout) => parseConvoyAdd(stdout, id));
    },

    convoyCheck: async (id, opts) => {
      if (id !== undefined) validateConvoyId('gt convoy check', id);
      return gt('gt convoy check', ['convoy', 'check', ...(id !== undefined ? [id] : [])], opts, parseConvoyCheck);
    },

    convoyClose: async (id, opts) => {
      validateConvoyId('gt convoy close', id);
      const args = ['convoy', 'close', id, ...(opts?.force ? ['--force'] : [])];
      return gt('gt convoy close', args, opts, (stdout) => parseConvoyClose(stdout, id));
    },

    beadShow: async (ids, opts) => {
      const label = 'bd show';
      const unique = [...new Set(ids)];
      if (unique.length === 0) return { found: [], missing: [] };
      validateBeadIds(label, unique);
      return runner.run({ bin: 'bd', args: ['show', ...unique, '--json'], label, signal: opts?.signal },
        (call, inv) => interpretBeadShow(call, inv, unique));
    },

    mailSend: async (address, subject, body, opts) => {
      const label = 'gt mail send';
      validateAddress(label, address);
      validateText(label, 'subject', subject, { singleLine: true });
      validateText(label, 'body', body);
      return gt(label, ['mail', 'send', address, '-s', subject, '-m', body], opts, () => ({ address }));
    },

    breakerState: () => runner.breakerState(),
  };
}

/** gt skips rigs it cannot list (stderr warning, exit 0): that is an error, not fewer polecats. */
function interpretPolecatList(call: CompletedCall, inv: Invocation, parse: Parse<PolecatListItem[]> = parsePolecatList): PolecatListItem[] {
  requireSuccess(call, inv);
  const skipped = skippedRigs(call.stderr);
  if (skipped.length > 0) throw partialListingError(inv.label, skipped);
  return parse(call.stdout);
}

/** Exit 1 with bd's `{"error": "no issues found ..."}` means all ids are missing. */
function interpretBeadShow(call: CompletedCall, inv: Invocation, ids: readonly string[]): BeadShowResult {
  if (call.exitCode === 1 && call.signal === null && isBeadShowNoMatch(call.stdout)) {
    return { found: [], missing: [...ids] };
  }
  requireSuccess(call, inv);
  return parseBeadShow(call.stdout, ids);
}

/** A refused nuke (reasons on stdout, `Error: blocked: ...` on stderr) keeps its reasons. */
function interpretNuke(call: CompletedCall, inv: Invocation, target: string): NukeResult {
  if (call.exitCode === 1 && call.signal === null && NUKE_BLOCKED_STDERR.test(call.stderr)) {
    const base = classifyFailure({ ...call, command: inv.label, binName: inv.bin });
    const blocked = parseNukeBlocked(call.stdout);
    const why = blocked.flatMap((b) => b.reasons.map((r) => `${b.target}: ${r}`)).join('; ');
    throw new GtError('CLIError', `gt polecat nuke refused ${target}${why ? `: ${why}` : ''}`, {
      command: inv.label,
      exitCode: call.exitCode,
      stderr: base.stderr,
      excerpt: base.excerpt,
      blocked,
    });
  }
  requireSuccess(call, inv);
  return { target, nuked: true };
}
