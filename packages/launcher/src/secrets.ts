import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A fresh random secret: 32 hex digits (128 bits), safe in URLs and config files without quoting. */
export function randomSecret(): string {
  return randomBytes(16).toString('hex');
}

/**
 * Generated credentials of one data dir, one file each under `<dataDir>/secrets` (dir 0700, files
 * 0600), reused across restarts. Rotating = deleting the directory (or one file) and restarting.
 */
export class SecretStore {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'secrets');
  }

  /** Path of the file holding secret `name`, created with a random value when missing. */
  file(name: string): string {
    if (!/^[a-z0-9_.-]+$/i.test(name)) throw new Error(`secret name "${name}" must be a plain file name`);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    const file = path.join(this.dir, name);
    if (!existsSync(file)) {
      // Write then rename: a crash never leaves a half-written secret that later reads as valid.
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, `${randomSecret()}\n`, { mode: 0o600 });
      renameSync(tmp, file);
    }
    chmodSync(file, 0o600);
    return file;
  }

  get(name: string): string {
    const value = readFileSync(this.file(name), 'utf8').trim();
    if (!value) throw new Error(`secret file ${path.join(this.dir, name)} is empty: delete it to generate a new one`);
    return value;
  }
}
