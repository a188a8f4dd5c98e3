// What kind of image a file is, from its first bytes (never from its name). Pure.
import { ImageFormatError } from './image-format-error';

export const IMAGE_FORMATS = ['raw', 'gzip', 'xz', 'zstd', 'qcow2'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

/** Bytes detectImageFormat needs to see. */
export const MAGIC_BYTES = 8;

const startsWith = (head: Buffer, magic: number[]): boolean => magic.every((byte, index) => head[index] === byte);

/** Formats that are not a disk in themselves, or that Rackboot does not read: what to do instead. */
const REFUSED: Array<{ magic: number[]; advice: string }> = [
  { magic: [0x4b, 0x44, 0x4d, 0x56], advice: 'a VMDK image; convert it: qemu-img convert -O qcow2 IN OUT.qcow2' },
  { magic: [0x76, 0x68, 0x64, 0x78, 0x66, 0x69, 0x6c, 0x65], advice: 'a VHDX image; convert it: qemu-img convert -O qcow2 IN OUT.qcow2' },
  { magic: [0x42, 0x5a, 0x68], advice: 'bzip2-compressed; recompress it with xz or zstd, or decompress it to raw' },
  { magic: [0x50, 0x4b, 0x03, 0x04], advice: 'a zip archive; unpack the disk image out of it first' },
];

export function detectImageFormat(head: Buffer): ImageFormat {
  if (startsWith(head, [0x51, 0x46, 0x49, 0xfb])) return 'qcow2';
  if (startsWith(head, [0x1f, 0x8b])) return 'gzip';
  if (startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz';
  if (startsWith(head, [0x28, 0xb5, 0x2f, 0xfd])) return 'zstd';
  const refused = REFUSED.find((entry) => startsWith(head, entry.magic));
  if (refused) throw new ImageFormatError('image-unsupported', `This file is ${refused.advice}.`);
  return 'raw';
}
