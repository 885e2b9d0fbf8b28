/** Structured JSON logs (pino), one line per event, on stderr. */
import { destination, pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** A JSON-lines logger for a component; level from MODELSLO_LOG_LEVEL (default info). */
export function createLogger(component: string, level = process.env.MODELSLO_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { component }, timestamp: pino.stdTimeFunctions.isoTime, redact: ['token', 'authorization', 'headers.authorization'] }, destination(2));
}

/** A logger that writes nothing (the default of optional logger ports). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
