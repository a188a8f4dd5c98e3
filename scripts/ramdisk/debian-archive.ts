/**
 * Debian archive metadata, read from its text (pure: text in, typed values out). The chain of trust is the archive's:
 * `InRelease` (signed) lists the sha256 and size of each `Packages` index, and each stanza of an index gives the
 * sha256 and size of its `.deb`.
 */

/** One file a `Release` file vouches for, by its path under `dists/SUITE/`. */
export interface ReleaseFile {
  sha256: string;
  size: number;
}

export interface Release {
  codename: string;
  /** e.g. 12.15 */
  version: string;
  components: string[];
  files: Map<string, ReleaseFile>;
}

export class ArchiveFormatError extends Error {}

/**
 * The signed text of a clearsigned `InRelease` (what gpgv checked), or a plain `Release` as it is. Dash-escaped lines
 * (`- -…`) are unescaped as OpenPGP's cleartext framework says.
 */
export function releaseText(inRelease: string): string {
  const lines = inRelease.split('\n');
  if (lines[0]?.trim() !== '-----BEGIN PGP SIGNED MESSAGE-----') return inRelease;
  const blank = lines.indexOf('', 1);
  const end = lines.indexOf('-----BEGIN PGP SIGNATURE-----');
  if (blank < 0 || end < blank) throw new ArchiveFormatError('InRelease is clearsigned but its signed text has no end.');
  return lines
    .slice(blank + 1, end)
    .map((line) => (line.startsWith('- ') ? line.slice(2) : line))
    .join('\n');
}

/** Control-file stanzas (deb822): `Field: value` with continuation lines, stanzas split by blank lines. */
export function parseStanzas(text: string): Array<Map<string, string>> {
  const stanzas: Array<Map<string, string>> = [];
  let current = new Map<string, string>();
  let field: string | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') {
      if (current.size > 0) stanzas.push(current);
      current = new Map();
      field = null;
      continue;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (field === null) throw new ArchiveFormatError(`A continuation line comes before any field: "${line.slice(0, 60)}".`);
      current.set(field, `${current.get(field)!}\n${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new ArchiveFormatError(`Not a "Field: value" line: "${line.slice(0, 60)}".`);
    field = line.slice(0, colon);
    current.set(field, line.slice(colon + 1).trim());
  }
  if (current.size > 0) stanzas.push(current);
  return stanzas;
}

/** Lines of a `SHA256:` field: `HASH SIZE PATH`. */
export function parseChecksumLines(field: string): Map<string, ReleaseFile> {
  const files = new Map<string, ReleaseFile>();
  for (const line of field.split('\n')) {
    if (line.trim() === '') continue;
    const match = /^([0-9a-f]{64})\s+(\d+)\s+(\S+)$/.exec(line.trim());
    if (!match) throw new ArchiveFormatError(`Not a "sha256 size path" line: "${line.trim().slice(0, 100)}".`);
    files.set(match[3]!, { sha256: match[1]!, size: Number(match[2]) });
  }
  return files;
}

export function parseRelease(text: string): Release {
  const [stanza] = parseStanzas(releaseText(text));
  const sums = stanza?.get('SHA256');
  if (!stanza || sums === undefined) throw new ArchiveFormatError('The Release file has no SHA256 list.');
  return {
    codename: stanza.get('Codename') ?? '',
    version: stanza.get('Version') ?? '',
    components: (stanza.get('Components') ?? '').split(/\s+/).filter(Boolean),
    files: parseChecksumLines(sums),
  };
}

export interface PackageEntry {
  name: string;
  version: string;
  /** Path under the archive's root, e.g. pool/main/l/linux-signed-amd64/linux-image-….deb */
  filename: string;
  sha256: string;
  size: number;
  /** Names only: versions and alternatives after the first are not needed to pick a kernel. */
  depends: string[];
}

/** A `Packages` index by package name (an index lists each name once per suite and architecture). */
export function parsePackages(text: string): Map<string, PackageEntry> {
  const packages = new Map<string, PackageEntry>();
  for (const stanza of parseStanzas(text)) {
    const name = stanza.get('Package');
    const filename = stanza.get('Filename');
    const sha256 = stanza.get('SHA256');
    const size = Number(stanza.get('Size'));
    if (!name || !filename || !sha256 || !/^[0-9a-f]{64}$/.test(sha256) || !Number.isSafeInteger(size)) {
      throw new ArchiveFormatError(`A Packages stanza lacks Package, Filename, SHA256 or Size (${name ?? 'no name'}).`);
    }
    if (filename.split('/').includes('..') || filename.startsWith('/')) {
      throw new ArchiveFormatError(`${name}'s Filename climbs out of the archive: ${filename}.`);
    }
    packages.set(name, {
      name,
      version: stanza.get('Version') ?? '',
      filename,
      sha256,
      size,
      depends: (stanza.get('Depends') ?? '')
        .split(',')
        .map((item) => item.trim().split(/[\s|(]/)[0]!)
        .filter(Boolean),
    });
  }
  return packages;
}

/** The versioned kernel package a metapackage such as `linux-image-amd64` depends on. */
export function kernelBehind(meta: PackageEntry): string {
  const kernel = meta.depends.find((name) => /^linux-image-\d.*-amd64$/.test(name));
  if (!kernel) throw new ArchiveFormatError(`${meta.name} ${meta.version} names no linux-image-VERSION-amd64 package.`);
  return kernel;
}
