import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { MAX_SSH_KEY_LENGTH, sshPublicKeySchema, type LaptopSshKey } from '../../shared/instance';

/**
 * The OpenSSH public keys in a folder (the laptop's `~/.ssh`), for the wizard's one-click pick: only `*.pub` files
 * that hold exactly one valid public key line. Private keys are never opened.
 */
export async function laptopSshKeys(sshDir: string): Promise<LaptopSshKey[]> {
  const names = await readdir(sshDir).catch(() => [] as string[]);
  const keys: LaptopSshKey[] = [];
  for (const name of names.filter((candidate) => candidate.endsWith('.pub')).sort()) {
    const file = path.join(sshDir, name);
    const info = await stat(file).catch(() => null);
    if (!info?.isFile() || info.size > MAX_SSH_KEY_LENGTH) continue;
    const text = (await readFile(file, 'utf8').catch(() => '')).trim();
    const parsed = sshPublicKeySchema.safeParse(text);
    if (!parsed.success) continue;
    keys.push({ file: name, key: parsed.data, comment: parsed.data.split(' ').slice(2).join(' ') });
  }
  return keys;
}
