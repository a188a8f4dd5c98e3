// One timed PXE boot of a lab server (QEMU's iPXE ROM, BIOS): power on through its BMC with boot device pxe, until
// the ROM opens the TCP connection for its boot script. Either our services (boot-services-harness.ts, with or without
// router advertisements) or plain dnsmasq (DHCP + TFTP, iPXE clients sent to a script on busybox httpd) serve it.
// Times come from one tcpdump capture on the provisioning interface, the same witness for every server.
import type { ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dhcpMessages, PacketCapture, parsePcap, readSerial, serialLogSize, type CapturedFrame, type Lab, type LabServer } from '../lab';
import { routerAdvertisements, routerSolicitations, tcpSyns, type RouterAdvertisement } from '../lab/pcap';
import { spawnEntry, type JsonLinesProcess } from './dhcp-lab';

export type BootServices = 'ours' | 'ours-without-ra' | 'dnsmasq';

export interface PxeBootTiming {
  services: BootServices;
  /** Milliseconds after the IPMI power-on command. */
  discoverMs: number;
  ackMs: number;
  scriptMs: number;
  /** RAs the provisioning interface saw during the boot, timeMs after the power-on command. */
  advertisements: RouterAdvertisement[];
  /** The server's router solicitations, ms after the power-on command. */
  solicitationsMs: number[];
  /** What the server printed on its serial console during this boot (iPXE's addresses, the script's output). */
  serial: string;
  /** Events of our services (empty for dnsmasq). */
  events: Record<string, unknown>[];
}

const HTTP_PORT = 8080;
const DHCPDISCOVER = 1;
const DHCPACK = 5;

export interface PxeBootOptions {
  /** Time between the services being up and the power-on (default 0), e.g. to let the first unsolicited RAs pass. */
  settleMs?: number;
  timeoutMs?: number;
}

export async function timePxeBoot(lab: Lab, server: LabServer, services: BootServices, { settleMs = 0, timeoutMs = 60_000 }: PxeBootOptions = {}): Promise<PxeBootTiming> {
  const www = join(lab.workDir, 'www');
  await mkdir(www, { recursive: true });
  const stopServices =
    services === 'dnsmasq' ? await startDnsmasq(lab, www) : await startOurServices(lab, server, www, { routerAdvertisements: services === 'ours' });
  const capturePath = join(lab.workDir, `boot-${services}-${Date.now()}.pcap`);
  const capture = await PacketCapture.start(lab.prov, lab.provInterface, capturePath, [
    `udp port 67 or udp port 68 or icmp6 or (tcp dst port ${HTTP_PORT} and dst host ${lab.provAddress})`,
  ]);
  try {
    await lab.ipmitool(server, 'chassis', 'bootdev', 'pxe');
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    const serialFrom = await serialLogSize(server);
    const poweredOnAt = Date.now();
    await lab.ipmitool(server, 'chassis', 'power', 'on');
    const frames = await waitForFrames(capturePath, timeoutMs, (seen) => tcpSyns(seen).length > 0);
    const syn = tcpSyns(frames)[0]!;
    const fromServer = dhcpMessages(frames).filter((message) => message.clientMac === server.mac);
    const discover = fromServer.find((message) => message.messageType === DHCPDISCOVER);
    const ack = fromServer.filter((message) => message.messageType === DHCPACK && message.timeMs <= syn.timeMs).at(-1);
    if (!discover || !ack) throw new Error(`${services}: no DHCPDISCOVER/DHCPACK for ${server.mac} before the script fetch.`);
    return {
      services,
      discoverMs: discover.timeMs - poweredOnAt,
      ackMs: ack.timeMs - poweredOnAt,
      scriptMs: syn.timeMs - poweredOnAt,
      advertisements: routerAdvertisements(frames).map((ra) => ({ ...ra, timeMs: ra.timeMs - poweredOnAt })),
      solicitationsMs: routerSolicitations(frames).filter((rs) => rs.sourceMac === server.mac).map((rs) => rs.timeMs - poweredOnAt),
      serial: await readSerial(server, serialFrom),
      events: stopServices.events(),
    };
  } finally {
    await lab.ipmitool(server, 'chassis', 'power', 'off').catch(() => '');
    await capture.stop();
    await stopServices.stop();
  }
}

