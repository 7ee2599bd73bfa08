import { Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes } from '@aws-lambda-powertools/logger/types';

/** The logging surface lib/ depends on: short lower-case messages plus a context object. */
export interface Log {
  debug(message: string, context?: Record<string, unknown>): void;
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

export interface CreateLoggerOptions {
  serviceName?: string;
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
}

/**
 * The one structured JSON logger (Powertools): fixed keys level, message,
 * timestamp, service, and, once a Lambda context is injected, request id and
 * cold start.
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  return new Logger({
    serviceName: options.serviceName ?? 'aps-autoscaler',
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
  });
}

/** Adapts a Powertools logger to the Log surface lib/ uses. */
export function fromPowertools(logger: Logger): Log {
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, context?: Record<string, unknown>): void => {
      if (context === undefined) logger[level](message);
      else logger[level](message, context as LogAttributes);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A logger that drops everything; the default where a caller passes none. */
export const silentLog: Log = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** A logger that keeps every line in memory, for tests that read what was logged. */
export function createMemoryLog(): Log & {
  lines: { level: string; message: string; context?: Record<string, unknown> }[];
} {
  const lines: { level: string; message: string; context?: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (message: string, context?: Record<string, unknown>): void => {
      lines.push(context === undefined ? { level, message } : { level, message, context });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
