import { resolveModuleOrder } from './modules-dep';

/**
 * Which kernel modules a server's devices need, the way modprobe decides it: each device's modalias (as the kernel
 * shows it in /sys/bus/…/modalias) against the patterns of `modules.alias` (fnmatch: `*`, `?`, `[…]`), then the
 * modules those depend on (`modules.dep`). Pure: the texts in, module files in load order out.
 */
export interface ModuleIndex {
  aliases: { pattern: RegExp; source: string; module: string }[];
  modulesDep: string;
}

export function parseModuleIndex(modulesAlias: string, modulesDep: string): ModuleIndex {
  const aliases: ModuleIndex['aliases'] = [];
  for (const line of modulesAlias.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words.length !== 3 || words[0] !== 'alias') continue;
    aliases.push({ pattern: fnmatchPattern(words[1]!), source: words[1]!, module: words[2]! });
  }
  return { aliases, modulesDep };
}

/** The module files (paths as modules.dep names them) the given modaliases need, dependencies first. */
export function modulesForModaliases(index: ModuleIndex, modaliases: readonly string[]): string[] {
  const names = new Set<string>();
  for (const modalias of modaliases) {
    for (const alias of index.aliases) if (alias.pattern.test(modalias)) names.add(alias.module);
  }
  return resolveModuleOrder(index.modulesDep, [...names].sort()).order;
}

/** A PCI device as iPXE's `busid` setting gives it (`${netX/busid:hexraw}`: bus type, vendor, device). */
export interface PciId {
  vendor: number;
  device: number;
}

const IPXE_BUS_TYPE_PCI = 0x01;

/** The PCI vendor and device of iPXE's busid (10 hex digits, bus type 01 for PCI); null for any other bus or text. */
export function parseIpxeBusId(busid: string): PciId | null {
  const match = /^([0-9a-f]{2})([0-9a-f]{4})([0-9a-f]{4})$/i.exec(busid.trim());
  if (!match || Number.parseInt(match[1]!, 16) !== IPXE_BUS_TYPE_PCI) return null;
  return { vendor: Number.parseInt(match[2]!, 16), device: Number.parseInt(match[3]!, 16) };
}

const VIRTIO_VENDOR = 0x1af4;
/** virtio-net as a transitional (0x1000) or modern (0x1040 + type 1) PCI function. */
const VIRTIO_NET_DEVICES = [0x1000, 0x1041];

/**
 * The modules the NIC iPXE booted from needs before Linux can reach Rackboot: the drivers whose PCI aliases name its
 * vendor and device (iPXE cannot tell subsystem or class, so those parts of a pattern are not held against it, and
 * class-only patterns with no vendor are left out), and for a virtio NIC the virtio-net driver behind virtio_pci.
 */
export function modulesForPciNic(index: ModuleIndex, nic: PciId): string[] {
  const hex = (value: number): string => value.toString(16).toUpperCase().padStart(8, '0');
  const vendorAndDevice = `pci:v${hex(nic.vendor)}d${hex(nic.device)}`;
  const names = new Set<string>();
  for (const alias of index.aliases) {
    const match = /^(pci:v[^d]+d[^s]+)sv/.exec(alias.source);
    if (!match || match[1]!.startsWith('pci:v*')) continue;
    if (fnmatchPattern(match[1]!).test(vendorAndDevice)) names.add(alias.module);
  }
  if (nic.vendor === VIRTIO_VENDOR && VIRTIO_NET_DEVICES.includes(nic.device)) {
    for (const alias of index.aliases) if (alias.pattern.test(`virtio:d00000001v${hex(VIRTIO_VENDOR)}`)) names.add(alias.module);
  }
  return resolveModuleOrder(index.modulesDep, [...names].sort()).order;
}

/** fnmatch(3) without flags, as kmod matches modules.alias: `*` any run, `?` any one character, `[…]` a class. */
export function fnmatchPattern(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i += 1) {
    const char = glob[i]!;
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) {
        source += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, end);
      const negated = body.startsWith('!') || body.startsWith('^');
      if (negated) body = body.slice(1);
      source += `[${negated ? '^' : ''}${body.replace(/[\\\]^]/g, (special) => `\\${special}`)}]`;
      i = end;
    } else if (char === '\\' && i + 1 < glob.length) {
      i += 1;
      source += escapeRegExp(glob[i]!);
    } else source += escapeRegExp(char);
  }
  return new RegExp(`^${source}$`, 's');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
