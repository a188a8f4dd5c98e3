import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { run } from '../support/netns';

/**
 * A real Debian cloud image built from Debian's packages: systemd, cloud-init (ConfigDrive datasource first),
 * openssh-server, ifupdown + isc-dhcp-client (cloud-init renders network_data.json for them), Debian's kernel and
 * initramfs. The disk is GPT: partition 1 a FAT ESP holding kernel, initrd and the loaders, partition 2 the ext4 root.
 * BIOS boots syslinux's gptmbr.bin → the ESP's volume boot record (the ESP carries the "legacy BIOS bootable"
 * attribute); UEFI boots the removable-media path \EFI\BOOT\BOOTX64.EFI (syslinux.efi). Nothing is mounted: the root
 * file system is made with `mkfs.ext4 -d` from mmdebstrap's directory, the ESP with mtools.
 */

const SUITE = 'bookworm';
const PACKAGES = [
  'linux-image-amd64', 'initramfs-tools', 'systemd-sysv', 'udev', 'cloud-init', 'openssh-server', 'ifupdown',
  'isc-dhcp-client', 'iproute2', 'netbase', 'sudo', 'e2fsprogs',
  // cloud-init's ifupdown renderer adds routes (the default gateway) with `route` (post-up route add …).
  'net-tools',
];
/** Kept out of the image to keep it small: documentation, translations and drivers no server in the lab has. */
const PATH_EXCLUDES = [
  '/usr/share/doc/*', '/usr/share/man/*', '/usr/share/info/*', '/usr/share/locale/*', '/usr/share/i18n/*',
  '/usr/share/lintian/*', '/usr/share/zoneinfo/right/*',
  ...['sound', 'drivers/gpu', 'drivers/net/wireless', 'drivers/media', 'drivers/infiniband', 'drivers/staging',
    'drivers/bluetooth', 'drivers/isdn', 'drivers/net/ethernet/mellanox', 'drivers/scsi/qla2xxx', 'drivers/scsi/lpfc',
    'net/wireless', 'net/mac80211', 'drivers/iio', 'drivers/hid', 'drivers/input/touchscreen']
    .map((dir) => `/lib/modules/*/kernel/${dir}/*`),
];
export const CLOUD_ROOT_LABEL = 'rackroot';
const SYSLINUX_CFG = `SERIAL 0 115200
DEFAULT debian
TIMEOUT 1
LABEL debian
  KERNEL /vmlinuz
  APPEND initrd=/initrd.img root=LABEL=${CLOUD_ROOT_LABEL} ro console=tty0 console=ttyS0,115200 net.ifnames=0
`;
/**
 * The initramfs holds only what the lab's servers need to mount their root (virtio disk, ext4): building one with
 * every driver (Debian's MODULES=most) costs minutes on two cores.
 */
const INITRAMFS_SETUP = [
  `mkdir -p "$1/etc/initramfs-tools/conf.d" && echo MODULES=list > "$1/etc/initramfs-tools/conf.d/rackboot.conf"`,
  // modules.d, not /etc/initramfs-tools/modules: that is a conffile of initramfs-tools, installed after this hook.
  `mkdir -p "$1/usr/share/initramfs-tools/modules.d" && printf 'virtio_pci\\nvirtio_blk\\nvirtio_scsi\\nsd_mod\\next4\\n' > "$1/usr/share/initramfs-tools/modules.d/rackboot"`,
];
/** Runs inside the new root before it is packed: the image is generic, every instance gets its identity at boot. */
const CUSTOMIZE = [
  `echo 'LABEL=${CLOUD_ROOT_LABEL} / ext4 defaults,errors=remount-ro 0 1' > "$1/etc/fstab"`,
  // No `locales` package (update-locale would fail cloud-init's locale module); /etc/hosts names the host, so sudo
  // resolves it.
  `printf 'datasource_list: [ ConfigDrive, None ]\\nssh_genkeytypes: [ ed25519 ]\\nlocale: false\\nmanage_etc_hosts: true\\n' > "$1/etc/cloud/cloud.cfg.d/90-rackboot.cfg"`,
  `rm -f "$1"/etc/ssh/ssh_host_*`,
  `: > "$1/etc/machine-id"`,
  `echo localhost > "$1/etc/hostname"`,
  `printf 'auto lo\\niface lo inet loopback\\nsource /etc/network/interfaces.d/*\\n' > "$1/etc/network/interfaces"`,
];
const GPTMBR = '/usr/lib/syslinux/mbr/gptmbr.bin';
const SYSLINUX_EFI = '/usr/lib/SYSLINUX.EFI/efi64/syslinux.efi';
const LDLINUX_E64 = '/usr/lib/syslinux/modules/efi64/ldlinux.e64';
const MIB = 1024 * 1024;
const ESP_START_MIB = 1;
const ESP_SIZE_MIB = 160;

export function cloudImageCacheDir(): string {
  return process.env.RACKBOOT_CLOUD_IMAGE_CACHE || path.join(homedir(), '.cache', 'rackboot', 'cloud-image');
}

function recipeKey(): string {
  return createHash('sha256').update(JSON.stringify({ SUITE, PACKAGES, PATH_EXCLUDES, SYSLINUX_CFG, CUSTOMIZE, ESP_SIZE_MIB, v: 2 }))
    .digest('hex').slice(0, 16);
}

export interface CloudImage {
  /** The raw disk image (GPT, BIOS + UEFI bootable). */
  raw: string;
  bytes: number;
}

