// Server-side apply with a deliberately small ownership model (documented in README):
// - Each `Apply` manager owns the leaf fields of its last applied configuration. Maps merge key
//   by key; lists are atomic (owned and replaced as a whole); metadata.labels/annotations are
//   per key; identity and system metadata are never owned.
// - Applying sets the config's values over the live object, and removes fields the manager
//   owned before but no longer applies, unless another Apply manager owns them too.
// - Conflict: the config sets a value that differs from the live one at a field another Apply
//   manager owns → 409 Conflict naming manager and field, unless `force` (then ownership moves).
// - Writes through PUT/merge/JSON/strategic patch are not tracked as owners (`Update` entries of
//   the real server), so they never cause apply conflicts.
// Ownership is stored in metadata.managedFields in the FieldsV1 format (`f:<name>` keys).
import { conflict, type GroupResource } from '../errors.ts';
import { deepEqual, dict, isDict, nowTimestamp, type Dict } from '../meta.ts';

type FieldPath = readonly string[];

const IDENTITY_METADATA = new Set(['labels', 'annotations', 'finalizers', 'ownerReferences']);

/** Leaf paths of an applied configuration (apiVersion/kind and system metadata excluded). */
export function leafPaths(config: Dict, skipStatus: boolean): FieldPath[] {
  const out: FieldPath[] = [];
  const walk = (value: unknown, path: string[]): void => {
    if (isDict(value) && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
    } else {
      out.push(path);
    }
  };
  for (const [k, v] of Object.entries(config)) {
    if (k === 'apiVersion' || k === 'kind' || (skipStatus && k === 'status')) continue;
    if (k === 'metadata') {
      for (const [mk, mv] of Object.entries(dict(v))) if (IDENTITY_METADATA.has(mk)) walk(mv, ['metadata', mk]);
      continue;
    }
    walk(v, [k]);
  }
  return out;
}

export function encodeFieldsV1(paths: readonly FieldPath[]): Dict {
  const root: Dict = {};
  for (const path of paths) {
    let node = root;
    for (const part of path) {
      const key = `f:${part}`;
      if (!isDict(node[key])) node[key] = {};
      node = node[key] as Dict;
    }
  }
  return root;
}

export function decodeFieldsV1(fields: unknown): FieldPath[] {
  const out: FieldPath[] = [];
  const walk = (node: Dict, path: string[]): void => {
    const children = Object.keys(node).filter((k) => k.startsWith('f:'));
    if (children.length === 0 || Object.keys(node).some((k) => k.startsWith('k:') || k.startsWith('v:') || k.startsWith('i:'))) {
      if (path.length > 0) out.push(path);
      return;
    }
    for (const k of children) walk(dict(node[k]), [...path, k.slice(2)]);
  };
  walk(dict(fields), []);
  return out;
}

function getPath(obj: unknown, path: FieldPath): unknown {
  let cur = obj;
  for (const part of path) cur = dict(cur)[part];
  return cur;
}

function removePath(obj: Dict, path: FieldPath): void {
  const parents: Dict[] = [];
  let cur: Dict = obj;
  for (const part of path.slice(0, -1)) {
    if (!isDict(cur[part])) return;
    parents.push(cur);
    cur = cur[part];
  }
  delete cur[path[path.length - 1] ?? ''];
  // Drop maps the removal emptied, like the real server's pruning of removed fields.
  for (let i = parents.length - 1; i >= 0; i -= 1) {
    const parent = parents[i] as Dict;
    const key = path[i] ?? '';
    if (isDict(parent[key]) && Object.keys(parent[key]).length === 0) delete parent[key];
  }
}

/** Overlays config values onto live: maps merge, everything else replaces. */
function overlay(live: unknown, config: unknown): unknown {
  if (!isDict(config) || !isDict(live)) return structuredClone(config);
  const out: Dict = { ...live };
  for (const [k, v] of Object.entries(config)) out[k] = overlay(live[k], v);
  return out;
}

