import { closeSync, openSync } from 'node:fs';
import { copyFile, mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRoot, linkNamespaces, Netns, run } from '../support/netns';
import { assertPlainPath, lanConf, serverEnv, simEmu, type ServerFiles, type ServerSettings } from './bmc-config';
import { ovmfPath, OVMF_PATH } from './boot-materials';
import { PacketCapture } from './capture';
import { ipmitool, type BmcAccess } from './ipmitool';
import { dhcpMessages, parsePcap, type DhcpMessage } from './pcap';
import {
  DHCP_POOL,
  IPMI_PORT,
  newLabId,
  planLab,
  PROV_ADDRESS,
  PROV_INTERFACE,
  RACK_BRIDGE,
  RACK_SUBNET,
  UPLINK_ADDRESS,
  UPLINK_GATEWAY,
  UPLINK_INTERFACE,
  UPLINK_PEER_INTERFACE,
  UPLINK_PREFIX_LENGTH,
  type Firmware,
  type LabPlan,
  type ServerPlan,
} from './rack-plan';
import type { SerialSource } from './serial';
import { defaultWorkDir, removeLab, removeLabSync } from './teardown';

export interface StartLabOptions {
  servers: number;
  /** Default 'bios' (SeaBIOS + iPXE ROM); 'uefi' boots OVMF. */
  firmware?: Firmware;
  /** Guest RAM per server, default 256. */
  memoryMiB?: number;
  /** Size of each server's (sparse) raw disk, default 64. */
  diskMiB?: number;
  /** Keep a boot device override across power-ons instead of using it once (IPMI's default). */
  persistentBootDevice?: boolean;
  /** Default: $TMPDIR/rackboot-lab-ID. */
  workDir?: string;
  /** Leave the lab running when this process exits (`lab up`); `lab down` removes it. */
  outliveProcess?: boolean;
}

export interface LabServer extends SerialSource {
  name: string;
  bmc: BmcAccess;
  mac: string;
  uuid: string;
  diskPath: string;
  serialLogPath: string;
  /** What chassis control did (power on with boot device, off, boot device changes), one line each. */
  eventsLogPath: string;
  /** TCP port on the rack namespace's loopback where QEMU serves the serial port and ipmi_sim's SOL connects. */
  solPort: number;
  firmware: Firmware;
  /** The server's files: lan.conf, server.env, qemu.log, bmc.log, boot-device. */
  dir: string;
}

export interface Lab {
  id: string;
  /** Bridge, taps, BMCs (ipmi_sim) and the servers' QEMU processes. */
  rack: Netns;
  /** The technician's laptop: Rackboot's services run here, bound to provInterface. */
  prov: Netns;
  /** Whatever the laptop's default route reaches; everything arriving is recorded in uplinkCapturePath. */
  uplink: Netns;
  provInterface: string;
  provAddress: string;
  prefixLength: number;
  /** Addresses free for a DHCP server on the rack segment. */
  dhcpPool: { start: string; end: string };
  uplinkInterface: string;
  uplinkCapturePath: string;
  servers: LabServer[];
  workDir: string;
  /** ipmitool -I lanplus -C 3 against the server's BMC, run from the provisioner namespace. */
  ipmitool(server: LabServer, ...args: string[]): Promise<string>;
  /** DHCP messages that left the laptop through its uplink (there should be none). */
  uplinkDhcpMessages(): Promise<DhcpMessage[]>;
  /** Kills everything the lab runs and deletes its namespaces and (unless keepFiles) its work dir. */
  stop(options?: { keepFiles?: boolean }): Promise<void>;
}

