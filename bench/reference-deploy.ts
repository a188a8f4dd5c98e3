import type { ChildProcess } from 'node:child_process';
import { copyFile, link, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildInitramfs, serialLogSize, waitForSerial, type Kernel, type Lab, type LabServer } from '../e2e/lab';
import { LOGIN_PROMPT } from '../e2e/deploy/test-image';

/**
 * The floor: the same server, kernel and image deployed with reference tools and no orchestration at all. dnsmasq
 * answers DHCP and hands iPXE a static HTTP script, busybox httpd serves kernel, initramfs and image, ipmitool powers
 * and switches the server. The initramfs only loads the virtio drivers, takes a lease, streams the image to the disk
 * and syncs.
 */
const WRITTEN_MARKER = 'FLOOR-IMAGE-WRITTEN';
const HTTP_PORT = 8081;
/** What dnsmasq advertises when router advertisements are on: ends iPXE's IPv6 wait (docs/decisions.md). */
const RA_ADDRESS = 'fd77::1/64';

export interface FloorTiming {
  /** Power-on (boot device pxe) → the image is on the disk and synced. */
  writeSeconds: number;
  /** Boot device disk, power cycle → the installed OS's login prompt. */
  diskBootSeconds: number;
}

export interface ReferenceDeployServer {
  /** Deploys `server` with the reference tools; the server must be off. */
  deploy(server: LabServer): Promise<FloorTiming>;
  stop(): Promise<void>;
}

function writerInit(imageUrl: string): string {
  return [
    '#!/bin/sh',
    'mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev',
    'exec >/dev/console 2>&1',
    'load-modules',
    'for i in $(seq 50); do [ -e /sys/class/net/eth0 ] && [ -b /dev/vda ] && break; sleep 0.1; done',
    'ip link set eth0 up',
    'udhcpc -i eth0 -t 10 -T 1 -q -n',
    `wget -q -O - ${imageUrl} | dd of=/dev/vda bs=1M 2>/dev/null`,
    'sync',
    `echo ${WRITTEN_MARKER}`,
    'while :; do sleep 3600; done',
    '',
  ].join('\n');
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/**
 * dnsmasq sending only router advertisements (no DHCPv4 range, no DNS) on the laptop's segment, so that iPXE's IPv6
 * configuration ends at once; it runs beside Rackboot's or the reference DHCP server without touching DHCP.
 */
export async function startRouterAdvertiser(lab: Lab): Promise<{ stop: () => Promise<void> }> {
  await lab.prov.ip('addr', 'add', RA_ADDRESS, 'dev', lab.provInterface);
  const dnsmasq = lab.prov.spawn(
    'dnsmasq',
    [
      '--keep-in-foreground', '--conf-file=/dev/null', '--port=0', '--user=root', `--interface=${lab.provInterface}`, '--bind-interfaces',
      '--dhcp-range=fd77::,ra-only', '--enable-ra', `--dhcp-leasefile=${path.join(lab.workDir, 'ra.leases')}`,
    ],
    { stdio: 'ignore' },
  );
  return {
    async stop() {
      await stopProcess(dnsmasq);
      await lab.prov.ip('addr', 'del', RA_ADDRESS, 'dev', lab.provInterface).catch(() => '');
    },
  };
}

export interface ReferenceDeployOptions {
  routerAdvertisements: boolean;
  /** How long power-on → image written may take; 120 s unless said (a large image needs more). */
  writeTimeoutMs?: number;
}

/** `image` served from `target`: a hard link where the file system allows one (a 4 GiB image is not copied). */
async function placeImage(image: string, target: string): Promise<void> {
  await rm(target, { force: true });
  await link(image, target).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EXDEV') throw error;
    return copyFile(image, target);
  });
}

export async function startReferenceDeployServer(
  lab: Lab,
  kernel: Kernel,
  image: string,
  options: ReferenceDeployOptions,
): Promise<ReferenceDeployServer> {
  const url = `http://${lab.provAddress}:${HTTP_PORT}`;
  const www = path.join(lab.workDir, `floor-www-${options.routerAdvertisements ? 'ra' : 'nora'}`);
  await mkdir(www, { recursive: true });
  const initrd = await buildInitramfs({ kernel, modules: ['virtio_pci', 'virtio_net', 'virtio_blk'], init: writerInit(`${url}/image.raw`) });
  await copyFile(kernel.vmlinuzPath, path.join(www, 'vmlinuz'));
  await copyFile(initrd, path.join(www, 'initrd.gz'));
  await placeImage(image, path.join(www, 'image.raw'));
  await writeFile(path.join(www, 'boot.ipxe'), `#!ipxe\nkernel ${url}/vmlinuz initrd=initrd.gz console=ttyS0,115200 quiet\ninitrd ${url}/initrd.gz\nboot\n`);

  const httpd = lab.prov.spawn('busybox', ['httpd', '-f', '-p', `${lab.provAddress}:${HTTP_PORT}`, '-h', www], { stdio: 'ignore' });
  const advertiser = options.routerAdvertisements ? await startRouterAdvertiser(lab) : null;
  const dnsmasq = lab.prov.spawn(
    'dnsmasq',
    [
      '--keep-in-foreground', '--conf-file=/dev/null', '--port=0', '--user=root',
      `--interface=${lab.provInterface}`, '--bind-interfaces', `--dhcp-leasefile=${path.join(www, 'dnsmasq.leases')}`,
      `--dhcp-range=${lab.dhcpPool.start},${lab.dhcpPool.end},255.255.255.0,10m`,
      '--dhcp-match=set:ipxe,175', `--dhcp-boot=tag:ipxe,${url}/boot.ipxe`,
      // Tuned for speed, as a floor should be: iPXE's no-pxedhcp setting (175.176) spares it ~3 s of listening for
      // ProxyDHCP offers (docs/decisions.md), and no ping check delays the offer of a new address.
      '--dhcp-option=tag:ipxe,encap:175,176,1', '--no-ping', '--dhcp-authoritative',
    ],
    { stdio: 'ignore' },
  );

  return {
    async deploy(server) {
      const writeFrom = await serialLogSize(server);
      const writeStarted = Date.now();
      await lab.ipmitool(server, 'chassis', 'bootdev', 'pxe');
      await lab.ipmitool(server, 'chassis', 'power', 'on');
      await waitForSerial(server, new RegExp(WRITTEN_MARKER), { from: writeFrom, timeoutMs: options.writeTimeoutMs ?? 120_000 });
      const writeSeconds = (Date.now() - writeStarted) / 1000;

      const bootFrom = await serialLogSize(server);
      const bootStarted = Date.now();
      await lab.ipmitool(server, 'chassis', 'bootdev', 'disk');
      await lab.ipmitool(server, 'chassis', 'power', 'cycle');
      await waitForSerial(server, new RegExp(LOGIN_PROMPT), { from: bootFrom, timeoutMs: 120_000 });
      return { writeSeconds, diskBootSeconds: (Date.now() - bootStarted) / 1000 };
    },
    async stop() {
      await Promise.all([stopProcess(dnsmasq), stopProcess(httpd), advertiser?.stop()]);
    },
  };
}
