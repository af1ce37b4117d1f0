// get and list. Lists are consistent snapshots: the first page is read at the current
// version; `continue` tokens carry that version and the last key, and later pages are read
// from the same snapshot by rewinding newer changes from the history (like etcd reads at a
// revision). A token older than the history answers 410 Expired, as the real server does.
// Items are ordered by namespace/name (etcd key order).
import { ApiError, badRequest, expired, notFound } from '../errors.ts';
import { labelsOf } from '../meta.ts';
import type { ResourceType } from '../registry/types.ts';
import { apiVersionOf, groupResource } from '../registry/types.ts';
import {
  FieldLabelNotSupportedError,
  SelectorParseError,
  checkFieldSelector,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  type FieldSelector,
  type LabelSelector,
} from '../selectors/index.ts';
import type { KubeObject } from '../types.ts';
import type { Core } from './core.ts';

export interface Selection {
  namespace: string | undefined;
  labels: LabelSelector;
  fields: FieldSelector;
  fieldLabels: readonly string[];
}

export function selectionFrom(type: ResourceType, namespace: string | undefined, query: URLSearchParams): Selection {
  const fieldLabels = ['metadata.name', 'metadata.namespace', ...(type.fieldLabels ?? [])];
  try {
    const labels = parseLabelSelector(query.get('labelSelector') ?? '');
    const fields = parseFieldSelector(query.get('fieldSelector') ?? '');
    checkFieldSelector(fields, fieldLabels);
    return { namespace: type.namespaced ? namespace : undefined, labels, fields, fieldLabels };
  } catch (err) {
    if (err instanceof SelectorParseError || err instanceof FieldLabelNotSupportedError) throw badRequest(err.message);
    throw err;
  }
}

export function selects(sel: Selection, obj: KubeObject): boolean {
  return matchesLabels(sel.labels, labelsOf(obj)) && matchesFields(sel.fields, obj, sel.fieldLabels);
}

export function getObject(core: Core, type: ResourceType, namespace: string | undefined, name: string): KubeObject {
  const stored = core.store.get(type.storageKey, type.namespaced ? (namespace ?? '') : '', name);
  if (stored === undefined) throw notFound(groupResource(type), name);
  return core.present(type, stored);
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeContinue(raw: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    const t = parsed as Partial<ContinueToken>;
    if (typeof t.rv === 'number' && Number.isInteger(t.rv) && t.rv >= 0 && typeof t.start === 'string') return { rv: t.rv, start: t.start };
  } catch {
    // fall through to the error below
  }
  throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

const CONTINUE_EXPIRED =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

/** Parses a client-supplied resourceVersion; versions are decimal strings here. */
export function parseVersion(raw: string): number {
  if (!/^\d{1,15}$/.test(raw)) throw badRequest(`invalid resource version "${raw}"`);
  return Number(raw);
}

function tooLarge(rv: number, current: number): ApiError {
  return new ApiError(504, 'Timeout', `Too large resource version: ${rv}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version', field: '' }],
    retryAfterSeconds: 1,
  });
}

/** The version a list reads at: current, or an exact older one (resourceVersionMatch=Exact). */
function readVersion(core: Core, query: URLSearchParams, token: ContinueToken | undefined): number {
  if (token !== undefined) return token.rv;
  const current = core.store.version;
  const raw = query.get('resourceVersion') ?? '';
  if (raw === '' || raw === '0') return current;
  const rv = parseVersion(raw);
  if (rv > current) throw tooLarge(rv, current);
  return query.get('resourceVersionMatch') === 'Exact' ? rv : current;
}

export interface ListResult {
  list: KubeObject;
  items: KubeObject[];
}

export function listObjects(core: Core, type: ResourceType, sel: Selection, query: URLSearchParams): ListResult {
  const rawContinue = query.get('continue') ?? '';
  const token = rawContinue === '' ? undefined : decodeContinue(rawContinue);
  const rv = readVersion(core, query, token);
  let state = core.store.snapshot(type.storageKey, sel.namespace);
  if (rv !== core.store.version) {
    if (!core.store.history.covers(rv)) throw token === undefined ? expired(`too old resource version: ${rv} (${core.store.history.compactedVersion})`) : expired(CONTINUE_EXPIRED);
    state = core.store.history.rewind(state, type.storageKey, sel.namespace, rv);
  }
  const ids = [...state.keys()].sort();
  const startAt = token === undefined ? 0 : lowerBound(ids, token.start);
  const limitRaw = Number(query.get('limit') ?? '0');
  const limit = Number.isInteger(limitRaw) && limitRaw > 0 ? limitRaw : Infinity;
  const items: KubeObject[] = [];
  let i = startAt;
  for (; i < ids.length && items.length < limit; i += 1) {
    const obj = core.present(type, state.get(ids[i] ?? '') as KubeObject);
    if (selects(sel, obj)) items.push(obj);
  }
  const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
  if (i < ids.length) {
    metadata.continue = encodeContinue({ rv, start: ids[i - 1] ?? '' });
    const unfiltered = sel.labels.requirements.length === 0 && sel.fields.requirements.length === 0;
    if (unfiltered) metadata.remainingItemCount = ids.length - i;
  }
  return { list: { kind: type.listKind, apiVersion: apiVersionOf(type), metadata, items }, items };
}

/** Index of the first id strictly after `start`. */
function lowerBound(ids: readonly string[], start: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((ids[mid] ?? '') <= start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