async function waitForFrames(path: string, timeoutMs: number, done: (frames: CapturedFrame[]) => boolean): Promise<CapturedFrame[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frames = parsePcap(await readFile(path).catch(() => Buffer.alloc(0)));
    if (done(frames)) return frames;
    if (Date.now() > deadline) throw new Error(`The ROM did not open a connection to port ${HTTP_PORT} within ${timeoutMs} ms (${frames.length} packets seen).`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface RunningServices {
  /** Every JSON line the services printed so far (DHCP, TFTP and HTTP events). */
  events(): Record<string, unknown>[];
  stop(): Promise<void>;
}

export interface OurServicesOptions {
  routerAdvertisements: boolean;
  /** What the server's node script boots, paths under root (boot-services-harness.ts has a default). */
  bootTarget?: { kernelUrl: string; initrdUrls: string[]; cmdline: string };
}

/** boot-services-harness.ts in the lab's provisioner namespace, answering `server` only, serving `root`. */
export async function startOurServices(lab: Lab, server: LabServer, root: string, { routerAdvertisements, bootTarget }: OurServicesOptions): Promise<RunningServices> {
  const harness: JsonLinesProcess = spawnEntry(lab.prov, 'boot-services-harness.ts', {
    interfaceName: lab.provInterface,
    serverAddress: lab.provAddress,
    prefixLength: lab.prefixLength,
    pool: { start: lab.dhcpPool.start, end: lab.dhcpPool.end },
    nodes: [{ id: server.name, mac: server.mac }],
    root,
    routerAdvertisements,
    ...(bootTarget ? { bootTarget } : {}),
  });
  const started = await harness.waitFor((line) => line.type === 'ready' || line.type === 'start-failed', 30_000).catch(async (error: unknown) => {
    await harness.stop();
    throw error;
  });
  if (started.type !== 'ready') {
    await harness.stop();
    throw new Error(`Our PXE services did not start: ${String(started.message)}`);
  }
  const output = harness.child.stdout!;
  const drained = new Promise((resolve) => (output.readableEnded ? resolve(null) : output.once('end', resolve)));
  return {
    events: () => harness.lines,
    // The last events (advertiser stopped) are printed on the way out.
    stop: async () => {
      await harness.stop();
      await drained;
    },
  };
}

async function startDnsmasq(lab: Lab, www: string): Promise<RunningServices> {
  const scriptUrl = `http://${lab.provAddress}:${HTTP_PORT}/boot.ipxe`;
  await writeFile(join(www, 'boot.ipxe'), `#!ipxe\nkernel http://${lab.provAddress}:${HTTP_PORT}/vmlinuz console=ttyS0\nboot\n`);
  const httpd = lab.prov.spawn('busybox', ['httpd', '-f', '-p', `${lab.provAddress}:${HTTP_PORT}`, '-h', www], { stdio: 'ignore' });
  const dnsmasq = lab.prov.spawn('dnsmasq', [
    '--keep-in-foreground', '--conf-file=/dev/null', '--port=0', '--user=root',
    `--interface=${lab.provInterface}`, '--bind-interfaces', `--dhcp-leasefile=${join(lab.workDir, 'dnsmasq.leases')}`,
    `--dhcp-range=${lab.dhcpPool.start},${lab.dhcpPool.end},255.255.255.0,10m`,
    '--enable-tftp', '--tftp-root=/usr/lib/ipxe',
    '--dhcp-match=set:ipxe,175', '--dhcp-boot=tag:!ipxe,undionly.kpxe', `--dhcp-boot=tag:ipxe,${scriptUrl}`,
  ], { stdio: 'ignore' });
  // dnsmasq and httpd have no "ready" line on a pipe we keep; both bind within milliseconds.
  await new Promise((resolve) => setTimeout(resolve, 500));
  return { events: () => [], stop: async () => Promise.all([stopChild(dnsmasq), stopChild(httpd)]).then(() => undefined) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
