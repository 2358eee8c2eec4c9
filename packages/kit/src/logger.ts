import { pino, type Logger } from 'pino';
import { redactCardNumbers } from '@shop/contracts/rules';

export type { Logger };

/**
 * Structured JSON logs on stdout, or appended to LOG_FILE when it is set. Card fields are
 * redacted by path, and as a last line of defence any card number (13–19 digits passing Luhn)
 * left in a line is replaced before the line is written, wherever in the line it appears.
 */
export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  const file = process.env.LOG_FILE;
  return pino(
    {
      name,
      level,
      base: { service: name },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['*.card', '*.card_number', '*.number', '*.cvc', '*.cvv', '*.exp_month', '*.exp_year', 'req.headers.authorization', 'req.headers["stripe-signature"]'], censor: '[redacted]' },
      hooks: { streamWrite: redactCardNumbers },
    },
    file ? pino.destination({ dest: file, append: true, mkdir: true, sync: true }) : undefined,
  );
}
