// Small, total helpers over schemaless objects: typed reads of metadata, deep equality and
// copying, timestamps and names in the formats Kubernetes uses.
import { randomBytes, randomUUID } from 'node:crypto';
import type { KubeObject } from './types.ts';

export type Dict = Record<string, unknown>;

export function isDict(v: unknown): v is Dict {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function dict(v: unknown): Dict {
  return isDict(v) ? v : {};
}

export function metadataOf(obj: KubeObject): Dict {
  return dict(obj.metadata);
}

export function metaString(obj: KubeObject, field: string): string | undefined {
  const v = metadataOf(obj)[field];
  return typeof v === 'string' ? v : undefined;
}

export function labelsOf(obj: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(dict(metadataOf(obj).labels))) if (typeof v === 'string') out[k] = v;
  return out;
}

export function finalizersOf(obj: KubeObject): string[] {
  const f = metadataOf(obj).finalizers;
  return Array.isArray(f) ? f.filter((x): x is string => typeof x === 'string') : [];
}

export function isDeleting(obj: KubeObject): boolean {
  return metaString(obj, 'deletionTimestamp') !== undefined;
}

/** A deep copy of JSON data (stored objects are immutable; copy before changing). */
export function clone<T>(v: T): T {
  return structuredClone(v);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (!isDict(a) || !isDict(b)) return false;
  const ka = Object.keys(a).filter((k) => a[k] !== undefined);
  const kb = Object.keys(b).filter((k) => b[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
}

/** RFC 3339 with second precision, as metav1.Time serializes. */
export function nowTimestamp(date: Date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

export function newUid(): string {
  return randomUUID();
}

// The alphabet of apimachinery's utilrand.String: no vowels and no confusable characters.
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** generateName + 5 random characters, as the real name generator does. */
export function generateName(prefix: string): string {
  const bytes = randomBytes(5);
  let suffix = '';
  for (const b of bytes) suffix += NAME_ALPHABET[b % NAME_ALPHABET.length];
  return `${prefix.slice(0, 58)}${suffix}`;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The real server's error for an invalid object name, or undefined when valid. */
export function nameError(name: string, label: boolean): string | undefined {
  if (label) {
    if (name.length <= 63 && DNS1123_LABEL.test(name)) return undefined;
    return `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`;
  }
  if (name.length <= 253 && DNS1123_SUBDOMAIN.test(name)) return undefined;
  return `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`;
}
