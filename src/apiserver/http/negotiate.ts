// Content negotiation as the real server does it: the first acceptable media range wins.
// Outputs: plain JSON (or YAML), meta.k8s.io Table (kubectl get), and PartialObjectMetadata
// (metadata-only clients). Protobuf is not served; a request accepting nothing we can produce
// gets 406, which is what the real server answers to unsupported "as=" conversions.
import { notAcceptable } from '../errors.ts';

export interface MediaRange {
  type: string;
  params: Record<string, string>;
}

export function parseMediaRanges(header: string | undefined): MediaRange[] {
  if (header === undefined || header.trim() === '') return [{ type: '*/*', params: {} }];
  return header.split(',').map((part) => {
    const [type = '', ...rest] = part.split(';').map((s) => s.trim());
    const params: Record<string, string> = {};
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"|"$/g, '');
    }
    return { type: type.toLowerCase(), params };
  });
}

export type OutputMode = 'json' | 'yaml' | 'table' | 'metadata';

const JSONISH = new Set(['application/json', 'application/*', '*/*']);

function modeOf(range: MediaRange): OutputMode | undefined {
  const as = range.params.as;
  if (range.type === 'application/yaml' && as === undefined) return 'yaml';
  if (!JSONISH.has(range.type)) return undefined;
  if (as === undefined) return 'json';
  const metaGroup = range.params.g === 'meta.k8s.io' && (range.params.v === 'v1' || range.params.v === 'v1beta1');
  if (!metaGroup) return undefined;
  if (as === 'Table') return 'table';
  if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return 'metadata';
  return undefined;
}

export function negotiateOutput(accept: string | undefined): OutputMode {
  for (const range of parseMediaRanges(accept)) {
    const mode = modeOf(range);
    if (mode !== undefined) return mode;
  }
  throw notAcceptable(['application/json', 'application/yaml', 'application/json;as=Table;v=v1;g=meta.k8s.io']);
}

/** The media type of a request body without parameters (`application/json; charset=utf-8` → `application/json`). */
export function baseMediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}
