import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from '../support/netns';
import { buildInitramfs, labCacheDir, type Kernel } from '../lab';

/** SHA-256 of a file's first `bytes` bytes: a disk holds the image when this equals the image's own sum. */
export async function sha256OfPrefix(file: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { start: 0, end: bytes - 1 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** What the installed test OS prints on its serial console once it is up. */
export const DEPLOYED_MARKER = 'RACKBOOT-DEPLOYED';
export const LOGIN_PROMPT = 'rackboot-test login:';

const INIT = `#!/bin/sh
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev
echo
echo "${DEPLOYED_MARKER} kernel $(uname -r) booted from disk"
echo
while :; do
  printf '%s ' "${LOGIN_PROMPT}"
  read -r line || sleep 5
done
`;

const SYSLINUX_CFG = `SERIAL 0 115200
DEFAULT installed
TIMEOUT 1
LABEL installed
  KERNEL /vmlinuz
  APPEND initrd=/initrd.gz console=ttyS0,115200 quiet panic=5
`;

/** Debian package syslinux-efi: the same loader as a UEFI application, which reads its config beside itself. */
const SYSLINUX_EFI = '/usr/lib/SYSLINUX.EFI/efi64/syslinux.efi';
const LDLINUX_E64 = '/usr/lib/syslinux/modules/efi64/ldlinux.e64';

/**
 * A small raw disk that boots under BIOS and UEFI alike: a FAT file system over the whole disk with syslinux in its
 * boot sector (BIOS) and syslinux.efi as the removable-media loader `\EFI\BOOT\BOOTX64.EFI` (UEFI firmware reads a
 * FAT file system without a partition table), a kernel and an initramfs whose /init prints the deployed marker and a
 * login prompt on the serial console. Built with mtools, so nothing is mounted. Cached by kernel and content.
 */
export async function buildTestImage(kernel: Kernel): Promise<string> {
  const initrd = await buildInitramfs({ init: INIT });
  const key = createHash('sha256').update(kernel.version).update(INIT).update(SYSLINUX_CFG).update('efi').update(initrd).digest('hex').slice(0, 16);
  const dir = path.join(labCacheDir(), 'test-images');
  const image = path.join(dir, `installed-${key}.raw`);
  if (existsSync(image)) return image;
  await mkdir(dir, { recursive: true });
  const partial = `${image}.partial`;
  const config = `${image}.syslinux.cfg`;
  await rm(partial, { force: true });
  await writeFile(config, SYSLINUX_CFG);
  try {
    await run('mkfs.vfat', ['-C', '-n', 'RACKBOOT', partial, String(24 * 1024)]);
    await run('mcopy', ['-i', partial, kernel.vmlinuzPath, '::vmlinuz']);
    await run('mcopy', ['-i', partial, initrd, '::initrd.gz']);
    await run('mcopy', ['-i', partial, config, '::syslinux.cfg']);
    await run('mmd', ['-i', partial, '::EFI', '::EFI/BOOT']);
    await run('mcopy', ['-i', partial, SYSLINUX_EFI, '::EFI/BOOT/BOOTX64.EFI']);
    await run('mcopy', ['-i', partial, LDLINUX_E64, '::EFI/BOOT/ldlinux.e64']);
    await run('mcopy', ['-i', partial, config, '::EFI/BOOT/syslinux.cfg']);
    await run('syslinux', ['--install', partial]);
    await rename(partial, image);
  } finally {
    await rm(config, { force: true });
  }
  return image;
}