const REQUIRED_TOOLS = ['ip', 'ipmi_sim', 'ipmitool', 'qemu-system-x86_64', 'tcpdump'];
const CHASSIS_CONTROL_SCRIPT = fileURLToPath(new URL('./chassis-control.sh', import.meta.url));
const SERIAL_RELAY_SCRIPT = fileURLToPath(new URL('./serial-relay.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BMC_READY_TIMEOUT_MS = 15_000;

/** Labs of this process that are up; the exit and signal handlers take them down. */
const activeLabs = new Map<string, { workDir: string; stop: () => Promise<void> }>();

export async function startLab(options: StartLabOptions): Promise<Lab> {
  if (!isRoot()) {
    throw new Error('The lab needs root: it creates network namespaces and taps and binds BMCs to port 623.');
  }
  await requireTools(options.firmware === 'uefi');
  const plan = planLab(newLabId(), options.servers);
  const workDir = assertPlainPath(options.workDir ?? defaultWorkDir(plan.id));
  const settings: ServerSettings = {
    firmware: options.firmware ?? 'bios',
    memoryMiB: options.memoryMiB ?? 256,
    persistentBootDevice: options.persistentBootDevice ?? false,
    ovmfPath: OVMF_PATH,
    chassisControlPath: join(workDir, 'chassis-control.sh'),
  };

  let removal: Promise<void> | undefined;
  const remove = (): Promise<void> => (removal ??= removeLab(plan.id, workDir));
  if (!options.outliveProcess) {
    installExitHandlers();
    activeLabs.set(plan.id, { workDir, stop: remove });
  }
  try {
    await mkdir(workDir, { recursive: true });
    await copyFile(CHASSIS_CONTROL_SCRIPT, settings.chassisControlPath);
    const { rack, prov, uplink } = await buildNetwork(plan);
    const uplinkCapturePath = join(workDir, 'uplink.pcap');
    await PacketCapture.start(uplink, UPLINK_PEER_INTERFACE, uplinkCapturePath);
    // Before the BMCs: each ipmi_sim connects its SOL to the relay when it starts.
    await startSerialRelay(rack, plan.servers, workDir);
    const servers = await Promise.all(
      plan.servers.map((server) => startServer(rack, server, workDir, settings, options.diskMiB ?? 64)),
    );
    await Promise.all(servers.map((server) => waitForBmc(prov, server)));
    const lab = new RunningLab(plan.id, rack, prov, uplink, uplinkCapturePath, servers, workDir, remove);
    await writeFile(join(workDir, 'lab.json'), `${JSON.stringify(describeLab(lab), null, 2)}\n`);
    return lab;
  } catch (error) {
    activeLabs.delete(plan.id);
    await remove();
    throw error;
  }
}

/** Stops every lab this process started and has not stopped yet. */
export async function stopLab(): Promise<void> {
  const labs = [...activeLabs.values()];
  activeLabs.clear();
  await Promise.all(labs.map((lab) => lab.stop()));
}

class RunningLab implements Lab {
  readonly provInterface = PROV_INTERFACE;
  readonly provAddress = PROV_ADDRESS;
  readonly prefixLength = RACK_SUBNET.prefixLength;
  readonly dhcpPool = { ...DHCP_POOL };
  readonly uplinkInterface = UPLINK_INTERFACE;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly id: string,
    readonly rack: Netns,
    readonly prov: Netns,
    readonly uplink: Netns,
    readonly uplinkCapturePath: string,
    readonly servers: LabServer[],
    readonly workDir: string,
    private readonly remove: () => Promise<void>,
  ) {}

  ipmitool(server: LabServer, ...args: string[]): Promise<string> {
    return ipmitool(this.prov, server.bmc, args);
  }

  async uplinkDhcpMessages(): Promise<DhcpMessage[]> {
    return dhcpMessages(parsePcap(await readFile(this.uplinkCapturePath)));
  }

  stop({ keepFiles = process.env.RACKBOOT_LAB_KEEP === '1' } = {}): Promise<void> {
    activeLabs.delete(this.id);
    this.stopping ??= keepFiles ? removeLab(this.id, undefined) : this.remove();
    return this.stopping;
  }
}

/** What `lab up` prints and lab.json holds: everything a test or a person needs to use the lab. */
export interface LabDescription {
  id: string;
  namespaces: { rack: string; prov: string; uplink: string };
  provInterface: string;
  /** CIDR form, e.g. 10.77.0.1/24. */
  provAddress: string;
  dhcpPool: { start: string; end: string };
  uplinkInterface: string;
  uplinkCapturePath: string;
  workDir: string;
  servers: LabServer[];
}

export function describeLab(lab: Lab): LabDescription {
  return {
    id: lab.id,
    namespaces: { rack: lab.rack.name, prov: lab.prov.name, uplink: lab.uplink.name },
    provInterface: lab.provInterface,
    provAddress: `${lab.provAddress}/${lab.prefixLength}`,
    dhcpPool: lab.dhcpPool,
    uplinkInterface: lab.uplinkInterface,
    uplinkCapturePath: lab.uplinkCapturePath,
    workDir: lab.workDir,
    servers: lab.servers,
  };
}

async function requireTools(uefi: boolean): Promise<void> {
  const missing: string[] = [];
  for (const tool of REQUIRED_TOOLS) {
    await run('sh', ['-c', 'command -v "$1"', 'sh', tool]).catch(() => missing.push(tool));
  }
  if (missing.length > 0) {
    throw new Error(`The lab needs ${missing.join(', ')}: run "sh e2e/lab/setup.sh" as root to install them.`);
  }
  if (uefi) ovmfPath();
}

/**
 * rack: br0 holding the BMC addresses, one tap per server and the port towards the laptop;
 * prov: prov0 on the rack segment plus wlan0, the uplink that holds the default route;
 * up: the far end of wlan0.
 */
async function buildNetwork(plan: LabPlan): Promise<{ rack: Netns; prov: Netns; uplink: Netns }> {
  const rack = await Netns.createNamed(plan.namespaces.rack);
  const prov = await Netns.createNamed(plan.namespaces.prov);
  const uplink = await Netns.createNamed(plan.namespaces.uplink);

  await rack.ip('link', 'add', RACK_BRIDGE, 'type', 'bridge');
  await rack.ip('link', 'set', RACK_BRIDGE, 'up');
  await linkNamespaces(rack, 'prov-port', prov, PROV_INTERFACE);
  await rack.ip('link', 'set', 'prov-port', 'master', RACK_BRIDGE);
  await prov.ip('addr', 'add', `${PROV_ADDRESS}/${RACK_SUBNET.prefixLength}`, 'dev', PROV_INTERFACE);
  for (const server of plan.servers) {
    await rack.ip('addr', 'add', `${server.bmcAddress}/${RACK_SUBNET.prefixLength}`, 'dev', RACK_BRIDGE);
    await rack.ip('tuntap', 'add', server.tap, 'mode', 'tap');
    await rack.ip('link', 'set', server.tap, 'master', RACK_BRIDGE, 'up');
  }

  await linkNamespaces(prov, UPLINK_INTERFACE, uplink, UPLINK_PEER_INTERFACE);
  await prov.ip('addr', 'add', `${UPLINK_ADDRESS}/${UPLINK_PREFIX_LENGTH}`, 'dev', UPLINK_INTERFACE);
  await uplink.ip('addr', 'add', `${UPLINK_GATEWAY}/${UPLINK_PREFIX_LENGTH}`, 'dev', UPLINK_PEER_INTERFACE);
  await prov.ip('route', 'add', 'default', 'via', UPLINK_GATEWAY, 'dev', UPLINK_INTERFACE);
  return { rack, prov, uplink };
}

/** The relay (serial-relay.ts) runs with node + tsx in the rack namespace for the lab's lifetime. */
async function startSerialRelay(rack: Netns, servers: ServerPlan[], workDir: string): Promise<void> {
  const log = openSync(join(workDir, 'serial-relay.log'), 'a');
  const pairs = servers.map((server) => `${server.solPort}:${server.serialPort}`);
  const relay = rack.spawn(process.execPath, ['--import', 'tsx', SERIAL_RELAY_SCRIPT, ...pairs], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', log],
  });
  closeSync(log);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('The serial relay did not start within 10 s.')), 10_000);
    relay.stdout?.on('data', (chunk: Buffer) => {
      if (!chunk.toString().includes('ready')) return;
      clearTimeout(timer);
      resolve();
    });
    relay.once('exit', async (code) => {
      clearTimeout(timer);
      const said = await readFile(join(workDir, 'serial-relay.log'), 'utf8').catch(() => '');
      reject(new Error(`The serial relay exited (${code}): ${said.trim()}`));
    });
  });
  relay.stdout?.destroy();
  relay.removeAllListeners('exit');
  relay.unref();
}

