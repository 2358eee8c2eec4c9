import client from 'prom-client';
import type { Logger } from './logger.js';
import { metricsRegistry } from './telemetry.js';

const jobRuns = new client.Histogram({
  name: 'job_run_duration_seconds',
  help: 'Runs of periodic jobs, by job and outcome (ok or error)',
  labelNames: ['job', 'outcome'],
  buckets: [0.001, 0.01, 0.1, 1, 10, 60],
  registers: [metricsRegistry],
});

export interface PeriodicOptions {
  logger: Logger;
  /** Each wait is everyMs × (1 ± jitter), so instances started together do not run in step. Default 0.1. */
  jitter?: number;
  /** Run once at start instead of waiting a first period. */
  runAtStart?: boolean;
}

export interface PeriodicRun {
  /** True once stop() was called: a job working through a backlog checks it between batches. */
  stopped(): boolean;
}

export interface Periodic {
  /** Runs the job now unless a run is in flight (then waits for that one); the schedule goes on. */
  runNow(): Promise<void>;
  /** No further runs; resolves when the run in flight, if any, has finished. */
  stop(): Promise<void>;
}

/**
 * Periodic work, one shape for every service: runs never overlap (the next wait starts when a run
 * ends), waits are jittered, a failed run is logged and retried at the next period, stop waits for
 * the run in flight, and every run is timed in job_run_duration_seconds{job, outcome}. Timers are
 * unref'd: a job never keeps a process alive.
 */
export function startPeriodic(name: string, everyMs: number, fn: (run: PeriodicRun) => Promise<unknown>, opts: PeriodicOptions): Periodic {
  const jitter = opts.jitter ?? 0.1;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const run: PeriodicRun = { stopped: () => stopped };

  const once = (): Promise<void> => {
    running ??= (async () => {
      const end = jobRuns.startTimer({ job: name });
      try {
        await fn(run);
        end({ outcome: 'ok' });
      } catch (e) {
        end({ outcome: 'error' });
        opts.logger.warn({ job: name, err: (e as Error).message }, `${name} failed; it runs again at the next period`);
      }
    })().finally(() => {
      running = undefined;
    });
    return running;
  };
  const schedule = () => {
    if (stopped) return;
    const wait = Math.max(1, Math.round(everyMs * (1 + jitter * (2 * Math.random() - 1))));
    timer = setTimeout(() => void once().finally(schedule), wait);
    timer.unref();
  };

  if (opts.runAtStart) void once().finally(schedule);
  else schedule();
  return {
    runNow: () => (stopped ? Promise.resolve() : once()),
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
