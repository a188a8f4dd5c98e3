// The built-in deploy ramdisk as the app ships it (npm run ramdisk → dist/ramdisk): what its module index holds for
// real servers' RAID/HBA and NIC drivers and their firmware (in the drivers folder each server is sent its own from),
// and that it deploys the lab servers under BIOS and UEFI with no ramdisk setting at all.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY_PHASES, builtinRamdiskManifestSchema, type BuiltinRamdiskManifest } from '../../shared/deploy';
import { moduleFirmware } from '../../electron/deploy/module-info';
import { ensureKernel, startLab, waitForSerial, type Firmware } from '../lab';
import { isRoot } from '../support/netns';
import { networkArgs, runDeployCli } from './deploy-cli';
import { DEPLOYED_MARKER, buildTestImage, sha256OfPrefix } from './test-image';

const RAMDISK_DIR = path.resolve('dist/ramdisk');
const SERVER_DRIVERS = ['megaraid_sas', 'mpt3sas', 'smartpqi', 'hpsa', 'ixgbe', 'i40e', 'ice', 'bnxt_en', 'mlx5_core', 'tg3'];

describe('the built-in deploy ramdisk', () => {
  let manifest: BuiltinRamdiskManifest;
  let root: string;
  let tree: string;
  let drivers: string;

  beforeAll(() => {
    // Cached by its inputs under ~/.cache/rackboot/ramdisk: quick unless Debian published a new kernel.
    execFileSync('npx', ['tsx', 'scripts/build-ramdisk.ts'], { stdio: 'inherit' });
    manifest = builtinRamdiskManifestSchema.parse(JSON.parse(readFileSync(path.join(RAMDISK_DIR, 'manifest.json'), 'utf8')));
    root = execFileSync('mktemp', ['-d'], { encoding: 'utf8' }).trim();
    execFileSync('sh', ['-c', 'gzip -dc "$1" | (cd "$2" && cpio -id --quiet)', 'sh', path.join(RAMDISK_DIR, 'initrd.cpio.gz'), root]);
    tree = path.join(root, 'lib/modules', manifest.kernelRelease);
    drivers = path.join(RAMDISK_DIR, 'drivers');
  }, 900_000);

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('lists the RAID/HBA and server NIC drivers in its module index, each with every firmware file it names', async () => {
    const dep = await readFile(path.join(tree, 'modules.dep'), 'utf8');
    const alias = await readFile(path.join(tree, 'modules.alias'), 'utf8');
    const named: Record<string, string[]> = {};
    for (const driver of SERVER_DRIVERS) {
      const line = dep.split('\n').find((entry) => entry.startsWith('kernel/') && path.basename(entry.slice(0, entry.indexOf(':'))) === `${driver}.ko`);
      expect(line, `${driver} in modules.dep`).toBeDefined();
      expect(alias, `${driver} in modules.alias`).toMatch(new RegExp(` ${driver}\n`));
      const file = line!.slice(0, line!.indexOf(':'));
      named[driver] = moduleFirmware(await readFile(path.join(drivers, 'lib/modules', manifest.kernelRelease, file)));
      for (const firmware of named[driver]!) {
        await expect(stat(path.join(drivers, 'lib/firmware', firmware)), `${driver} names ${firmware}`).resolves.toBeDefined();
      }
    }
    // The two of them that load firmware from the disk: Broadcom's tg3 (TSO images) and Intel's ice (DDP package).
    expect(named.tg3).toContain('tigon/tg3_tso5.bin');
    expect(named.ice).toContain('intel/ice/ddp/ice.pkg');
    expect(manifest.drivers).toBeGreaterThan(300);
    expect(manifest.firmwareFiles).toBeGreaterThan(50);
  });

  it('boots with the index alone: no module or firmware file is in the initrd, each server is sent its own', () => {
    const listing = execFileSync('sh', ['-c', 'gzip -dc "$1" | cpio -t --quiet', 'sh', path.join(RAMDISK_DIR, 'initrd.cpio.gz')], { encoding: 'utf8' });
    expect(listing).not.toMatch(/\.ko$|^lib\/firmware\//m);
    expect(manifest.initrdBytes).toBeLessThan(4 * 1024 * 1024);
    expect(manifest.driversBytes).toBeGreaterThan(20 * 1024 * 1024);
  });

  it('leaves out wireless, graphics and sound drivers', async () => {
    const dep = await readFile(path.join(tree, 'modules.dep'), 'utf8');
    expect(dep).not.toMatch(/drivers\/(net\/wireless|gpu)\/|^kernel\/sound\//m);
  });
});

const skip = !isRoot();
if (skip) console.log('built-in ramdisk boot tests skipped: they need root (network namespaces, ipmi_sim, QEMU).');

describe.skipIf(skip).each<Firmware>(['bios', 'uefi'])('the built-in ramdisk deploys a %s lab server', (firmware) => {
  it('with no ramdisk option at all', async () => {
    const kernel = await ensureKernel();
    const image = await buildTestImage(kernel);
    const lab = await startLab({ servers: 1, firmware });
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-builtin-'));
    try {
      const server = lab.servers[0]!;
      const hwinfo = path.join(dataDir, 'hardware_info');
      await writeFile(hwinfo, `${server.bmc.address} ${server.mac} ${server.bmc.user} ${server.bmc.password}\n`);
      const run = await runDeployCli(lab, [
        '--hwinfo', hwinfo, '--image', image, '--boot-mode', firmware, ...networkArgs(lab), '--disk', '/dev/vda', '--data-dir', dataDir,
      ]);
      expect(run.code, run.output.slice(-4000)).toBe(0);
      expect(run.records.at(-1)!.history.map((entry) => entry.phase)).toEqual([...DEPLOY_PHASES]);
      const imageSize = (await stat(image)).size;
      expect(await sha256OfPrefix(server.diskPath, imageSize)).toBe(await sha256OfPrefix(image, imageSize));
      await waitForSerial(server, new RegExp(DEPLOYED_MARKER), { timeoutMs: 5_000 });
      // The agent ran, from the ramdisk served with no ramdisk option: the built-in one.
      const serial = await readFile(server.serialLogPath, 'utf8');
      expect(serial).toContain(`rackboot-agent: starting for ${server.mac}`);
      // Its NIC's drivers came with iPXE, the disk's from Rackboot after the lease: virtio_blk among them.
      expect(serial).toMatch(/rackboot-agent: drivers loaded: .*\bvirtio_blk\b/);
    } finally {
      await lab.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 900_000);
});
