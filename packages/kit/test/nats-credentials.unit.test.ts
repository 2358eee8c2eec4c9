import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { natsCredentials } from '../src/nats.js';

const url = 'nats://127.0.0.1:4222';

describe('natsCredentials', () => {
  it('is none for an open server', () => {
    expect(natsCredentials({ NATS_URL: url })).toBeUndefined();
  });

  it('takes the password from the environment or from a file (trimmed)', () => {
    expect(natsCredentials({ NATS_URL: url, NATS_USER: 'cart', NATS_PASSWORD: 'pw' })).toEqual({ user: 'cart', pass: 'pw' });
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'kit-nats-')), 'pw');
    writeFileSync(file, 'from-file\n');
    expect(natsCredentials({ NATS_URL: url, NATS_USER: 'cart', NATS_PASSWORD_FILE: file })).toEqual({ user: 'cart', pass: 'from-file' });
  });

  it('refuses half a credential, naming the missing variable', () => {
    expect(() => natsCredentials({ NATS_URL: url, NATS_USER: 'cart' })).toThrow(/NATS_USER is "cart" but neither NATS_PASSWORD nor NATS_PASSWORD_FILE is set/);
    expect(() => natsCredentials({ NATS_URL: url, NATS_PASSWORD: 'pw' })).toThrow(/NATS_USER is required/);
    expect(() => natsCredentials({ NATS_URL: url, NATS_USER: 'cart', NATS_PASSWORD: 'a', NATS_PASSWORD_FILE: '/x' })).toThrow(/not both/);
  });

  it('names an unreadable or empty password file', () => {
    expect(() => natsCredentials({ NATS_URL: url, NATS_USER: 'cart', NATS_PASSWORD_FILE: '/nonexistent/pw' })).toThrow(/NATS_PASSWORD_FILE \/nonexistent\/pw cannot be read \(ENOENT\)/);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'kit-nats-')), 'empty');
    writeFileSync(file, '\n');
    expect(() => natsCredentials({ NATS_URL: url, NATS_USER: 'cart', NATS_PASSWORD_FILE: file })).toThrow(/is empty/);
  });
});