async function startServer(
  rack: Netns,
  server: ServerPlan,
  workDir: string,
  settings: ServerSettings,
  diskMiB: number,
): Promise<LabServer> {
  const dir = join(workDir, 'servers', server.name);
  const files: ServerFiles = { dir, diskPath: join(dir, 'disk.raw'), serialLogPath: join(dir, 'serial.log') };
  await mkdir(join(dir, 'bmc-state'), { recursive: true });
  const disk = await open(files.diskPath, 'w');
  await disk.truncate(diskMiB * 1024 * 1024);
  await disk.close();
  await writeFile(join(dir, 'lan.conf'), lanConf(server, files, settings));
  await writeFile(join(dir, 'sim.emu'), simEmu());
  await writeFile(join(dir, 'server.env'), serverEnv(server, files, settings));

  // ipmi_sim runs in the rack namespace, so the QEMU that chassis control starts lands there too.
  const log = openSync(join(dir, 'bmc.log'), 'a');
  try {
    const args = ['-c', join(dir, 'lan.conf'), '-f', join(dir, 'sim.emu'), '-s', join(dir, 'bmc-state'), '-n'];
    rack.spawn('ipmi_sim', args, { cwd: dir, detached: true, stdio: ['ignore', log, log] }).unref();
  } finally {
    closeSync(log);
  }
  return {
    name: server.name,
    bmc: { address: server.bmcAddress, port: IPMI_PORT, user: server.bmcUser, password: server.bmcPassword },
    mac: server.mac,
    uuid: server.uuid,
    diskPath: files.diskPath,
    serialLogPath: files.serialLogPath,
    eventsLogPath: join(dir, 'events.log'),
    solPort: server.solPort,
    firmware: settings.firmware,
    dir,
  };
}

