import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { testNatsUrl } from '../src/testing.js';

/** Event streams of test stacks (prefixes from freshPrefix and the launcher's fresh stacks). */
const testStream = /^EVENTS_[ts][0-9a-f]{8,10}$/;
const stale = 60 * 60 * 1000;

/**
 * Every test file makes its own subject prefix, and with it an event stream on the shared NATS
 * server. Streams of runs that ended over an hour ago are removed here, so repeated runs on one
 * machine do not pile up streams; a run still going (younger streams) is never touched.
 */
export default async function setup(): Promise<void> {
  let nc;
  try {
    nc = await connect({ servers: testNatsUrl(), timeout: 2_000 });
  } catch {
    return; // no NATS here: the tests themselves will say so
  }
  try {
    const jsm = await jetstreamManager(nc);
    const now = Date.now();
    for await (const s of jsm.streams.list()) {
      if (!testStream.test(s.config.name)) continue;
      const lastActivity = Math.max(Date.parse(s.created), Date.parse(s.state.last_ts ?? s.created) || 0);
      if (now - lastActivity > stale) await jsm.streams.delete(s.config.name).catch(() => undefined);
    }
  } finally {
    await nc.close();
  }
}
