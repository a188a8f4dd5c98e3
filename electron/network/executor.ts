import dgram from 'node:dgram';
import type { DhcpOffer, NetworkOp } from '../../shared/network';
import { probeDhcp } from './dhcp-probe';
import { commandFor } from './ops';
import { CommandFailed, runCommand, type CommandRunner } from './system-state';

export interface ArpProbeResult {
  inUse: boolean;
  /** The MAC of the machine that answered, when one did. */
  mac: string | null;
}

/** Carries out changes and privileged probes: in-process when already privileged, or through the helper. */
export interface NetworkExecutor {
  run(op: NetworkOp): Promise<void>;
  arpProbe(device: string, address: string): Promise<ArpProbeResult>;
  dhcpProbe(source: string, mac: string): Promise<DhcpOffer[]>;
  /** A UDP socket bound to a privileged port (DHCP 67, TFTP 69, PXE 4011) for the provisioning services. */
  bindUdp(port: 67 | 69 | 4011, address: string): Promise<dgram.Socket>;
  close(): Promise<void>;
}

export function bindUdpSocket(port: number, address: string): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    socket.once('error', reject);
    socket.bind(port, address, () => {
      socket.off('error', reject);
      // DHCP answers go to broadcast; the option travels with the descriptor when the helper hands it over.
      socket.setBroadcast(true);
      resolve(socket);
    });
  });
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
export class LocalExecutor implements NetworkExecutor {
  constructor(private readonly runner: CommandRunner = runCommand) {}

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

  dhcpProbe(source: string, mac: string): Promise<DhcpOffer[]> {
    return probeDhcp(source, mac);
  }

  bindUdp(port: 67 | 69 | 4011, address: string): Promise<dgram.Socket> {
    return bindUdpSocket(port, address);
  }

  async close(): Promise<void> {}
}
