import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAgent, buildFullRamdisk } from './ramdisk';
import { VIRTIO_MODULES_DEP } from './test-fixtures';

const VERSION = '6.1.0-test-amd64';
/** Stand-ins for the agent's static helpers: what matters here is that every ramdisk carries them in /bin. */
const HELPERS = { entries: [{ kind: 'file' as const, path: 'bin/rackboot-helper', data: Buffer.from('helper'), mode: 0o755 }], digest: 'test' };

// A kernel tree with Debian 6.1's virtio drivers, an Intel NIC driver and a sound driver the driver rule leaves out.
const MODULES_DEP = `${VIRTIO_MODULES_DEP}kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko:
kernel/sound/pci/hda/snd-hda-intel.ko:
`;
const MODULES_ALIAS = `# Aliases extracted from modules themselves.
alias pci:v00001AF4d*sv*sd*bc*sc*i* virtio_pci
alias virtio:d00000001v* virtio_net
alias virtio:d00000002v* virtio_blk
alias pci:v00008086d000010D3sv*sd*bc*sc*i* e1000e
alias pci:v00008086d*sv*sd*bc04sc03i00* snd_hda_intel
`;
const VIRTIO_NIC = 'pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00';

// Debian's busybox-static: the chroot below has no libraries for a dynamically linked one.
const STATIC_BUSYBOX = '/bin/busybox';
const haveTools = (() => {
  try {
    execFileSync('cpio', ['--version'], { stdio: 'ignore' });
    if (!existsSync(STATIC_BUSYBOX)) return false;
    return true;
  } catch {
    return false;
  }
})();
const isRoot = process.getuid?.() === 0;

describe('full deploy ramdisk', () => {
  let work = '';
  let unpacked = '';

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'rackboot-ramdisk-'));
    const modulesDir = path.join(work, 'kernel/lib/modules', VERSION);
    for (const line of MODULES_DEP.trim().split('\n')) {
      const file = path.join(modulesDir, line.slice(0, line.indexOf(':')));
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, `module ${path.basename(file)}`);
    }
    writeFileSync(path.join(modulesDir, 'modules.dep'), MODULES_DEP);
    writeFileSync(path.join(modulesDir, 'modules.alias'), MODULES_ALIAS);
    writeFileSync(path.join(work, 'busybox'), 'not really busybox');
    const ramdisk = await buildFullRamdisk({
      kernel: { root: path.join(work, 'kernel'), version: VERSION },
      busybox: path.join(work, 'busybox'),
      tools: HELPERS,
    });
    writeFileSync(path.join(work, 'ramdisk.cpio'), gunzipSync(ramdisk));
    unpacked = path.join(work, 'unpacked');
    if (haveTools) execFileSync('sh', ['-c', 'mkdir unpacked && cd unpacked && cpio -id --quiet < ../ramdisk.cpio'], { cwd: work });
  });

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const tree = (): string => path.join(unpacked, 'lib/modules', VERSION);

  it.skipIf(!haveTools)('holds the storage and network drivers and their dependencies at their paths in the kernel tree, nothing else', () => {
    const listing = execFileSync('sh', ['-c', 'cpio -it --quiet < ramdisk.cpio'], { cwd: work, encoding: 'utf8' }).split('\n');
    const modules = listing.filter((entry) => entry.endsWith('.ko')).map((entry) => path.basename(entry)).sort();
    expect(modules).toEqual([
      'e1000e.ko', 'failover.ko', 'net_failover.ko', 'virtio.ko', 'virtio_blk.ko', 'virtio_net.ko', 'virtio_pci.ko',
      'virtio_pci_legacy_dev.ko', 'virtio_pci_modern_dev.ko', 'virtio_ring.ko',
    ]);
    expect(listing).toContain(`lib/modules/${VERSION}/kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko`);
    expect(listing).toContain('bin/rackboot-helper');
  });

  it.skipIf(!haveTools)('cuts modules.dep and modules.alias down to the modules it holds', () => {
    const dep = execFileSync('cat', [path.join(tree(), 'modules.dep')], { encoding: 'utf8' });
    const alias = execFileSync('cat', [path.join(tree(), 'modules.alias')], { encoding: 'utf8' });
    expect(dep).not.toContain('snd-hda-intel');
    expect(dep).toContain('kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko');
    expect(alias.trim().split('\n')).toEqual(MODULES_ALIAS.trim().split('\n').slice(1, 5));
  });

  // busybox modprobe reads the tree under /lib/modules/$(uname -r). A throwaway root in this test's own folder holds a
  // static busybox and the ramdisk's tree there, so the test needs no /lib/modules (a fresh machine or container has
  // none) and touches nothing of the host's.
  it.skipIf(!haveTools || !isRoot)('lets busybox modprobe pick a virtio NIC\'s driver chain by its modalias, and no driver it lacks', () => {
    const root = path.join(work, 'root');
    const release = os.release();
    mkdirSync(path.join(root, 'bin'), { recursive: true });
    mkdirSync(path.join(root, 'lib/modules'), { recursive: true });
    copyFileSync(STATIC_BUSYBOX, path.join(root, 'bin/busybox'));
    chmodSync(path.join(root, 'bin/busybox'), 0o755);
    cpSync(tree(), path.join(root, 'lib/modules', release), { recursive: true });
    // -D prints what would be loaded, in order, and loads nothing.
    const printed = execFileSync('chroot', [root, '/bin/busybox', 'sh', '-c', 'busybox modprobe -D -a "$1" "$2" 2>&1 || true', 'sh', VIRTIO_NIC, 'pci:v00008086d00002922sv0sd0bc01sc06i01'], {
      encoding: 'utf8',
    });
    const loads = printed.split('\n').filter((line) => line.startsWith('insmod ')).map((line) => path.basename(line.trim()));
    expect(loads).toEqual(['virtio_ring.ko', 'virtio.ko', 'virtio_pci_modern_dev.ko', 'virtio_pci_legacy_dev.ko', 'virtio_pci.ko']);
  });
});

describe('agent appended to an operator initrd', () => {
  it.skipIf(!haveTools)('carries the agent and its helpers, and no driver list of its own (the driver rule lives in one place)', () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'rackboot-append-'));
    try {
      writeFileSync(path.join(work, 'initrd'), appendAgent(Buffer.alloc(0), HELPERS));
      expect(execFileSync('sh', ['-c', 'cpio -it --quiet < initrd'], { cwd: work, encoding: 'utf8' }).split('\n')).not.toContain('etc/rackboot/drivers');
      expect(execFileSync('sh', ['-c', 'cpio -it --quiet < initrd'], { cwd: work, encoding: 'utf8' })).toContain('bin/rackboot-helper');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
