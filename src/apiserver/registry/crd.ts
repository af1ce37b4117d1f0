// CustomResourceDefinition semantics: the checks the real apiextensions-apiserver makes on a
// CRD's names/scope/versions, the status it reports (conditions NamesAccepted + Established,
// acceptedNames, storedVersions), and the ResourceTypes a CRD serves (one per served version).
import type { StatusCause } from '../errors.ts';
import type { KubeObject, PrinterColumn, Verb } from '../types.ts';
import { ALL_VERBS } from '../types.ts';
import type { JSONSchemaProps, ResourceType } from './types.ts';

export interface CrdNames {
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  shortNames: string[];
  categories: string[];
}

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema: JSONSchemaProps | undefined;
  statusSubresource: boolean;
  printerColumns: PrinterColumn[] | undefined;
}

export interface CrdSpec {
  name: string;
  group: string;
  scope: string;
  names: CrdNames;
  versions: CrdVersion[];
}

/** The finalizer the real server puts on every CRD so its objects are removed first. */
export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

function rec(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function readVersion(v: unknown): CrdVersion {
  const r = rec(v);
  const schema = rec(r.schema).openAPIV3Schema;
  const columns = r.additionalPrinterColumns;
  return {
    name: str(r.name),
    served: r.served === true,
    storage: r.storage === true,
    schema: schema === undefined ? undefined : rec(schema),
    statusSubresource: rec(r.subresources).status !== undefined,
    printerColumns: Array.isArray(columns) ? (columns as PrinterColumn[]) : undefined,
  };
}

export function readCrd(crd: KubeObject): CrdSpec {
  const spec = rec(crd.spec);
  const names = rec(spec.names);
  const kind = str(names.kind);
  return {
    name: str(rec(crd.metadata).name),
    group: str(spec.group),
    scope: str(spec.scope),
    names: {
      plural: str(names.plural),
      singular: str(names.singular) || kind.toLowerCase(),
      kind,
      listKind: str(names.listKind) || `${kind}List`,
      shortNames: strings(names.shortNames),
      categories: strings(names.categories),
    },
    versions: Array.isArray(spec.versions) ? spec.versions.map(readVersion) : [],
  };
}

/** Immutability checks of a CRD update (everything else is in the validation module). */
export function crdUpdateCauses(crd: CrdSpec, old: CrdSpec): StatusCause[] {
  const causes: StatusCause[] = [];
  if (old.group !== crd.group) {
    causes.push({ reason: 'FieldValueInvalid', field: 'spec.group', message: `Invalid value: "${crd.group}": field is immutable` });
  }
  if (old.scope !== crd.scope) {
    causes.push({ reason: 'FieldValueInvalid', field: 'spec.scope', message: `Invalid value: "${crd.scope}": field is immutable` });
  }
  return causes;
}

function nameSet(n: CrdNames): Set<string> {
  return new Set([n.plural, n.singular, ...n.shortNames].filter((s) => s !== ''));
}

/** Why these names clash with another CRD of the same group, or undefined when they are free. */
export function namesConflict(crd: CrdSpec, others: readonly CrdSpec[]): string | undefined {
  const mine = nameSet(crd.names);
  for (const other of others) {
    if (other.group !== crd.group || other.name === crd.name) continue;
    for (const n of nameSet(other.names)) {
      if (mine.has(n)) return `"${n}" is already in use`;
    }
    if (other.names.kind === crd.names.kind) return `"${crd.names.kind}" is already in use`;
  }
  return undefined;
}

function condition(type: string, status: 'True' | 'False', reason: string, message: string, now: string): Record<string, string> {
  return { type, status, lastTransitionTime: now, reason, message };
}

/** The status the apiextensions controllers would converge to, computed at write time. */
export function crdStatus(crd: CrdSpec, conflict: string | undefined, terminating: boolean, previous: unknown, now: string): Record<string, unknown> {
  const prevConditions = Array.isArray(rec(previous).conditions) ? (rec(previous).conditions as unknown[]).map(rec) : [];
  const keepTime = (c: Record<string, string>): Record<string, string> => {
    const old = prevConditions.find((p) => p.type === c.type && p.status === c.status);
    return old !== undefined && typeof old.lastTransitionTime === 'string' ? { ...c, lastTransitionTime: old.lastTransitionTime } : c;
  };
  const conditions = conflict === undefined
    ? [
        condition('NamesAccepted', 'True', 'NoConflicts', 'no conflicts found', now),
        condition('Established', 'True', 'InitialNamesAccepted', 'the initial names have been accepted', now),
      ]
    : [
        condition('NamesAccepted', 'False', 'NameConflict', conflict, now),
        condition('Established', 'False', 'NotAccepted', 'not all names are accepted', now),
      ];
  if (terminating) conditions.push(condition('Terminating', 'True', 'InstanceDeletionInProgress', 'CustomResource deletion is in progress', now));
  const storage = crd.versions.find((v) => v.storage)?.name;
  const prevStored = strings(rec(previous).storedVersions);
  const storedVersions = storage === undefined || prevStored.includes(storage) ? prevStored : [...prevStored, storage];
  const { name: _name, ...accepted } = { name: crd.name, ...crd.names };
  return {
    conditions: conditions.map(keepTime),
    acceptedNames: conflict === undefined ? accepted : (rec(previous).acceptedNames ?? {}),
    storedVersions,
  };
}

const CR_VERBS: readonly Verb[] = ALL_VERBS;

/** The resource types an established CRD serves: one per served version, sharing one storage key. */
export function crdResourceTypes(crd: CrdSpec): ResourceType[] {
  const storageVersion = crd.versions.find((v) => v.storage)?.name ?? '';
  return crd.versions
    .filter((v) => v.served)
    .map((v) => ({
      group: crd.group,
      version: v.name,
      resource: crd.names.plural,
      singular: crd.names.singular,
      kind: crd.names.kind,
      listKind: crd.names.listKind,
      namespaced: crd.scope === 'Namespaced',
      shortNames: crd.names.shortNames,
      categories: crd.names.categories,
      verbs: CR_VERBS,
      storageKey: `${crd.group}/${crd.names.plural}`,
      statusSubresource: v.statusSubresource,
      tracksGeneration: true,
      unconditionalUpdate: false,
      createOnUpdate: false,
      strategicMerge: false,
      returnDeletedObject: true,
      nameIsLabel: false,
      printerColumns: v.printerColumns,
      schema: v.schema,
      crdName: crd.name,
      storageApiVersion: `${crd.group}/${storageVersion}`,
    }));
}
