/**
 * Structured JSON logs on stderr (pino). One line per lifecycle event; never per record at info.
 */
import pino from 'pino';

export type Logger = pino.Logger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * `sync` writes each line before returning, for a line the process may die right after: the
 * asynchronous writes go through libuv's thread pool, which librdkafka calls can fill.
 */
export function createLogger(level: LogLevel, name = 'turbine', sync = false): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination({ fd: 2, sync }));
}
