// What the server knows about one served resource (one group/version/resource). Built-ins
// declare it statically (builtins.ts); custom resources get one per served CRD version (crd.ts).
import type { KubeObject, PrinterColumn, Verb } from '../types.ts';

/** An OpenAPI v3 schema as found in a CRD (`spec.versions[].schema.openAPIV3Schema`). */
export type JSONSchemaProps = Record<string, unknown>;

export interface ResourceType {
  group: string;
  version: string;
  /** Plural, lower case: the URL segment. */
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: readonly string[];
  categories: readonly string[];
  verbs: readonly Verb[];
  /** Objects of all versions of one resource share this key (`group/resource`). */
  storageKey: string;
  /** apiVersion of the stored form (the CRD's storage version; `v1` for both event APIs). */
  storageApiVersion: string;
  /** `/status` is served; main-endpoint writes keep the stored status and vice versa. */
  statusSubresource: boolean;
  /** metadata.generation is set to 1 on create and bumped on spec changes. */
  tracksGeneration: boolean;
  /** PUT without metadata.resourceVersion is allowed (unconditional update). */
  unconditionalUpdate: boolean;
  /** PUT of a missing object creates it (events only, as in Kubernetes). */
  createOnUpdate: boolean;
  /** Accepts application/strategic-merge-patch+json (built-in kinds only). */
  strategicMerge: boolean;
  /** DELETE answers with the object; otherwise with a Success Status. */
  returnDeletedObject: boolean;
  /** Namespaces and some built-ins: DNS-1123 label names instead of subdomains. */
  nameIsLabel: boolean;
  printerColumns: readonly PrinterColumn[] | undefined;
  /** Field selector labels beyond metadata.name and metadata.namespace. */
  fieldLabels?: readonly string[];
  /** OpenAPI schema of this version, custom resources only. */
  schema: JSONSchemaProps | undefined;
  /** The owning CRD's name, custom resources only. */
  crdName: string | undefined;
  /** Converts an object of this version to the stored form (default: apiVersion rewrite only). */
  toStorage?: (obj: KubeObject) => KubeObject;
  /** Converts a stored object to this version (default: apiVersion rewrite only). */
  fromStorage?: (obj: KubeObject) => KubeObject;
  /** Server-side defaults at create (namespaces: phase Active, and so on). */
  onCreate?: (obj: KubeObject) => void;
  /**
   * Server-side defaults and immutable-field checks on every create and update (after
   * `onCreate`, before generation and admission): gets a private deep copy, returns the object
   * to write; may throw ApiError 422.
   */
  onWrite?: (obj: KubeObject, ctx: WriteContext) => KubeObject;
  /**
   * Create-only kinds that are answered, never stored (access reviews): gets the posted object,
   * returns the response body.
   */
  review?: (obj: KubeObject) => KubeObject;
}

export interface WriteContext {
  /** The stored object on update (in this version's form); undefined on create. */
  old: KubeObject | undefined;
  /** Every stored object of this resource, all namespaces (for allocations such as cluster IPs). */
  peers: () => KubeObject[];
}

export function apiVersionOf(t: Pick<ResourceType, 'group' | 'version'>): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

export function groupResource(t: Pick<ResourceType, 'group' | 'resource'>): { group: string; resource: string } {
  return { group: t.group, resource: t.resource };
}
