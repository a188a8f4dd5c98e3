// Issue 7: most real servers have no iPXE in their NIC. A lab server without QEMU's iPXE ROM boots through the UEFI
// firmware's own PXE and only our services (DHCP + TFTP + HTTP, no dnsmasq, so no router advertisements either):
// DHCP hands the firmware snponly.efi over our TFTP, the iPXE it starts asks DHCP again and is given its node script,
// and the script boots a kernel with a busybox initramfs that prints a marker on the serial console.
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMarkerInitramfs, ensureKernel, readSerial, serialLogSize, smbiosBytesToUuid, startLab, waitForSerial, type Lab, type LabServer } from '../lab';
import { isRoot } from '../support/netns';
import { startOurServices } from './pxe-boot';

const root = isRoot();
if (!root) console.log('firmware-pxe.lab.test.ts skipped: needs root (network namespaces, ipmi_sim, QEMU).');

const MARKER = 'RACKBOOT-FIRMWARE-PXE-BOOTED';
const BOOT_TIMEOUT_MS = 100_000;

type Event = Record<string, unknown>;

async function writeBootFiles(www: string): Promise<void> {
  const kernel = await ensureKernel();
  const initrd = await buildMarkerInitramfs(kernel, MARKER);
  await mkdir(www, { recursive: true });
  await copyFile(kernel.vmlinuzPath, join(www, 'vmlinuz'));
  await copyFile(initrd, join(www, 'initrd.gz'));
}

/** Milliseconds after the power-on of each step, from our services' own events. */
function logSteps(events: Event[], poweredOnAt: number): void {
  const after = (event: Event | undefined): string => {
    if (!event) return '-';
    const at = typeof event.at === 'number' ? event.at : Date.parse(String(event.time));
    return `${at - poweredOnAt} ms`;
  };
  const pxe = (isIpxe: boolean): Event | undefined => events.find((event) => event.type === 'pxe-request' && event.isIpxe === isIpxe);
  const done = (kind: string, name: (event: Event) => unknown, value: string): Event | undefined =>
    events.find((event) => event.kind === kind && event.phase === 'done' && name(event) === value);
  console.log(
    `after power on: firmware DISCOVER ${after(pxe(false))}, snponly.efi loaded ${after(done('tftp-transfer', (event) => event.file, 'snponly.efi'))}, ` +
      `iPXE DISCOVER ${after(pxe(true))}, initramfs loaded ${after(done('http-transfer', (event) => event.path, '/initrd.gz'))}`,
  );
}

describe.skipIf(!root)('a UEFI server whose NIC has no iPXE ROM, booted by our services only', () => {
  let lab: Lab;
  let server: LabServer;
  let events: Event[] = [];
  let serial = '';
  let markerLine = '';

  beforeAll(async () => {
    lab = await startLab({ servers: 1, firmware: 'uefi', nicRom: 'none' });
    server = lab.servers[0]!;
    const www = join(lab.workDir, 'www');
    await writeBootFiles(www);
    const services = await startOurServices(lab, server, www, {
      routerAdvertisements: false,
      bootTarget: { kernelUrl: '/vmlinuz', initrdUrls: ['/initrd.gz'], cmdline: 'console=ttyS0 quiet' },
    });
    try {
      await lab.ipmitool(server, 'chassis', 'bootdev', 'pxe');
      const serialFrom = await serialLogSize(server);
      const poweredOnAt = Date.now();
      await lab.ipmitool(server, 'chassis', 'power', 'on');
      [markerLine] = await waitForSerial(server, new RegExp(`${MARKER} uuid=\\S+ ip=\\S+`), { from: serialFrom, timeoutMs: BOOT_TIMEOUT_MS });
      console.log(`UEFI firmware PXE, no NIC ROM: power on → marker ${Date.now() - poweredOnAt} ms (${markerLine})`);
      serial = await readSerial(server, serialFrom);
      logSteps(services.events(), poweredOnAt);
    } finally {
      await lab.ipmitool(server, 'chassis', 'power', 'off').catch(() => '');
      await services.stop();
      events = services.events();
    }
  }, BOOT_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await lab?.stop();
  });

  const requests = (isIpxe: boolean): Event[] => events.filter((event) => event.type === 'pxe-request' && event.isIpxe === isIpxe);
  const replies = (): Event[] => events.filter((event) => event.type === 'dhcp-reply' && event.mac === server.mac);

  it('the firmware itself asks first, not an iPXE ROM: OVMF starts PXE over IPv4 before any iPXE prints', () => {
    const firmwarePxe = serial.indexOf('Start PXE over IPv4');
    expect(firmwarePxe).toBeGreaterThanOrEqual(0);
    expect(serial.slice(0, firmwarePxe)).not.toMatch(/iPXE/);
  });

  it("the firmware's request carries the server's MAC, its UUID (option 97, either byte order) and arch uefi-x64", () => {
    const swapped = smbiosBytesToUuid(Buffer.from(server.uuid.replace(/-/g, ''), 'hex'));
    const [first] = requests(false);
    expect(first).toMatchObject({ mac: server.mac, arch: 'uefi-x64', archCode: 7, userClass: null });
    expect([server.uuid, swapped]).toContain(first?.uuid);
  });

  it('the firmware is given snponly.efi from our TFTP server, and the transfer completes', () => {
    expect(replies()).toContainEqual(expect.objectContaining({ messageType: 'ack', boot: { kind: 'tftp', nextServer: lab.provAddress, file: 'snponly.efi' } }));
    const done = events.find((event) => event.kind === 'tftp-transfer' && event.file === 'snponly.efi' && event.phase === 'done');
    expect(done).toBeDefined();
    expect(done?.bytes).toBe(done?.total);
    expect(done?.total).toBeGreaterThan(0);
  });

  it('the iPXE it loads asks again with user class iPXE and is given our HTTP node script URL', () => {
    expect(requests(true)).toContainEqual(expect.objectContaining({ mac: server.mac, userClass: 'iPXE', arch: 'uefi-x64' }));
    const scriptUrl = `http://${lab.provAddress}:8080/ipxe/${server.mac.replace(/:/g, '-')}.ipxe`;
    expect(replies()).toContainEqual(expect.objectContaining({ messageType: 'ack', boot: { kind: 'http', url: scriptUrl } }));
  });

  it('iPXE fetches its node script, then the kernel and the initramfs, from our HTTP server', () => {
    const fetched = events
      .filter((event) => event.kind === 'http-transfer' && event.phase === 'done' && event.status === 200)
      .map((event) => event.path);
    expect(fetched).toEqual([`/ipxe/${server.mac.replace(/:/g, '-')}.ipxe`, '/vmlinuz', '/initrd.gz']);
  });

  it("the kernel boots the initramfs, which prints the marker with the server's UUID and a lease from our pool", () => {
    expect(markerLine).toContain(`uuid=${server.uuid}`);
    expect(markerLine).toMatch(/ip=10\.77\.0\.(1[5-9]\d|2[0-4]\d|250)\//);
  });
});