/** Builds (≈5 min on 2 cores) or returns the cached cloud image. */
export async function buildCloudImage(log: (line: string) => void = () => {}): Promise<CloudImage> {
  const dir = path.join(cloudImageCacheDir(), recipeKey());
  const raw = path.join(dir, 'disk.raw');
  if (existsSync(raw)) return { raw, bytes: (await stat(raw)).size };
  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(path.join(dir, '.build-'));
  try {
    const rootDir = path.join(work, 'root');
    log(`mmdebstrap ${SUITE} into ${rootDir}`);
    await run('mmdebstrap', [
      '--variant=apt', '--mode=root', `--include=${PACKAGES.join(',')}`,
      '--dpkgopt=force-unsafe-io',
      ...PATH_EXCLUDES.map((pattern) => `--dpkgopt=path-exclude=${pattern}`),
      ...INITRAMFS_SETUP.map((hook) => `--essential-hook=${hook}`),
      ...CUSTOMIZE.map((hook) => `--customize-hook=${hook}`),
      '--customize-hook=chroot "$1" depmod -a $(ls "$1/lib/modules")',
      '--customize-hook=rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*',
      SUITE, rootDir,
    ]);

    const boot = path.join(rootDir, 'boot');
    const kernel = (await run('sh', ['-c', `ls ${boot}/vmlinuz-* | head -1`])).trim();
    const initrd = (await run('sh', ['-c', `ls ${boot}/initrd.img-* | head -1`])).trim();

    const esp = path.join(work, 'esp.img');
    await run('mkfs.vfat', ['-C', '-F', '32', '-n', 'EFI', esp, String(ESP_SIZE_MIB * 1024)]);
    const config = path.join(work, 'syslinux.cfg');
    await writeFile(config, SYSLINUX_CFG);
    await run('mcopy', ['-i', esp, kernel, '::vmlinuz']);
    await run('mcopy', ['-i', esp, initrd, '::initrd.img']);
    await run('mcopy', ['-i', esp, config, '::syslinux.cfg']);
    await run('mmd', ['-i', esp, '::EFI', '::EFI/BOOT']);
    await run('mcopy', ['-i', esp, SYSLINUX_EFI, '::EFI/BOOT/BOOTX64.EFI']);
    await run('mcopy', ['-i', esp, LDLINUX_E64, '::EFI/BOOT/ldlinux.e64']);
    await run('mcopy', ['-i', esp, config, '::EFI/BOOT/syslinux.cfg']);

    const usedKib = Number((await run('du', ['-sk', '--exclude=./boot', rootDir])).split('\t')[0]);
    const rootMib = Math.ceil((usedKib * 1.25) / 1024) + 256;
    const rootImg = path.join(work, 'root.ext4');
    log(`root file system: ${Math.round(usedKib / 1024)} MiB used, ${rootMib} MiB partition`);
    await run('mkfs.ext4', ['-q', '-L', CLOUD_ROOT_LABEL, '-d', rootDir, rootImg, `${rootMib}M`]);

    const partial = path.join(work, 'disk.raw');
    const rootStartMib = ESP_START_MIB + ESP_SIZE_MIB;
    const diskMib = rootStartMib + rootMib + 1;
    await run('truncate', ['-s', `${diskMib}M`, partial]);
    await run('sgdisk', [
      '-n', `1:${ESP_START_MIB}M:+${ESP_SIZE_MIB}M`, '-t', '1:ef00', '-c', '1:EFI', '-A', '1:set:2',
      '-n', `2:${rootStartMib}M:+${rootMib}M`, '-t', '2:8300', '-c', '2:root', partial,
    ]);
    await run('dd', [`if=${esp}`, `of=${partial}`, 'bs=1M', `seek=${ESP_START_MIB}`, 'conv=notrunc,sparse', 'status=none']);
    await run('dd', [`if=${rootImg}`, `of=${partial}`, 'bs=1M', `seek=${rootStartMib}`, 'conv=notrunc,sparse', 'status=none']);
    await run('dd', [`if=${GPTMBR}`, `of=${partial}`, 'bs=440', 'count=1', 'conv=notrunc', 'status=none']);
    await run('syslinux', ['--install', '--offset', String(ESP_START_MIB * MIB), partial]);
    await rename(partial, raw);
    log(`cloud image ready: ${raw}`);
  } finally {
    // A failed mmdebstrap can leave its mounts behind: never delete through them.
    await run('sh', ['-c', `for m in $(awk '$2 ~ "^${work}/" {print $2}' /proc/mounts | sort -r); do umount "$m"; done`]).catch(() => undefined);
    await rm(work, { recursive: true, force: true }).catch((error: unknown) => log(`could not remove ${work}: ${String(error)}`));
  }
  return { raw, bytes: (await stat(raw)).size };
}

/**
 * The cloud image as distributions ship theirs: qcow2 v3 with zlib-compressed clusters (`qemu-img convert -c`), cached
 * beside the raw image it is made from.
 */
export async function cloudImageQcow2(image: CloudImage): Promise<string> {
  const qcow2 = path.join(path.dirname(image.raw), 'debian-12-cloud.qcow2');
  if (existsSync(qcow2)) return qcow2;
  const partial = `${qcow2}.partial`;
  await run('qemu-img', ['convert', '-c', '-f', 'raw', '-O', 'qcow2', '-o', 'compat=1.1', image.raw, partial]);
  await rename(partial, qcow2);
  return qcow2;
}
