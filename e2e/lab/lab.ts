import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRoot, run, type Netns } from '../support/netns';
import { assertPlainPath, type ServerSettings } from './bmc-config';
import { ovmfPath, OVMF_PATH } from './boot-materials';
import { PacketCapture } from './capture';
import { ipmitool } from './ipmitool';
import { dhcpMessages, parsePcap, type DhcpMessage } from './pcap';
import {
  DHCP_POOL,
  newLabId,
  planLab,
  PROV_ADDRESS,
  PROV_INTERFACE,
  RACK_SUBNET,
  UPLINK_INTERFACE,
  UPLINK_PEER_INTERFACE,
  type Firmware,
  type NicRom,
} from './rack-plan';
import { buildNetwork } from './rack-network';
import { startSerialRelay, startServer, waitForBmc, type LabServer } from './rack-servers';
import type { ServerHardware } from './server-hardware';
import { defaultWorkDir, recordLabCreator, removeLab, removeLabSync } from './teardown';

export type { LabServer } from './rack-servers';

/**
 * A disk of at least 4 GiB, which Rackboot's default disk choice (Ironic's rule) takes with no root device hint, as a
 * real server's would be; sparse, so it costs no space.
 */
export const SERVER_SIZED_DISK_MIB = 4 * 1024 + 64;

export interface StartLabOptions {
  servers: number;
  /** Default 'bios' (SeaBIOS + iPXE ROM); 'uefi' boots OVMF. */
  firmware?: Firmware;
  /** Default 'ipxe' (QEMU's iPXE ROM on the NIC); 'none' leaves the NIC without a ROM, so OVMF's own PXE boots. */
  nicRom?: NicRom;
  /** Guest RAM per server, default 512: the deploy ramdisk (every storage and network driver, their firmware) unpacks into it. */
  memoryMiB?: number;
  /** Size of each server's (sparse) raw disk, default 64; SERVER_SIZED_DISK_MIB for a disk Ironic's default rule takes. */
  diskMiB?: number;
  /**
   * Servers built like real ones: several disks of different kinds, each with its serial (and WWN), DMI fields. Given
   * the server's name (server1, …); null keeps that server the default one (one virtio disk of `diskMiB`).
   */
  hardware?: (serverName: string) => ServerHardware | null;
  /** Keep a boot device override across power-ons instead of using it once (IPMI's default). */
  persistentBootDevice?: boolean;
  /**
   * Servers (0-based indexes) whose BMC address gets no ipmi_sim: nothing answers on 623 there, for a BMC the test
   * plays with another emulator on the same address (e2e/redfish/redfish-bmc.ts: sushy-tools and its notifier hook).
   */
  withoutIpmiSim?: readonly number[];
  /** Default: $TMPDIR/rackboot-lab-ID. */
  workDir?: string;
  /** Leave the lab running when this process exits (`lab up`); `lab down` removes it. */
  outliveProcess?: boolean;
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
    nicRom: options.nicRom ?? 'ipxe',
    memoryMiB: options.memoryMiB ?? 512,
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
    await recordLabCreator(plan.id);
    await mkdir(workDir, { recursive: true });
    await copyFile(CHASSIS_CONTROL_SCRIPT, settings.chassisControlPath);
    const { rack, prov, uplink } = await buildNetwork(plan);
    const uplinkCapturePath = join(workDir, 'uplink.pcap');
    await PacketCapture.start(uplink, UPLINK_PEER_INTERFACE, uplinkCapturePath);
    // Before the BMCs: each ipmi_sim connects its SOL to the relay when it starts.
    await startSerialRelay(rack, plan.servers, workDir);
    const servers = await Promise.all(
      plan.servers.map((server, index) =>
        startServer(rack, server, workDir, settings, options.diskMiB ?? 64, options.hardware?.(server.name) ?? null, !options.withoutIpmiSim?.includes(index)),
      ),
    );
    await Promise.all(servers.filter((server) => server.ipmiSim).map((server) => waitForBmc(prov, server)));
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
    throw new Error(`The lab needs ${missing.join(', ')}: run "npm run lab:setup" as root to install them.`);
  }
  if (uefi) ovmfPath();
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
