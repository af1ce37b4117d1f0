// Pure pieces of running a pod on the local node: which containers, their argv, environment and
// working directory, and where the pod's paths live on the host. No I/O here.
//
// Paths: every pod gets its own root directory on the host (`<podRoot>/rootfs`). Volumes are
// materialised under it at their mount paths, and every absolute path a container is given —
// `workingDir`, `command`, `args` and `env` values — that starts with one of its mount paths or
// with its working directory is rewritten to the same path under the pod's root. `POD_ROOT` names
// that root. A program that builds such paths itself (not from its env or argv) does not see the
// volume: there is no mount namespace, this is a host process (documented in the README).
import { posix } from 'node:path';

export type Dict = Record<string, unknown>;

export interface ContainerSpec {
  name: string;
  image: string;
  command: string[];
  args: string[];
  workingDir: string | undefined;
  env: Dict[];
  envFrom: Dict[];
  volumeMounts: { name: string; mountPath: string; subPath: string; readOnly: boolean }[];
  stdin: boolean;
  stdinOnce: boolean;
  tty: boolean;
  /** `resources.limits.memory` in bytes, when set and parseable. */
  memoryLimitBytes: number | undefined;
}

const QUANTITY_SUFFIX: Readonly<Record<string, number>> = {
  '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60, m: 1e-3,
};

/** A resource quantity (`64Mi`, `1G`, `1e9`, 500) as a number, or undefined when it is not one. */
export function parseQuantity(q: unknown): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) && q >= 0 ? q : undefined;
  if (typeof q !== 'string') return undefined;
  const m = /^([0-9]+(?:\.[0-9]+)?)(?:([eE][0-9]+)|([kMGTPE]i?|m)?)$/.exec(q.trim());
  if (m === null) return undefined;
  const base = Number(m[1]);
  if (m[2] !== undefined) return base * 10 ** Number(m[2].slice(1));
  const factor = QUANTITY_SUFFIX[m[3] ?? ''];
  return factor === undefined ? undefined : base * factor;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function dicts(v: unknown): Dict[] {
  return Array.isArray(v) ? v.filter((x): x is Dict => typeof x === 'object' && x !== null && !Array.isArray(x)) : [];
}

/** A string field, or the fallback for anything else. */
export function str(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : fallback;
}

export function dict(v: unknown): Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Dict) : {};
}

export function containerSpec(raw: Dict): ContainerSpec {
  return {
    name: typeof raw.name === 'string' ? raw.name : '',
    image: typeof raw.image === 'string' ? raw.image : '',
    command: strings(raw.command),
    args: strings(raw.args),
    workingDir: typeof raw.workingDir === 'string' && raw.workingDir !== '' ? raw.workingDir : undefined,
    env: dicts(raw.env),
    envFrom: dicts(raw.envFrom),
    volumeMounts: dicts(raw.volumeMounts).map((m) => ({
      name: typeof m.name === 'string' ? m.name : '',
      mountPath: typeof m.mountPath === 'string' ? m.mountPath : '',
      subPath: typeof m.subPath === 'string' ? m.subPath : '',
      readOnly: m.readOnly === true,
    })),
    stdin: raw.stdin === true,
    stdinOnce: raw.stdinOnce === true,
    tty: raw.tty === true,
    memoryLimitBytes: parseQuantity(dict(dict(raw.resources).limits).memory),
  };
}

export function podContainers(pod: Dict): { init: ContainerSpec[]; main: ContainerSpec[] } {
  const spec = dict(pod.spec);
  return { init: dicts(spec.initContainers).map(containerSpec), main: dicts(spec.containers).map(containerSpec) };
}

/** Rewrites absolute paths under the container's mount paths or working dir to the pod root. */
export function pathRewriter(rootfs: string, c: ContainerSpec): (value: string) => string {
  const prefixes = [...c.volumeMounts.map((m) => m.mountPath), ...(c.workingDir === undefined ? [] : [c.workingDir])]
    .filter((p) => p.startsWith('/') && p !== '/')
    .map((p) => posix.normalize(p).replace(/\/$/, ''))
    .sort((a, b) => b.length - a.length);
  return (value) => {
    for (const p of prefixes) {
      if (value === p || value.startsWith(`${p}/`)) return posix.join(rootfs, value);
      // Also inside `--flag=/path` and `KEY=/path` forms.
      const eq = value.indexOf(`=${p}`);
      if (eq >= 0 && (value.length === eq + 1 + p.length || value[eq + 1 + p.length] === '/')) {
        return `${value.slice(0, eq + 1)}${posix.join(rootfs, value.slice(eq + 1))}`;
      }
    }
    return value;
  };
}

