import { describe, expect, it } from 'vitest';
import { createLogger, metricsRegistry, startPeriodic } from '../src/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A logger that keeps its warnings, so the test can assert outside the job. */
function recordingLogger() {
  const warnings: string[] = [];
  const logger = createLogger('periodic-test', 'silent');
  logger.warn = ((obj: unknown, msg?: string) => void warnings.push(`${msg} ${JSON.stringify(obj)}`)) as typeof logger.warn;
  return { logger, warnings };
}

describe('startPeriodic', () => {
  it('never overlaps runs, even when a run takes longer than the period', async () => {
    const { logger } = recordingLogger();
    let inFlight = 0;
    let maxInFlight = 0;
    let runs = 0;
    const job = startPeriodic('overlap', 5, async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await sleep(40);
      inFlight--;
      runs++;
    }, { logger });
    await Promise.all([job.runNow(), job.runNow(), sleep(200)]);
    await job.stop();
    expect(maxInFlight).toBe(1);
    expect(runs).toBeGreaterThanOrEqual(3);
  });

  it('logs a failed run, runs again at the next period, and times both in job_run_duration_seconds', async () => {
    const { logger, warnings } = recordingLogger();
    let calls = 0;
    const job = startPeriodic('flaky_job', 10, async () => {
      calls++;
      if (calls === 1) throw new Error('database unreachable');
    }, { logger, runAtStart: true });
    await sleep(100);
    await job.stop();
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(warnings.some((w) => w.includes('flaky_job failed') && w.includes('database unreachable'))).toBe(true);
    const exposition = await metricsRegistry.getSingleMetricAsString('job_run_duration_seconds');
    expect(exposition).toMatch(/job_run_duration_seconds_count\{job="flaky_job",outcome="error"\} 1\b/);
    expect(exposition).toMatch(/job_run_duration_seconds_count\{job="flaky_job",outcome="ok"\} [1-9]/);
  });

  it('stop waits for the run in flight, tells a long run to stop, and nothing runs afterwards', async () => {
    const { logger } = recordingLogger();
    let batches = 0;
    let finished = false;
    const job = startPeriodic('backlog', 1_000, async (run) => {
      // A backlog of many batches: it checks between batches whether it should stop.
      while (!run.stopped() && batches < 1_000) {
        batches++;
        await sleep(5);
      }
      finished = true;
    }, { logger, runAtStart: true });
    await sleep(30);
    await job.stop();
    expect(finished).toBe(true);
    const atStop = batches;
    expect(atStop).toBeLessThan(1_000);
    await job.runNow();
    await sleep(30);
    expect(batches).toBe(atStop);
  });

  it('jitters the waits around the period', async () => {
    const { logger } = recordingLogger();
    const starts: number[] = [];
    const job = startPeriodic('jittered', 20, async () => void starts.push(performance.now()), { logger, jitter: 0.5 });
    await sleep(400);
    await job.stop();
    const gaps = starts.slice(1).map((t, i) => t - starts[i]);
    expect(gaps.length).toBeGreaterThanOrEqual(5);
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(9);
    expect(new Set(gaps.map((g) => Math.round(g))).size).toBeGreaterThan(1);
  });
});
