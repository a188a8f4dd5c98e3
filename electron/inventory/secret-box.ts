import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { removeStaleTemporaries, writeFileAtomic } from '../lib/atomic-file';

/** Encrypts secrets (BMC passwords) before they touch the disk. */
export interface SecretBox {
  /** A label stored beside each secret, so a store written by one box is never misread by another. */
  readonly scheme: string;
  seal(plain: string): string;
  open(sealed: string): string;
}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM with a key kept in a 0600 file: the headless mode's stand-in for Electron's safeStorage, which needs the
 * desktop keyring. It protects the store file when it is copied or backed up without the key file beside it.
 */
export class KeyFileSecretBox implements SecretBox {
  readonly scheme = 'aes-256-gcm-keyfile';

  private constructor(private readonly key: Buffer) {}

  static async load(keyFile: string): Promise<KeyFileSecretBox> {
    await removeStaleTemporaries(keyFile);
    try {
      const key = await fs.readFile(keyFile);
      if (key.length !== KEY_BYTES) {
        throw new Error(`Key file ${keyFile} is damaged (${key.length} bytes, expected ${KEY_BYTES}): restore it or delete it and re-enter the BMC passwords.`);
      }
      const stat = await fs.stat(keyFile);
      if ((stat.mode & 0o077) !== 0) await fs.chmod(keyFile, 0o600);
      return new KeyFileSecretBox(key);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      const key = randomBytes(KEY_BYTES);
      await writeFileAtomic(keyFile, key, 0o600);
      return new KeyFileSecretBox(key);
    }
  }

  seal(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  open(sealed: string): string {
    const raw = Buffer.from(sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}