/** The argv a container runs: command + args, or args alone when no command is given. */
export function containerArgv(c: ContainerSpec, rewrite: (v: string) => string): string[] {
  return [...c.command, ...c.args].map(rewrite);
}

/** Resolves `$(VAR)` references the way the kubelet does (unknown references stay as written). */
export function expandRefs(value: string, env: ReadonlyMap<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m: string, name: string | undefined) => {
    if (m === '$$') return '$';
    return name !== undefined && env.has(name) ? (env.get(name) ?? '') : m;
  });
}

export interface EnvSources {
  secret(name: string): Record<string, string> | undefined;
  configMap(name: string): Record<string, string> | undefined;
  field(path: string): string | undefined;
}

export class EnvError extends Error {
  override readonly name = 'EnvError';
}

function keyRef(ref: Dict, kind: 'secret' | 'configMap', sources: EnvSources): string | undefined {
  const name = typeof ref.name === 'string' ? ref.name : '';
  const key = typeof ref.key === 'string' ? ref.key : '';
  const data = kind === 'secret' ? sources.secret(name) : sources.configMap(name);
  const value = data?.[key];
  if (value === undefined && ref.optional !== true) {
    throw new EnvError(data === undefined ? `${kind} "${name}" not found` : `couldn't find key ${key} in ${kind} ${name}`);
  }
  return value;
}

function envValue(entry: Dict, sources: EnvSources, env: ReadonlyMap<string, string>): string | undefined {
  if (typeof entry.value === 'string') return expandRefs(entry.value, env);
  const from = dict(entry.valueFrom);
  if (from.secretKeyRef !== undefined) return keyRef(dict(from.secretKeyRef), 'secret', sources);
  if (from.configMapKeyRef !== undefined) return keyRef(dict(from.configMapKeyRef), 'configMap', sources);
  if (from.fieldRef !== undefined) {
    const path = str(dict(from.fieldRef).fieldPath);
    const value = sources.field(path);
    if (value === undefined) throw new EnvError(`unsupported fieldRef ${path}`);
    return value;
  }
  return entry.valueFrom === undefined ? '' : undefined;
}

/** The container's environment from env and envFrom (later entries win, as in Kubernetes). */
export function containerEnv(c: ContainerSpec, sources: EnvSources): Map<string, string> {
  const env = new Map<string, string>();
  for (const from of c.envFrom) {
    const prefix = typeof from.prefix === 'string' ? from.prefix : '';
    const secret = dict(from.secretRef);
    const cm = dict(from.configMapRef);
    const data = from.secretRef !== undefined ? sources.secret(str(secret.name)) : sources.configMap(str(cm.name));
    const optional = (from.secretRef !== undefined ? secret.optional : cm.optional) === true;
    if (data === undefined && !optional) throw new EnvError(`envFrom ${from.secretRef !== undefined ? 'secret' : 'configMap'} not found`);
    for (const [k, v] of Object.entries(data ?? {})) env.set(prefix + k, v);
  }
  for (const entry of c.env) {
    if (typeof entry.name !== 'string') continue;
    const value = envValue(entry, sources, env);
    if (value !== undefined) env.set(entry.name, value);
  }
  return env;
}

/** The pod's field references the node can answer. */
export function podField(pod: Dict, path: string): string | undefined {
  const meta = dict(pod.metadata);
  const spec = dict(pod.spec);
  const status = dict(pod.status);
  const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (label !== null) {
    const map = dict(meta[label[1] ?? '']);
    return typeof map[label[2] ?? ''] === 'string' ? (map[label[2] ?? ''] as string) : '';
  }
  const simple: Record<string, unknown> = {
    'metadata.name': meta.name, 'metadata.namespace': meta.namespace, 'metadata.uid': meta.uid,
    'spec.nodeName': spec.nodeName, 'spec.serviceAccountName': spec.serviceAccountName,
    'status.podIP': status.podIP, 'status.hostIP': status.hostIP,
  };
  const v = simple[path];
  return typeof v === 'string' ? v : undefined;
}

/** POSIX single-quoting, for the one place a command line must be handed to `script -c`. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
}