const key = (p: FieldPath): string => JSON.stringify(p);

/** True when one path is a prefix of the other (they touch the same data). */
function overlaps(a: FieldPath, b: FieldPath): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

interface ManagedEntry extends Dict {
  manager: string;
  operation: string;
}

function entries(meta: Dict): ManagedEntry[] {
  const mf = meta.managedFields;
  if (!Array.isArray(mf)) return [];
  return mf.filter((e): e is ManagedEntry => isDict(e) && typeof e.manager === 'string' && typeof e.operation === 'string');
}

export interface ApplyInput {
  live: Dict | undefined;
  config: Dict;
  manager: string;
  force: boolean;
  apiVersion: string;
  subresource: 'status' | undefined;
  skipStatus: boolean;
  gr: GroupResource;
  name: string;
}

/** Computes the object after applying `config`; throws 409 Conflict on ownership conflicts. */
export function serverSideApply(input: ApplyInput): Dict {
  const live = input.live ?? {};
  const liveMeta = dict(live.metadata);
  const configPaths = leafPaths(input.config, input.skipStatus);
  const subresource = input.subresource ?? '';
  const sameSub = (e: ManagedEntry): boolean => (typeof e.subresource === 'string' ? e.subresource : '') === subresource;
  const all = entries(liveMeta);
  const others = all.filter((e) => e.operation === 'Apply' && sameSub(e) && e.manager !== input.manager);
  const mine = all.find((e) => e.operation === 'Apply' && sameSub(e) && e.manager === input.manager);

  const conflicts: string[] = [];
  const updatedOthers = others.map((e) => {
    const owned = decodeFieldsV1(e.fieldsV1);
    const kept = owned.filter((o) => {
      const clash = configPaths.some((p) => overlaps(p, o) && !deepEqual(getPath(live, p), getPath(input.config, p)));
      if (clash && !input.force) conflicts.push(`conflict with "${e.manager}": .${o.join('.')}`);
      return !clash;
    });
    return { ...e, fieldsV1: encodeFieldsV1(kept) };
  });
  if (conflicts.length > 0) {
    const why = conflicts.length === 1 ? `Apply failed with 1 conflict: ${conflicts[0] ?? ''}` : `Apply failed with ${conflicts.length} conflicts: ${conflicts.join('\n')}`;
    throw conflict(input.gr, input.name, why);
  }

  let result = overlay(live, { ...input.config, metadata: undefined }) as Dict;
  const configMeta = dict(input.config.metadata);
  const identity = input.live === undefined ? { name: input.name, namespace: configMeta.namespace } : {};
  result.metadata = { ...identity, ...(overlay(liveMeta, Object.fromEntries(Object.entries(configMeta).filter(([k]) => IDENTITY_METADATA.has(k)))) as Dict) };
  const stillOwned = new Set([...configPaths, ...updatedOthers.flatMap((e) => decodeFieldsV1(e.fieldsV1))].map(key));
  for (const old of mine === undefined ? [] : decodeFieldsV1(mine.fieldsV1)) {
    if (!stillOwned.has(key(old)) && ![...configPaths].some((p) => overlaps(p, old))) removePath(result, old);
  }
  result = { ...result, metadata: { ...dict(result.metadata) } };
  const entry: ManagedEntry = {
    manager: input.manager,
    operation: 'Apply',
    apiVersion: input.apiVersion,
    time: nowTimestamp(),
    fieldsType: 'FieldsV1',
    fieldsV1: encodeFieldsV1(configPaths),
  };
  if (input.subresource !== undefined) entry.subresource = input.subresource;
  const untouched = all.filter((e) => !(e.operation === 'Apply' && sameSub(e)));
  const managed = [...untouched, ...updatedOthers.filter((e) => decodeFieldsV1(e.fieldsV1).length > 0), entry];
  (result.metadata as Dict).managedFields = managed;
  return result;
}
