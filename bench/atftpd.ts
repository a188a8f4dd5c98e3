import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { downloadDebianPackage, labCacheDir } from '../e2e/lab';
import { run } from '../e2e/support/netns';

/**
 * atftpd, the TFTP benchmark's windowed reference. Debian cannot install it beside the lab's ironic-conductor (which
 * depends on tftpd-hpa, and tftpd-hpa conflicts with atftpd), so the one on PATH is used when there is one; else
 * Debian's package is unpacked once into the lab cache, keyed by its version, and its binary run from there (its
 * libraries, libwrap0 and libpcre2, come with tftpd-hpa and grep).
 */
export async function atftpdPath(): Promise<string> {
  const onPath = await run('sh', ['-c', 'command -v atftpd']).catch(() => '');
  if (onPath.trim()) return onPath.trim();
  const policy = await run('apt-cache', ['policy', 'atftpd']);
  const version = /Candidate:\s*(\S+)/.exec(policy)?.[1];
  if (!version || version === '(none)') throw new Error('apt-cache knows no atftpd package: run apt-get update.');
  const versions = path.join(labCacheDir(), 'atftpd');
  const dir = path.join(versions, version.replace(/[^A-Za-z0-9.+~-]/g, '_'));
  const binary = path.join(dir, 'usr', 'sbin', 'atftpd');
  if (existsSync(binary)) return binary;
  await mkdir(versions, { recursive: true });
  const work = await mkdtemp(path.join(versions, '.download-'));
  try {
    await run('dpkg-deb', ['-x', await downloadDebianPackage(`atftpd=${version}`, work), path.join(work, 'tree')]);
    await rm(dir, { recursive: true, force: true });
    await rename(path.join(work, 'tree'), dir);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return binary;
}
