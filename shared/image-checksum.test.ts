import { describe, expect, it } from 'vitest';
import { expectedChecksum } from './image-checksum';

const A = 'a'.repeat(64);
const B = 'B'.repeat(64);

describe('expectedChecksum', () => {
  it('takes a bare sha256 in either case', () => {
    expect(expectedChecksum(` ${B}\n`, 'disk.qcow2')).toEqual({ ok: true, sha256: 'b'.repeat(64) });
  });

  it('finds the line for the image in a GNU SHA256SUMS file, binary marker or not', () => {
    const sums = `${A}  debian-12-genericcloud-amd64.raw\n${B} *debian-12-genericcloud-amd64.qcow2\n`;
    expect(expectedChecksum(sums, 'debian-12-genericcloud-amd64.qcow2')).toEqual({ ok: true, sha256: 'b'.repeat(64) });
  });

  it('reads BSD-style lines and names with a leading folder', () => {
    expect(expectedChecksum(`SHA256 (images/noble.img) = ${A}`, 'noble.img')).toEqual({ ok: true, sha256: A });
  });

  it('says which files a checksum file lists when the image is not among them', () => {
    const result = expectedChecksum(`${A}  other.img\n`, 'disk.img');
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/no line for disk\.img \(it lists other\.img\)/) });
  });

  it('refuses text that holds no checksum at all', () => {
    expect(expectedChecksum('md5: 1234', 'disk.img')).toMatchObject({ ok: false, reason: expect.stringMatching(/neither a sha256/) });
  });
});
