import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { parsePackages, parseRelease, releaseText, type PackageEntry, type Release } from './debian-archive';

const execFileAsync = promisify(execFile);

/** Where Debian's archive keyring puts the keys that sign bookworm's InRelease (package debian-archive-keyring). */
const ARCHIVE_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

export interface Archive {
  /** e.g. https://deb.debian.org/debian */
  mirror: string;
  suite: string;
  release: Release;
  /** Whether gpgv checked InRelease against the Debian archive keyring (false when gpgv or the keyring is absent). */
  signatureChecked: boolean;
}

async function download(url: string): Promise<Buffer> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status} ${response.statusText}.`);
  return Buffer.from(await response.arrayBuffer());
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The suite's InRelease, its signature checked with gpgv when this machine has gpgv and the archive keyring (a bad
 * signature is an error; no tools is a warning the caller reports).
 */
export async function openArchive(mirror: string, suite: string): Promise<Archive> {
  const inRelease = await download(`${mirror}/dists/${suite}/InRelease`);
  let signatureChecked = false;
  if (existsSync(ARCHIVE_KEYRING) && (await execFileAsync('gpgv', ['--version']).then(() => true, () => false))) {
    const work = await mkdtemp(path.join(tmpdir(), 'rackboot-inrelease-'));
    try {
      await writeFile(path.join(work, 'InRelease'), inRelease);
      await execFileAsync('gpgv', ['--keyring', ARCHIVE_KEYRING, path.join(work, 'InRelease')]).catch((error: Error) => {
        throw new Error(`The signature of ${mirror}/dists/${suite}/InRelease does not check out with ${ARCHIVE_KEYRING}: ${error.message}`);
      });
      signatureChecked = true;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  return { mirror, suite, release: parseRelease(releaseText(inRelease.toString('utf8'))), signatureChecked };
}

/** A component's amd64 `Packages` index, checked against the sha256 and size InRelease gives for it. */
export async function packageIndex(archive: Archive, component: string): Promise<Map<string, PackageEntry>> {
  const name = `${component}/binary-amd64/Packages.gz`;
  const expected = archive.release.files.get(name);
  if (!expected) throw new Error(`${archive.suite}'s Release lists no ${name}.`);
  const data = await download(`${archive.mirror}/dists/${archive.suite}/${name}`);
  if (data.length !== expected.size || sha256(data) !== expected.sha256) {
    throw new Error(`${name} of ${archive.suite} does not match its Release checksum (a mirror mid-update? try again).`);
  }
  return parsePackages(gunzipSync(data).toString('utf8'));
}

/** A package's .deb, checked against its index's sha256 and size, kept in `cacheDir` under its checksum. */
export async function fetchPackage(archive: Archive, entry: PackageEntry, cacheDir: string): Promise<string> {
  const file = path.join(cacheDir, `${entry.sha256}.deb`);
  if (existsSync(file)) return file;
  const data = await download(`${archive.mirror}/${entry.filename}`);
  if (data.length !== entry.size || sha256(data) !== entry.sha256) {
    throw new Error(`${entry.name} ${entry.version} does not match its checksum in the Packages index.`);
  }
  await mkdir(cacheDir, { recursive: true });
  await writeFile(`${file}.partial`, data);
  await rename(`${file}.partial`, file);
  return file;
}

/** Unpacks a .deb's files into `target` (dpkg-deb, on the Debian build machine). */
export async function unpackPackage(deb: string, target: string): Promise<void> {
  await mkdir(target, { recursive: true });
  await execFileAsync('dpkg-deb', ['-x', deb, target], { maxBuffer: 16 * 1024 * 1024 }).catch((error: Error) => {
    throw new Error(`Could not unpack ${deb} (${error.message}): the ramdisk build needs dpkg-deb (a Debian or Ubuntu build machine).`);
  });
}

