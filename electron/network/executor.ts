import type dgram from 'node:dgram';
import type { DhcpOffer, NetworkOp } from '../../shared/network';
import { bindUdpSocket, type PrivilegedUdpRequest } from '../lib/udp-bind';
import { commandFor } from './ops';
import { CommandFailed, runCommand, type CommandRunner } from '../lib/command-runner';

export interface ArpProbeResult {
  inUse: boolean;
  /** The MAC of the machine that answered, when one did. */
  mac: string | null;
}

/** Carries out changes and privileged probes: in-process when already privileged, or through the helper. */
export interface NetworkExecutor {
  run(op: NetworkOp): Promise<void>;
  arpProbe(device: string, address: string): Promise<ArpProbeResult>;
  /** Broadcasts a PXE client's DISCOVER out of `device` (which holds `source`) and lists who offers. */
  dhcpProbe(device: string, source: string, mac: string): Promise<DhcpOffer[]>;
  /** A UDP socket on a privileged port (DHCP 67, TFTP 69, PXE 4011) for the provisioning services. */
  bindUdp(request: PrivilegedUdpRequest): Promise<dgram.Socket>;
  close(): Promise<void>;
}

/** `arping -D` (duplicate address detection) prints "Unicast reply from A [MAC]" for each answer. */
export function parseArpingReply(stdout: string): string | null {
  const match = /reply from [\d.]+ \[([0-9A-Fa-f:]{17})\]/.exec(stdout);
  return match?.[1]?.toLowerCase() ?? null;
}

export function arpingCommand(device: string, address: string): string[] {
  return ['arping', '-D', '-c', '2', '-w', '3', '-I', device, address];
}

/** Runs the commands itself: for the privileged helper, and for tests that run as root inside a namespace. */
/**
 * Lists the DHCP servers that answer a PXE client's DISCOVER on an interface. The PXE services own the DHCP code; core
 * wires their probe in, so the network setup does not import them.
 */
export type DhcpProbe = (request: { interfaceName: string; interfaceAddress: string; mac: string }) => Promise<DhcpOffer[]>;

export class LocalExecutor implements NetworkExecutor {
  constructor(
    private readonly probe: DhcpProbe,
    private readonly runner: CommandRunner = runCommand,
  ) {}

  async run(op: NetworkOp): Promise<void> {
    const [program = '', ...args] = commandFor(op);
    await this.runner(program, args);
  }

  async arpProbe(device: string, address: string): Promise<ArpProbeResult> {
    const [program = '', ...args] = arpingCommand(device, address);
    try {
      await this.runner(program, args);
      return { inUse: false, mac: null };
    } catch (error) {
      // arping -D exits 1 when someone answered for the address: that is the finding, not a failure.
      if (error instanceof CommandFailed && error.exitCode === 1) {
        const mac = parseArpingReply(error.stdout);
        if (mac) return { inUse: true, mac };
      }
      throw error;
    }
  }

  dhcpProbe(device: string, source: string, mac: string): Promise<DhcpOffer[]> {
    return this.probe({ interfaceName: device, interfaceAddress: source, mac });
  }

  bindUdp(request: PrivilegedUdpRequest): Promise<dgram.Socket> {
    return bindUdpSocket(request);
  }

  async close(): Promise<void> {}
}
