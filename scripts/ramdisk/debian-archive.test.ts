import { describe, expect, it } from 'vitest';
import { ArchiveFormatError, kernelBehind, parseChecksumLines, parsePackages, parseRelease, parseStanzas, releaseText } from './debian-archive';

const SUM_A = 'a'.repeat(64);
const SUM_B = '6777ea16514725f9427f48c240d92e0a6b8496138e37a1491d8597e66774e309';

// The shape of bookworm's InRelease (trimmed): clearsigned, MD5Sum before SHA256.
const IN_RELEASE = `-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA256

Origin: Debian
Suite: oldstable
Version: 12.15
Codename: bookworm
Components: main contrib non-free-firmware non-free
Description: Debian 12.15 Released 11 July 2026
MD5Sum:
 a8ed68071e02b40b231febcafb3f55aa 12084798 main/binary-amd64/Packages.gz
SHA256:
 ${SUM_B} 12084798 main/binary-amd64/Packages.gz
 ${SUM_A}     7070 non-free-firmware/binary-amd64/Packages.gz
-----BEGIN PGP SIGNATURE-----

iHUEARYKAB0WIQRNZP7BGcICkGfW55H40lhbh4PUgQUCam
-----END PGP SIGNATURE-----
`;

describe('Debian Release files', () => {
  it('reads the suite, its components and the sha256 and size of each index', () => {
    const release = parseRelease(IN_RELEASE);
    expect(release).toMatchObject({ codename: 'bookworm', version: '12.15', components: ['main', 'contrib', 'non-free-firmware', 'non-free'] });
    expect(release.files.get('main/binary-amd64/Packages.gz')).toEqual({ sha256: SUM_B, size: 12084798 });
    expect(release.files.get('non-free-firmware/binary-amd64/Packages.gz')).toEqual({ sha256: SUM_A, size: 7070 });
  });

  it('takes only the signed text of a clearsigned InRelease, dash-escapes undone', () => {
    const text = releaseText(IN_RELEASE);
    expect(text.startsWith('Origin: Debian')).toBe(true);
    expect(text).not.toContain('BEGIN PGP');
    const escaped = '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nA: 1\n- -----dashes\n-----BEGIN PGP SIGNATURE-----\nxx\n';
    expect(releaseText(escaped)).toBe('A: 1\n-----dashes');
  });

  it('refuses a Release without a SHA256 list, and checksum lines that are not "sha256 size path"', () => {
    expect(() => parseRelease('Origin: Debian\nMD5Sum:\n 0ed6d4c8891eb86358b94bb35d9e4da4 1 x\n')).toThrow(ArchiveFormatError);
    expect(() => parseChecksumLines(` ${SUM_A.slice(1)} 12 main/x`)).toThrow(/sha256 size path/);
    expect(() => parseChecksumLines(` ${SUM_A} twelve main/x`)).toThrow(/sha256 size path/);
    expect(() => releaseText('-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nOrigin: Debian\n')).toThrow(/no end/);
  });
});

const PACKAGES = `Package: linux-image-amd64
Source: linux-signed-amd64 (6.1.176+1)
Version: 6.1.176-1
Depends: linux-image-6.1.0-50-amd64 (= 6.1.176-1)
Filename: pool/main/l/linux-signed-amd64/linux-image-amd64_6.1.176-1_amd64.deb
Size: 1492
SHA256: ${SUM_A}

Package: firmware-bnx2x
Version: 20230210-5
Description: Binary firmware for Broadcom NetXtremeII 10Gb
 This package contains the binary firmware for
 .
 the bnx2x driver.
Depends: firmware-misc-nonfree | firmware-linux, other (>= 1)
Filename: pool/non-free-firmware/f/firmware-nonfree/firmware-bnx2x_20230210-5_all.deb
Size: 1737604
SHA256: ${SUM_B}
`;

describe('Debian Packages indexes', () => {
  it('reads each package\'s file, checksum, size and the names it depends on', () => {
    const packages = parsePackages(PACKAGES);
    expect(packages.get('firmware-bnx2x')).toEqual({
      name: 'firmware-bnx2x',
      version: '20230210-5',
      filename: 'pool/non-free-firmware/f/firmware-nonfree/firmware-bnx2x_20230210-5_all.deb',
      sha256: SUM_B,
      size: 1737604,
      depends: ['firmware-misc-nonfree', 'other'],
    });
    expect(kernelBehind(packages.get('linux-image-amd64')!)).toBe('linux-image-6.1.0-50-amd64');
  });

  it('keeps continuation lines with their field', () => {
    const [, bnx2x] = parseStanzas(PACKAGES);
    expect(bnx2x!.get('Description')).toBe('Binary firmware for Broadcom NetXtremeII 10Gb\nThis package contains the binary firmware for\n.\nthe bnx2x driver.');
  });

  it('refuses a stanza without checksum or size, and a Filename that climbs out of the archive', () => {
    expect(() => parsePackages('Package: x\nFilename: pool/x.deb\nSize: 1\n')).toThrow(/lacks/);
    expect(() => parsePackages(`Package: x\nFilename: pool/../../etc/x.deb\nSize: 1\nSHA256: ${SUM_A}\n`)).toThrow(/climbs out/);
    expect(() => parsePackages(`Package: x\nFilename: /etc/x.deb\nSize: 1\nSHA256: ${SUM_A}\n`)).toThrow(/climbs out/);
    expect(() => parseStanzas(' continuation first\n')).toThrow(ArchiveFormatError);
    expect(() => parseStanzas('no colon here\n')).toThrow(/Field: value/);
  });

  it('refuses a metapackage that names no versioned kernel', () => {
    const meta = { name: 'linux-image-amd64', version: '1', filename: 'pool/x.deb', sha256: SUM_A, size: 1, depends: ['initramfs-tools'] };
    expect(() => kernelBehind(meta)).toThrow(/names no linux-image/);
  });
});
