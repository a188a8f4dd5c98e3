import type { BootTarget } from './http/ipxe-script';
import type { MatchedBy } from '../../shared/deploy';

/**
 * What a machine boots from the network: the kernel, initrds and command line its iPXE script loads. Paths starting
 * with '/' are files of our HTTP boot server (its root, or a file registered with `serveFile`). The loader that
 * brings iPXE up is not part of it: DHCP picks that by the client's architecture (option 93), for every machine alike.
 */
export type BootSpec = BootTarget;

/**
 * The one question the PXE services ask, whoever answers it (the deploy engine's plans, a test's table): what should
 * this MAC boot? DHCP, the iPXE script and the boot events ask it; none of them keeps a list of its own. MACs are
 * lower-case and colon-separated.
 */
export interface Booter {
  /** Whether DHCP answers this MAC's PXE requests at all (under the `enrolled` answer policy). */
  shouldBoot(mac: string): boolean;
  /** What this MAC's iPXE script boots; null when it should not boot from the network (it gets a script that says so). */
  bootSpec(mac: string): BootSpec | null;
  /** A MAC already bound to some machine: capture never binds it to another one. */
  isClaimed(mac: string): boolean;
  /** Whether full-mode DHCP gives this MAC an address (and no boot) when it should not boot: a deployed server's OS. */
  servesAddress?(mac: string): boolean;
  /** Addresses the rack already uses (the BMCs Rackboot knows): its DHCP never hands them out. */
  addressesInUse?(): ReadonlySet<string>;
}

/** What the services saw a MAC that should boot do, in the order a PXE boot does it. */
export type BootActivity =
  | { kind: 'dhcp' }
  /** A loader over TFTP, or iPXE fetching its script. */
  | { kind: 'bootloader'; file: string }
  /** The spec's kernel starts downloading. */
  | { kind: 'kernel'; file: string }
  /** A file the boot HTTP server sends this MAC: status 206 is a Range request; `transfer` tells one response's events from another's. */
  | { kind: 'http'; transfer: string; path: string; phase: 'started' | 'progress' | 'done' | 'failed' | 'refused'; status: number; bytes: number; total: number | null; error?: string };

/** The MAC a capture bound to a machine, and why it is that machine's. */
export interface CapturedClient {
  mac: string;
  matchedBy: MatchedBy;
}
