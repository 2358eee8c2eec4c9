import { randomBytes } from 'node:crypto';
import { dropDatabase, ensureDatabase } from './db.js';

/** The Postgres server tests use: TEST_DATABASE_URL, else the local one CI starts. */
export function testServerUrl(): string {
  return process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}
export function testNatsUrl(): string {
  return process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
}

/** A fresh, uniquely named database for one test file; drop() removes it. */
export async function freshDatabase(label: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const url = new URL(testServerUrl());
  url.pathname = `/t_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(url.toString());
  return { url: url.toString(), drop: () => dropDatabase(url.toString()) };
}

/** A unique subject prefix so concurrent test files never answer each other's requests. */
export function freshPrefix(): string {
  return `t${randomBytes(5).toString('hex')}.`;
}

/** Environment for starting a service in a test against fresh infrastructure. */
export function testEnv(databaseUrl: string, prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return { DATABASE_URL: databaseUrl, NATS_URL: testNatsUrl(), NATS_PREFIX: prefix, HTTP_PORT: '0', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', ...extra };
}
