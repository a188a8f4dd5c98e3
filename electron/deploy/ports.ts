import type { BootMode, Image, MatchedBy } from '../../shared/deploy';
import type { Cleaning, Inventory, RootDeviceHints } from '../../shared/inventory';
import type { InstanceSettings } from '../../shared/instance';

/**
 * What the deploy engine needs from the rest of Rackboot, as narrow interfaces: the IPMI layer, the PXE services,
 * the agent channel and the "is it up" check plug in behind them, and tests plug in fakes.
 */

/** A node as the engine sees it: where its BMC is and what is known of its NIC. */
export interface DeployTarget {
  nodeId: string;
  name: string;
  bmc: { address: string; port: number; user: string; password: string };
  mac: string | null;
  /** What the installed OS is told through a config drive, and how it shows it is up; absent or null: no config drive. */
  instance?: InstanceSettings | null;
}

export interface BmcFacts {
  /** The BMC's System GUID, the same as the SMBIOS UUID the PXE ROM sends in DHCP option 97, when it has one. */
  systemGuid: string | null;
  powerOn: boolean;
}

export interface PowerControl {
  /** Logs in and reads what the deploy needs; throws an error whose message tells the technician what to check. */
  verify(target: DeployTarget, signal: AbortSignal): Promise<BmcFacts>;
  setBootDevice(target: DeployTarget, device: 'pxe' | 'disk', options: { persistent: boolean; mode: BootMode }): Promise<void>;
  /** Power on if off, power cycle if on: either way the server boots from the device just set. */
  restart(target: DeployTarget): Promise<void>;
  powerOff(target: DeployTarget): Promise<void>;
  /** True for a failure that may pass (the BMC did not answer, or was busy): worth another try while the phase lasts. */
  isTransient(error: unknown): boolean;
  /** Calls `listener` each time a request to this node's BMC goes unanswered and is sent again; returns the unsubscribe. */
  onRetransmit(target: DeployTarget, listener: (what: string, attempt: number) => void): () => void;
}

export interface CapturedMac {
  mac: string;
  matchedBy: MatchedBy;
}

/** What the boot services saw a given MAC do, in the order a PXE boot does it. */
export type BootSignal =
  | { kind: 'dhcp' }
  | { kind: 'bootloader'; file: string }
  | { kind: 'ramdisk'; file: string }
  /** A file the boot HTTP server sends this MAC (the image among them): status 206 is a Range request; `transfer` tells one response's events from another's. */
  | { kind: 'http'; transfer: string; path: string; phase: 'started' | 'progress' | 'done' | 'failed' | 'refused'; status: number; bytes: number; total: number | null; error?: string };

export interface BootPlan {
  mac: string;
  mode: BootMode;
  kernelUrlPath: string;
  initrdUrlPath: string;
  /** The initrd of the boot NIC's drivers (fetched by iPXE with the NIC's bus id), for a ramdisk that sends drivers. */
  nicDriversUrlPath: string | null;
  kernelArgs: string[];
}

export interface BootNetwork {
  /** Resolves with the MAC of the first PXE client that matches this node, from now on. */
  captureMac(target: DeployTarget, systemGuid: string | null, signal: AbortSignal): Promise<CapturedMac>;
  /** Makes the DHCP/TFTP/HTTP services answer this MAC with the deploy ramdisk. */
  prepare(plan: BootPlan): void;
  /** Stops answering this MAC (the next boot goes to disk). */
  release(mac: string): void;
  watch(mac: string, listener: (signal: BootSignal) => void): () => void;
  /** The base URL the ramdisk's agent reaches Rackboot at. */
  readonly agentBaseUrl: string;
}

export interface RamdiskSource {
  /**
   * URL paths (on the boot HTTP server) of the kernel, of the initrd carrying the agent, and for the built-in ramdisk
   * (whose drivers are sent to each server by what it holds) of the boot NIC's drivers.
   */
  paths(mode: BootMode): Promise<{ kernelUrlPath: string; initrdUrlPath: string; nicDriversUrlPath: string | null }>;
  /**
   * URL paths of an image's data extents (one after the other, with Range) and of its extent map; refuses an image
   * whose file changed since it was measured.
   */
  imageUrlPaths(image: Image): Promise<{ dataUrlPath: string; mapUrlPath: string }>;
}

export interface UpCheck {
  /**
   * Resolves once the installed OS shows it is up (a console marker, or a TCP port that answers); `onOutput` hears
   * the bytes seen so far whenever more arrive, so a silent console can be reported.
   */
  waitUntilUp(target: DeployTarget, signal: AbortSignal, onOutput?: (bytesSeen: number) => void): Promise<string>;
  /** What waitUntilUp will take as "up" for this target, for the log ("an SSH banner at 10.0.0.5:22"). */
  signalAwaited(target: DeployTarget): Promise<string>;
}

/** What a node says about its disks: which one takes the OS, whether what it holds may go, what to wipe first. */
export interface DiskPolicy {
  hints: RootDeviceHints | null;
  /** The operator confirmed the target disk may be erased; used once, by the next deploy that writes. */
  eraseTargetDisk: boolean;
  cleaning: Cleaning;
}

export interface InventoryRecorder {
  /** Keeps what the agent found with the node; answers what changed since the inspection before, in sentences. */
  record(nodeId: string, inventory: Inventory): Promise<string[]>;
}
