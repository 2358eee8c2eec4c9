import { pathToFileURL } from 'node:url';
import { newSigningKey, parseSigningKeys, rotateSigningKeys } from './app/keys.js';

/**
 * Signing-key operations for operators:
 *   node services/accounts/dist/rotate-keys.js rotate [keyDir]   new key first in <keyDir>/signing-keys.json, the previous one kept
 *   node services/accounts/dist/rotate-keys.js new                prints a fresh private JWKS (for ACCOUNTS_SIGNING_KEYS)
 *   node services/accounts/dist/rotate-keys.js prepend < jwks     prints the given JWKS with a new key in front
 * A rotated key signs after the service restarts; tokens signed by the old one verify until they expire.
 */
async function main(argv: string[]): Promise<void> {
  const [command, arg] = argv;
  if (command === 'rotate') {
    const keys = await rotateSigningKeys(arg ?? '.data/secrets/accounts');
    process.stdout.write(`signing key now ${keys[0].kid}; still verifying: ${keys.slice(1).map((k) => k.kid).join(', ') || 'none'}\n`);
  } else if (command === 'new') {
    process.stdout.write(`${JSON.stringify({ keys: [await newSigningKey()] })}\n`);
  } else if (command === 'prepend') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    const current = parseSigningKeys(Buffer.concat(chunks).toString('utf8'), 'standard input');
    process.stdout.write(`${JSON.stringify({ keys: [await newSigningKey(), ...current].slice(0, 2) })}\n`);
  } else {
    process.stderr.write('usage: rotate-keys.js rotate [keyDir] | new | prepend < jwks.json\n');
    process.exitCode = 2;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  });
}
