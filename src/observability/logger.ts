// The one place loggers are made. Structured JSON (pino) everywhere; modules take a Logger
// (or a child of one) as a dependency instead of importing a global, so tests can pass a
// silent one and the composition root decides format and level.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LoggerOptions {
  /** pino level; `silent` for tests. Default `info`. */
  level?: LevelWithSilent;
  /** Base fields on every line (for example `{ component: 'apiserver' }`). */
  base?: Record<string, string>;
  /** Where lines go; default stdout (fd 1). */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const { level = 'info', base = {}, destination } = options;
  const opts = { level, base: { ...base }, timestamp: pino.stdTimeFunctions.isoTime };
  return destination ? pino(opts, destination) : pino(opts);
}

/** A logger that discards everything: the default in unit tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
