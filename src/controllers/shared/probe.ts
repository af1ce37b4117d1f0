// A targeted gt read as a value: what it returned, or the GtError it failed with. Reconcilers
// gather probes and hand them to a pure decide; anything that is not a GtError is a bug and
// propagates.
import { isGtError, type GtError } from '../../gt/index.ts';

export type Probe<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: GtError };

export async function probe<T>(run: () => Promise<T>): Promise<Probe<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    if (isGtError(error)) return { ok: false, error };
    throw error;
  }
}
