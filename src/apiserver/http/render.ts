// Response bodies in the negotiated form: JSON, YAML, meta.k8s.io/v1 Table (through the table
// module, using the type's printer columns) or PartialObjectMetadata(List).
import { stringify as toYaml } from 'yaml';
import type { ResourceType } from '../registry/types.ts';
import { buildTable, buildTableForBuiltin, type Table } from '../table/index.ts';
import type { KubeObject } from '../types.ts';
import type { OutputMode } from './negotiate.ts';

export interface Rendered {
  contentType: string;
  body: string;
}

type IncludeObject = 'None' | 'Metadata' | 'Object';

function includeObject(query: URLSearchParams): IncludeObject {
  const v = query.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

/** Custom resources use their CRD's printer columns; built-ins the kubernetes printers' columns. */
function table(type: ResourceType, objects: KubeObject[], opts: { includeObject: IncludeObject; resourceVersion: string; continue?: string }): Table {
  if (type.crdName === undefined) return buildTableForBuiltin(type.kind, objects, opts);
  return buildTable(type.printerColumns === undefined ? undefined : [...type.printerColumns], objects, opts);
}

function partial(obj: KubeObject): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

/** One object as it goes into a response body or a watch event (not yet serialized). */
export function shapeObject(mode: OutputMode, type: ResourceType, obj: KubeObject, query: URLSearchParams): unknown {
  if (mode === 'metadata') return partial(obj);
  if (mode !== 'table') return obj;
  const meta = (obj.metadata ?? {}) as Record<string, unknown>;
  const rv = typeof meta.resourceVersion === 'string' ? meta.resourceVersion : '';
  return table(type, [obj], { includeObject: includeObject(query), resourceVersion: rv });
}

export function shapeList(mode: OutputMode, type: ResourceType, list: KubeObject, items: KubeObject[], query: URLSearchParams): unknown {
  if (mode === 'metadata') return { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: list.metadata, items: items.map(partial) };
  if (mode !== 'table') return list;
  const meta = (list.metadata ?? {}) as Record<string, unknown>;
  const opts: { includeObject: IncludeObject; resourceVersion: string; continue?: string } = {
    includeObject: includeObject(query),
    resourceVersion: typeof meta.resourceVersion === 'string' ? meta.resourceVersion : '',
  };
  if (typeof meta.continue === 'string') opts.continue = meta.continue;
  return table(type, items, opts);
}

export function serialize(mode: OutputMode, body: unknown): Rendered {
  if (mode === 'yaml') return { contentType: 'application/yaml', body: toYaml(body) };
  return { contentType: 'application/json', body: JSON.stringify(body) };
}
