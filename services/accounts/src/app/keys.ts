import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { AppError } from '@shop/contracts';

/** The algorithm of generated signing keys (ECDSA P-256: small tokens, every JOSE library verifies it). */
export const SIGNING_ALG = 'ES256';
export const KEYS_FILE = 'signing-keys.json';

export interface SigningKeys {
  keys: JWK[];
  /** Where they came from, for the start-up log (never the keys). */
  source: string;
}

export async function newSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: `${new Date().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`, alg: SIGNING_ALG, use: 'sig' };
}

/** Checks a JWKS of private keys as given by configuration. */
export function parseSigningKeys(text: string, where: string): JWK[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AppError('INVALID_INPUT', `Configuration error: ${where} is not JSON (a JWKS: {"keys": [...]})`);
  }
  const keys = (parsed as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new AppError('INVALID_INPUT', `Configuration error: ${where} must be a JWKS with at least one key ({"keys": [...]})`);
  for (const [i, k] of keys.entries()) {
    const key = k as JWK;
    if (!key || typeof key !== 'object' || !key.kty || !key.d) throw new AppError('INVALID_INPUT', `Configuration error: ${where} key ${i + 1} must be a private JWK (kty and d)`);
    if (!key.kid) throw new AppError('INVALID_INPUT', `Configuration error: ${where} key ${i + 1} needs a kid (tokens name the key that signed them)`);
  }
  return keys as JWK[];
}

/**
 * The signing keys: from configuration (ACCOUNTS_SIGNING_KEYS or its _FILE, as compose hands them
 * over), else `<keyDir>/signing-keys.json`, generated (0600) on the first start. The first key signs;
 * the others stay in the JWKS so tokens they signed keep verifying until they expire (rotation).
 */
export async function loadSigningKeys(configured: string | undefined, keyDir: string): Promise<SigningKeys> {
  if (configured) return { keys: parseSigningKeys(configured, 'ACCOUNTS_SIGNING_KEYS'), source: 'ACCOUNTS_SIGNING_KEYS' };
  const file = path.resolve(keyDir, KEYS_FILE);
  try {
    return { keys: parseSigningKeys(await readFile(file, 'utf8'), file), source: file };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ keys: [await newSigningKey()] }, null, 2)}\n`, { mode: 0o600 });
  try {
    // A second instance starting at the same moment: whichever rename lands, both read one file.
    await rename(tmp, file);
  } finally {
    await chmod(file, 0o600).catch(() => undefined);
  }
  return { keys: parseSigningKeys(await readFile(file, 'utf8'), file), source: file };
}

/**
 * Rotation: a new key goes first (it signs from the next start on); the previous keys stay for
 * verification; keys beyond `keep` are dropped (tokens they signed must have expired by then).
 */
export async function rotateSigningKeys(keyDir: string, keep = 2): Promise<JWK[]> {
  const file = path.resolve(keyDir, KEYS_FILE);
  const current = parseSigningKeys(await readFile(file, 'utf8'), file);
  const keys = [await newSigningKey(), ...current].slice(0, Math.max(2, keep));
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ keys }, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
  return keys;
}
