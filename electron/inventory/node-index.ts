import type { StoredNode } from './node-files';

/** Which node holds a name, a BMC endpoint or a MAC: the duplicate checks, each in constant time. */
export class NodeIndex {
  private readonly byName = new Map<string, StoredNode>();
  private readonly byBmc = new Map<string, StoredNode>();
  private readonly byMac = new Map<string, StoredNode>();

  constructor(nodes: Iterable<StoredNode> = []) {
    for (const node of nodes) this.add(node);
  }

  add(node: StoredNode): void {
    this.byName.set(node.name, node);
    this.byBmc.set(bmcKey(node.bmcAddress, node.bmcPort), node);
    if (node.mac) this.byMac.set(node.mac, node);
  }

  remove(node: StoredNode): void {
    if (this.byName.get(node.name)?.id === node.id) this.byName.delete(node.name);
    const bmc = bmcKey(node.bmcAddress, node.bmcPort);
    if (this.byBmc.get(bmc)?.id === node.id) this.byBmc.delete(bmc);
    if (node.mac && this.byMac.get(node.mac)?.id === node.id) this.byMac.delete(node.mac);
  }

  nameHolder(name: string): StoredNode | undefined {
    return this.byName.get(name);
  }

  bmcHolder(address: string, port: number): StoredNode | undefined {
    return this.byBmc.get(bmcKey(address, port));
  }

  macHolder(mac: string): StoredNode | undefined {
    return this.byMac.get(mac);
  }
}

function bmcKey(address: string, port: number): string {
  return `${address}:${port}`;
}