/** The BMC answers an RMCP+ session from the laptop's side: the whole rack segment works. */
async function waitForBmc(prov: Netns, server: LabServer): Promise<void> {
  const deadline = Date.now() + BMC_READY_TIMEOUT_MS;
  for (;;) {
    try {
      await ipmitool(prov, server.bmc, ['-N', '1', '-R', '1', 'chassis', 'power', 'status'], { timeoutMs: 5000 });
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        const log = await readFile(join(server.dir, 'bmc.log'), 'utf8').catch(() => '');
        throw new Error(
          `The BMC of ${server.name} (${server.bmc.address}) did not answer within ${BMC_READY_TIMEOUT_MS} ms: ` +
            `${(error as Error).message}\nipmi_sim said: ${log.trim() || '(nothing)'}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

let exitHandlersInstalled = false;

/** Ctrl-C, kill and a plain exit all take this process's labs down; nothing survives a test run. */
function installExitHandlers(): void {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  process.on('exit', () => {
    for (const [id, lab] of activeLabs) removeLabSync(id, lab.workDir);
    activeLabs.clear();
  });
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // `on`, not `once`: a wrapper like tsx forwards the terminal's Ctrl-C, so the signal can arrive twice, and a
    // second one must not cut the teardown short.
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      void stopLab().finally(() => process.exit(128 + constants.signals[signal]));
    });
  }
}
