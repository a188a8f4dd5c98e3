// "What should this machine boot?" — the one place where policy plugs into the DHCP server. Pure.
import type { AnswerPolicy, BootFiles, BootTarget, ClientArch } from '../../../shared/pxe';

export interface BootDecision {
  /** The enrolled node this MAC belongs to; null for an unknown PXE client answered under `all-pxe`. */
  nodeId: string | null;
  /** A static reservation for this MAC, or null to take an address from the pool. */
  fixedAddress: string | null;
  /** Null: an address only, never a boot (the MAC's installed OS asking for its lease). */
  boot: BootTarget | null;
}

/** Narrow on purpose: the server knows nothing about where nodes live (store, file, test table). */
export interface BootPolicy {
  lookup(mac: string, uuid: string | null, arch: ClientArch, isIpxe: boolean): BootDecision | null;
}

export interface EnrolledNode {
  id: string;
  mac: string;
  fixedAddress?: string | null;
  /** Answered with an address and no boot file: a deployed server whose installed OS takes its address from us. */
  addressOnly?: boolean;
}

export interface NodeDirectory {
  findByMac(mac: string): EnrolledNode | null;
}

export interface StandardPolicyOptions {
  nodes: NodeDirectory;
  answer: AnswerPolicy;
  bootFiles: BootFiles;
  /** The TFTP server that serves the loaders (normally the provisioning address). */
  tftpServer: string;
  /** The HTTP URL of the iPXE script for this MAC (the HTTP boot server decides the layout). */
  ipxeScriptUrl(mac: string, nodeId: string | null): string;
}

export function loaderFor(arch: ClientArch, files: BootFiles): string {
  switch (arch) {
    case 'bios':
    case 'unknown':
      return files.bios;
    case 'uefi-ia32':
      return files.uefiIa32;
    case 'uefi-x64':
    case 'uefi-x64-http':
      return files.uefiX64;
    case 'uefi-arm32':
    case 'uefi-arm64':
    case 'uefi-arm64-http':
      return files.uefiArm64;
  }
}

/**
 * Enrolled machines (and, when the operator allows it, every PXE client) get a loader by architecture over
 * TFTP; a client that already runs iPXE gets its HTTP script instead, so it never loads iPXE again in a loop.
 */
export function createStandardPolicy(options: StandardPolicyOptions): BootPolicy {
  return {
    lookup(mac, _uuid, arch, isIpxe) {
      const node = options.nodes.findByMac(mac);
      if (!node && options.answer === 'enrolled') return null;
      const nodeId = node?.id ?? null;
      const boot: BootTarget | null = node?.addressOnly
        ? null
        : isIpxe
        ? { kind: 'http', url: options.ipxeScriptUrl(mac, nodeId) }
        : { kind: 'tftp', nextServer: options.tftpServer, file: loaderFor(arch, options.bootFiles) };
      return { nodeId, fixedAddress: node?.fixedAddress ?? null, boot };
    },
  };
}

/** A directory over a fixed list, for the CLI, the lab harness and tests. */
export function nodeTable(nodes: readonly EnrolledNode[]): NodeDirectory {
  const byMac = new Map(nodes.map((node) => [node.mac.toLowerCase(), node]));
  return { findByMac: (mac) => byMac.get(mac.toLowerCase()) ?? null };
}
