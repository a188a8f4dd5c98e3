// The checksum an operator gives for an image: a sha256 in hex, or the text of a checksum file (GNU `sha256sum`
// lines, `HASH  name` or `HASH *name`, or BSD `SHA256 (name) = HASH`), where the line for the image's file name
// counts. Pure; used by the library (refusing a mismatch) and by the wizard (checking before adding).

export type ExpectedChecksum = { ok: true; sha256: string } | { ok: false; reason: string };

const HEX64 = /^[0-9a-fA-F]{64}$/;
const GNU_LINE = /^([0-9a-fA-F]{64}) [ *](.+)$/;
const BSD_LINE = /^SHA256 \((.+)\) = ([0-9a-fA-F]{64})$/;

const baseName = (name: string): string => name.replace(/^\.\//, '').split(/[\\/]/).pop() ?? name;

export function expectedChecksum(text: string, fileName: string): ExpectedChecksum {
  const trimmed = text.trim();
  if (HEX64.test(trimmed)) return { ok: true, sha256: trimmed.toLowerCase() };
  const listed: string[] = [];
  for (const raw of trimmed.split(/\r?\n/)) {
    const line = raw.trim();
    const gnu = GNU_LINE.exec(line);
    const bsd = BSD_LINE.exec(line);
    const entry = gnu ? { hash: gnu[1]!, name: gnu[2]! } : bsd ? { hash: bsd[2]!, name: bsd[1]! } : null;
    if (!entry) continue;
    listed.push(baseName(entry.name));
    if (baseName(entry.name) === fileName) return { ok: true, sha256: entry.hash.toLowerCase() };
  }
  if (listed.length === 0) {
    return { ok: false, reason: 'The checksum is neither a sha256 (64 hex digits) nor a SHA256SUMS file; paste the hash or the file\'s text.' };
  }
  const shown = listed.slice(0, 5).join(', ') + (listed.length > 5 ? ', …' : '');
  return { ok: false, reason: `The checksum file has no line for ${fileName} (it lists ${shown}); give the file that belongs to this image.` };
}
