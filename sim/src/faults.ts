// Fault injection. Rules come from `<town>/.sim/faults.json` and from env GT_SIM_FAULTS (same
// JSON array). A rule applies to a call when its `match` is a prefix of "<bin> <args...>";
// all matching rules combine. One-shot rules (`remaining`) are consumed under the town lock
// so N concurrent calls consume exactly N uses; env rules cannot be consumed (no shared
// storage) and apply to every matching call.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { withLock } from './lock.ts';
import { townPaths } from './paths.ts';

export interface FaultRule {
  match?: string;
  latencyMs?: number;
  hang?: boolean;
  crash?: boolean;
  garbage?: boolean;
  truncate?: boolean;
  stdoutWarnings?: boolean;
  dbDown?: boolean;
  remaining?: number;
}

export interface ActiveFaults {
  latencyMs: number;
  hang: boolean;
  crash: boolean;
  garbage: boolean;
  truncate: boolean;
  stdoutWarnings: boolean;
  dbDown: boolean;
}

export const NO_FAULTS: ActiveFaults = {
  latencyMs: 0, hang: false, crash: false, garbage: false, truncate: false, stdoutWarnings: false, dbDown: false,
};

const BOOLEAN_KEYS = ['hang', 'crash', 'garbage', 'truncate', 'stdoutWarnings', 'dbDown'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates a fault list; throws with the offending index so a typo in a test is loud. */
export function parseFaultRules(value: unknown): FaultRule[] {
  if (!Array.isArray(value)) throw new Error('faults must be a JSON array of rules');
  return value.map((raw, i): FaultRule => {
    if (!isRecord(raw)) throw new Error(`fault rule ${i} is not an object`);
    const rule: FaultRule = {};
    if (raw['match'] !== undefined) {
      if (typeof raw['match'] !== 'string') throw new Error(`fault rule ${i}: match must be a string`);
      rule.match = raw['match'];
    }
    for (const key of ['latencyMs', 'remaining'] as const) {
      if (raw[key] === undefined) continue;
      if (typeof raw[key] !== 'number' || raw[key] < 0) throw new Error(`fault rule ${i}: ${key} must be a number >= 0`);
      rule[key] = raw[key];
    }
    for (const key of BOOLEAN_KEYS) {
      if (raw[key] === undefined) continue;
      if (typeof raw[key] !== 'boolean') throw new Error(`fault rule ${i}: ${key} must be a boolean`);
      rule[key] = raw[key];
    }
    return rule;
  });
}

export function commandLine(bin: string, args: readonly string[]): string {
  return [bin, ...args].join(' ');
}

export function ruleMatches(rule: FaultRule, line: string): boolean {
  return rule.match === undefined || line.startsWith(rule.match);
}

function combine(rules: readonly FaultRule[]): ActiveFaults {
  const out: ActiveFaults = { ...NO_FAULTS };
  for (const rule of rules) {
    out.latencyMs = Math.max(out.latencyMs, rule.latencyMs ?? 0);
    for (const key of BOOLEAN_KEYS) out[key] = out[key] || rule[key] === true;
  }
  return out;
}

export function readFaultFile(root: string): FaultRule[] {
  const path = townPaths(root).faults;
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8').trim();
  return text === '' ? [] : parseFaultRules(JSON.parse(text));
}

function writeFaultFile(root: string, rules: readonly FaultRule[]): void {
  const path = townPaths(root).faults;
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(rules, null, 2)}\n`);
  renameSync(tmp, path);
}

/** Replaces the town's fault rules (an empty list clears them). */
export async function setFaults(root: string, rules: readonly FaultRule[]): Promise<void> {
  const checked = parseFaultRules(rules);
  await withLock(townPaths(root).lock, () => writeFaultFile(root, checked));
}

/** Appends rules to the town's fault list. */
export async function addFaults(root: string, rules: readonly FaultRule[]): Promise<void> {
  const checked = parseFaultRules(rules);
  await withLock(townPaths(root).lock, () => writeFaultFile(root, [...readFaultFile(root), ...checked]));
}

/** Consumes one use of every matching one-shot rule; returns the rules that applied. */
async function consumeFileRules(root: string, line: string): Promise<FaultRule[]> {
  const quick = readFaultFile(root).filter((r) => ruleMatches(r, line));
  if (!quick.some((r) => r.remaining !== undefined)) return quick;
  return withLock(townPaths(root).lock, () => {
    const all = readFaultFile(root);
    const applied: FaultRule[] = [];
    const kept: FaultRule[] = [];
    for (const rule of all) {
      if (!ruleMatches(rule, line)) {
        kept.push(rule);
        continue;
      }
      if (rule.remaining === undefined) {
        applied.push(rule);
        kept.push(rule);
        continue;
      }
      if (rule.remaining <= 0) continue;
      applied.push(rule);
      if (rule.remaining > 1) kept.push({ ...rule, remaining: rule.remaining - 1 });
    }
    writeFaultFile(root, kept);
    return applied;
  });
}

/** The faults that apply to this call (file + env), consuming one-shot uses. */
export async function takeFaults(root: string | undefined, bin: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<ActiveFaults> {
  const line = commandLine(bin, args);
  const envText = env['GT_SIM_FAULTS'];
  const envRules = envText !== undefined && envText.trim() !== '' ? parseFaultRules(JSON.parse(envText)) : [];
  const fileRules = root !== undefined ? await consumeFileRules(root, line) : [];
  return combine([...fileRules, ...envRules.filter((r) => ruleMatches(r, line))]);
}
