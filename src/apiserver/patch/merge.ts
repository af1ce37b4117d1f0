// JSON merge patch (RFC 7386): objects merge recursively, `null` removes a key, anything else
// (arrays included) replaces. Pure; never mutates its inputs.
import { isDict } from '../meta.ts';

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isDict(patch)) return patch;
  const out: Record<string, unknown> = isDict(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out;
}
