/**
 * Where log lines go and in which format (LIVE_CCV_LOG_FORMAT): JSON, one object per line, for log
 * collectors; or pretty (pino-pretty: time, level, message, then the fields) for a person at a terminal.
 * `auto`, the default, picks pretty when stdout is a terminal and JSON otherwise, so a service under a
 * supervisor or in a container logs JSON without being told.
 */
import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import type { Config } from '../config/config.js';

// pino-pretty is loaded when a pretty stream is made, not by every process (services log JSON)
const require = createRequire(import.meta.url);

export type LogFormat = 'json' | 'pretty';

export function logFormat(config: Pick<Config, 'logFormat'>, isTTY = process.stdout.isTTY === true): LogFormat {
  if (config.logFormat === 'auto') return isTTY ? 'pretty' : 'json';
  return config.logFormat;
}

/** A pretty stream writing to stdout synchronously (nothing is lost when the process exits right after). */
export function prettyStream(colorize = process.stdout.isTTY === true): DestinationStream {
  const pretty = require('pino-pretty') as typeof PinoPretty;
  return pretty({
    colorize,
    sync: true,
    destination: 1,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
}

/**
 * The `stream` to add to pino (or fastify logger) options: none for JSON (pino's own stdout writer),
 * the pretty stream otherwise.
 */
export function logStream(config: Pick<Config, 'logFormat'>): { stream?: DestinationStream } {
  return logFormat(config) === 'pretty' ? { stream: prettyStream() } : {};
}

/** A logger for the parts of a process that run outside a request (the minute closer). */
export function createLogger(config: Pick<Config, 'logFormat' | 'logLevel'>, bindings: Record<string, unknown> = {}): Logger {
  const { stream } = logStream(config);
  const options = { level: config.logLevel };
  return (stream ? pino(options, stream) : pino(options)).child(bindings);
}
