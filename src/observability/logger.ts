// The one place loggers are made. Structured JSON (pino) everywhere; modules take a Logger
// (or a child of one) as a dependency instead of importing a global, so tests can pass a
// silent one and the composition root decides format and level.
//
// Formats: `json` (one object per line, ISO time: what log collectors in a cluster parse),
// `pretty` (pino-pretty, colourless unless the destination is a terminal), `auto` = pretty
// when the destination is a TTY, JSON otherwise. pino-pretty runs in-process as a plain
// stream (no transport worker thread), writing synchronously so the last lines before an exit
// are not lost. Context fields come from child loggers: the controller runtime adds
// `controller`, `key` and `reconcileID` to every line of a reconcile.
import { pino, type Logger, type LevelWithSilent } from 'pino';
import PinoPretty from 'pino-pretty';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const satisfies readonly LevelWithSilent[];
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = ['json', 'pretty', 'auto'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  /** pino level; `silent` for tests. Default `info`. */
  level?: LevelWithSilent;
  /** `json`, `pretty` or `auto` (pretty on a TTY). Default `json`. */
  format?: LogFormat;
  /** Base fields on every line (for example `{ component: 'apiserver' }`). */
  base?: Record<string, string>;
  /** Where lines go; default stdout (fd 1). */
  destination?: NodeJS.WritableStream;
}

/** For `--log-level`: the level, or a RangeError listing the valid ones. */
export function parseLogLevel(value: string): LogLevel {
  const level = value.trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new RangeError(`log level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return level as LogLevel;
}

/** For `--log-format`: the format, or a RangeError listing the valid ones. */
export function parseLogFormat(value: string): LogFormat {
  const format = value.trim().toLowerCase();
  if (!(LOG_FORMATS as readonly string[]).includes(format)) {
    throw new RangeError(`log format must be one of ${LOG_FORMATS.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return format as LogFormat;
}

/** `auto` resolved against whether the destination is a terminal. */
export function resolveLogFormat(format: LogFormat, isTTY: boolean): 'json' | 'pretty' {
  if (format === 'auto') return isTTY ? 'pretty' : 'json';
  return format;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const { level = 'info', base = {}, destination, format = 'json' } = options;
  const opts = { level, base: { ...base }, timestamp: pino.stdTimeFunctions.isoTime };
  const isTTY = (destination ?? process.stdout) as { isTTY?: boolean };
  if (resolveLogFormat(format, isTTY.isTTY === true) === 'pretty') {
    const pretty = PinoPretty({
      colorize: isTTY.isTTY === true,
      sync: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      ...(destination ? { destination } : {}),
    });
    return pino(opts, pretty);
  }
  return destination ? pino(opts, destination) : pino(opts);
}

/** A logger that discards everything: the default in unit tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
