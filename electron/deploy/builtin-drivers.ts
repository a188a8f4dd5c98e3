import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UserFacingError } from '../lib/user-facing-error';
import { writeCpio, type CpioEntry } from './cpio';
import { modulesForModaliases, modulesForPciNic, parseIpxeBusId, parseModuleIndex, type ModuleIndex } from './driver-match';
import { moduleName } from './driver-set';
import { collectFirmware } from './firmware';
import { resolveModuleOrder } from './modules-dep';
import { parentFolders } from './ramdisk-tree';

/**
 * The built-in ramdisk's drivers folder (lib/modules/VERSION, lib/firmware), from which each server gets only what its
 * devices match, as cpio archives the agent (or iPXE, for the boot NIC) unpacks over its initrd: the kernel and a
 * small initrd boot in seconds where every driver and firmware file of a release would take many more to send and
 * unpack on every boot.
 */
export class BuiltinDrivers {
  private constructor(
    private readonly root: string,
    private readonly tree: string,
    private readonly index: ModuleIndex,
  ) {}

  static async open(root: string): Promise<BuiltinDrivers> {
    const versions = await fs.readdir(path.join(root, 'lib/modules')).catch(() => [] as string[]);
    if (versions.length !== 1) {
      throw new UserFacingError('ramdisk-builtin-missing', `The built-in ramdisk's drivers in ${root} are incomplete: run npm run ramdisk to build it again.`);
    }
    const tree = `lib/modules/${versions[0]}`;
    const [modulesAlias, modulesDep] = await Promise.all(['modules.alias', 'modules.dep'].map((file) => fs.readFile(path.join(root, tree, file), 'utf8')));
    return new BuiltinDrivers(root, tree, parseModuleIndex(modulesAlias!, modulesDep!));
  }

  /** The drivers (and their firmware) of the devices whose modaliases the agent sent. */
  forModaliases(modaliases: readonly string[]): Promise<Buffer> {
    return this.archive(modulesForModaliases(this.index, modaliases));
  }

  /**
   * What the NIC iPXE booted from needs, by iPXE's busid; every network driver when iPXE gave none or no PCI device
   * (a USB or Hyper-V NIC), so that a server always comes up able to reach Rackboot.
   */
  forBootNic(busid: string): Promise<Buffer> {
    const nic = parseIpxeBusId(busid);
    return this.archive(nic ? modulesForPciNic(this.index, nic) : this.networkDrivers());
  }

  private networkDrivers(): string[] {
    const net = this.index.modulesDep
      .split('\n')
      .map((line) => line.slice(0, line.indexOf(':')).trim())
      .filter((file) => file.startsWith('kernel/drivers/net/') || file.startsWith('kernel/drivers/virtio/'));
    return resolveModuleOrder(this.index.modulesDep, net.map(moduleName)).order;
  }

  private async archive(modules: string[]): Promise<Buffer> {
    const data = await Promise.all(modules.map((file) => fs.readFile(path.join(this.root, this.tree, file))));
    const firmware = await collectFirmware(path.join(this.root, 'lib/firmware'), data);
    const files = [...modules.map((file) => `${this.tree}/${file}`), ...firmware.entries.map((entry) => entry.path)];
    const entries: CpioEntry[] = [
      ...parentFolders(files).map((dir): CpioEntry => ({ kind: 'dir', path: dir })),
      ...modules.map((file, i): CpioEntry => ({ kind: 'file', path: `${this.tree}/${file}`, data: data[i]! })),
      ...firmware.entries,
    ];
    return writeCpio(entries);
  }
}
