// Public entry of the gt client. Everything outside src/gt/ imports from here.
//
// Guarantees: `createGtClient` builds ONE runner (one concurrency limit, one breaker) per
// client; share the client across controllers so the limits are shared too.
import type { GtClient } from './client.ts';
import { createCliGtClient } from './cli-client.ts';
import type { GtClientConfig } from './config.ts';
import { GtRunner } from './runner.ts';

export type { CallOptions, GtClient, BreakerState } from './client.ts';
export type { CallEvent, GtClientConfig, ResolvedGtConfig } from './config.ts';
export { DEFAULTS as GT_CLIENT_DEFAULTS, resolveGtConfig } from './config.ts';
export { GtError, GT_ERROR_KINDS, isGtError, type GtErrorKind } from './errors.ts';
export { GtRunner } from './runner.ts';
export type * from './types.ts';
export {
  BEAD_STATUSES, CLEANUP_STATUSES, CONVOY_STATUSES, MQ_HEALTHS, MQ_LIST_STATUSES, MQ_STATES, POLECAT_STATES,
  RECOVERY_VERDICTS, RIG_STATES, SERVICE_STATES, isRecognized,
} from './types.ts';

/** The gt client over the real gt/bd binaries (or the simulator's). */
export function createGtClient(config: GtClientConfig = {}): GtClient {
  return createCliGtClient(new GtRunner(config));
}
