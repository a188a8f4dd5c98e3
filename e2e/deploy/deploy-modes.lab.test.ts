// The deploy paths the three-server test does not take: a UEFI server (OVMF, the NIC's iPXE as a UEFI driver, boot
// flags with the EFI bit, the written disk booted by the firmware's removable-media loader), and proxy DHCP next to
// another DHCP server that owns the addresses (the agent's own lease comes from that server too).
import type { ChildProcess } from 'node:child_process';
import { appendFile, copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY_PHASES } from '../../shared/deploy';
import { RACK_BRIDGE } from '../lab/rack-plan';
import { ensureKernel, ensureKernelPackageFile, startLab, waitForSerial, type Kernel, type Lab, type LabServer } from '../lab';
import { isRoot } from '../support/netns';
import { networkArgs, ramdiskArgs, runDeployCli } from './deploy-cli';
import { DEPLOYED_MARKER, buildTestImage, sha256OfPrefix } from './test-image';

const skip = !isRoot();
if (skip) console.log('deploy mode lab tests skipped: they need root (network namespaces, ipmi_sim, QEMU).');

/** The other DHCP server's range: inside the rack subnet, outside the lab's pool and its BMC addresses. */
const OTHER_RANGE = { start: '10.77.0.60', end: '10.77.0.80' };

describe.skipIf(skip)('deploy modes end to end: UEFI, and proxy DHCP', () => {
  let lab: Lab;
  let server: LabServer;
  let kernel: Kernel;
  let image: string;
  let dataDir: string;
  let hwinfo: string;

  beforeAll(async () => {
    kernel = await ensureKernel();
    image = await buildTestImage(kernel);
    lab = await startLab({ servers: 1, firmware: 'uefi' });
    server = lab.servers[0]!;
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-deploy-modes-'));
    hwinfo = path.join(dataDir, 'hardware_info');
    await writeFile(hwinfo, `${server.bmc.address} ${server.mac} ${server.bmc.user} ${server.bmc.password}\n`);
  });

  afterAll(async () => {
    await lab?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function expectDeployed(args: string[], image: string): Promise<string> {
    const serialFrom = (await stat(server.serialLogPath).catch(() => ({ size: 0 }))).size;
    const run = await runDeployCli(lab, [...args, '--hwinfo', hwinfo, '--image', image, '--boot-mode', 'uefi', '--disk', '/dev/vda', '--erase-disk', '--data-dir', await mkdtemp(path.join(dataDir, 'run-'))]);
    expect(run.code, run.output.slice(-4000)).toBe(0);
    const record = run.records.at(-1)!;
    expect(record.status).toBe('deployed');
    expect(record.history.map((entry) => entry.phase)).toEqual([...DEPLOY_PHASES]);
    const imageSize = (await stat(image)).size;
    expect(await sha256OfPrefix(server.diskPath, imageSize)).toBe(await sha256OfPrefix(image, imageSize));
    await waitForSerial(server, new RegExp(DEPLOYED_MARKER), { timeoutMs: 5_000, from: serialFrom });
    return run.output;
  }

  it('deploys a UEFI server: OVMF PXE-boots the deploy ramdisk and then boots the written disk', async () => {
    const output = await expectDeployed([...networkArgs(lab, 'full'), ...ramdiskArgs(kernel)], image);
    // The firmware asked as a UEFI x64 client, and its NIC's iPXE got the script over HTTP.
    expect(output).toMatch(/uefi-x64|UEFI x64/i);
  });

  describe('next to another DHCP server that hands out the addresses', () => {
    let dnsmasq: ChildProcess;

    beforeAll(async () => {
      dnsmasq = lab.rack.spawn('dnsmasq', [
        '--no-daemon', '--port=0', `--interface=${RACK_BRIDGE}`, '--bind-interfaces', '--conf-file=/dev/null',
        `--dhcp-range=${OTHER_RANGE.start},${OTHER_RANGE.end},255.255.255.0,1h`,
        `--dhcp-leasefile=${path.join(dataDir, 'dnsmasq.leases')}`, `--pid-file=${path.join(dataDir, 'dnsmasq.pid')}`,
      ]);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(dnsmasq.exitCode).toBeNull();
    });

    afterAll(() => {
      dnsmasq?.kill('SIGKILL');
    });

    it('deploys in proxy mode with the ramdisk built from the kernel\'s .deb: addresses from the other server, boot files and the job from Rackboot', async () => {
      const kernelPackage = await ensureKernelPackageFile(kernel);
      // An image that ends mid-sector: the agent reads it back as whole MiBs past the cache, then the odd tail.
      const oddImage = path.join(dataDir, 'odd-size.raw');
      await copyFile(image, oddImage);
      await appendFile(oddImage, Buffer.alloc(1234, 0x5a));
      await expectDeployed([...networkArgs(lab, 'proxy'), '--ramdisk-kernel', kernel.vmlinuzPath, '--ramdisk-modules', kernelPackage, '--busybox', '/bin/busybox'], oddImage);
      const leases = await readFile(path.join(dataDir, 'dnsmasq.leases'), 'utf8');
      // Both the firmware's iPXE and the agent took their address from the other server.
      expect(leases.toLowerCase()).toContain(server.mac.toLowerCase());
    });
  });
});
