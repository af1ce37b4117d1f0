// The one mapping of a failed gt call to what a view says and does about it: the condition
// reason (GTUnavailable: gt could not be reached; GTError: gt ran and refused; GTOutputInvalid:
// its output could not be read) and when to look again (InvalidArgument is permanent: the same
// input cannot succeed, so it is not retried). Pure.
import { Reason } from '../../api/index.ts';
import type { GtError, GtErrorKind } from '../../gt/index.ts';

/** Requeue delays per gt error kind (ms). */
export interface RetryDelays {
  readonly transientMs: number;
  readonly unavailableMs: number;
  readonly cliErrorMs: number;
  readonly parseErrorMs: number;
  readonly notFoundMs: number;
}

export const DEFAULT_RETRY_DELAYS: RetryDelays = {
  transientMs: 5_000,
  unavailableMs: 30_000,
  cliErrorMs: 60_000,
  parseErrorMs: 60_000,
  notFoundMs: 60_000,
};

/** What a gt error means for a view: the condition reason and when to look again. */
export interface GtFailure {
  readonly reason: Reason;
  readonly message: string;
  /** `undefined`: permanent, no retry. */
  readonly requeueAfterMs: number | undefined;
}

/** The condition reason of a gt error kind. */
export function reasonForGtError(kind: GtErrorKind): Reason {
  switch (kind) {
    case 'Unavailable':
    case 'Transient':
      return Reason.GTUnavailable;
    case 'ParseError':
      return Reason.GTOutputInvalid;
    case 'NotFound':
    case 'CLIError':
    case 'InvalidArgument':
      return Reason.GTError;
  }
}

function retryAfter(kind: GtErrorKind, delays: RetryDelays): number | undefined {
  switch (kind) {
    case 'Transient':
      return delays.transientMs;
    case 'Unavailable':
      return delays.unavailableMs;
    case 'CLIError':
      return delays.cliErrorMs;
    case 'NotFound':
      return delays.notFoundMs;
    case 'ParseError':
      return delays.parseErrorMs;
    case 'InvalidArgument':
      return undefined;
  }
}

/** Reason, bounded message and requeue delay of a gt error. */
export function gtFailure(error: GtError, delays: RetryDelays = DEFAULT_RETRY_DELAYS): GtFailure {
  return { reason: reasonForGtError(error.kind), message: error.message.slice(0, 1024), requeueAfterMs: retryAfter(error.kind, delays) };
}
