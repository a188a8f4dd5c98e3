/** Debian 6.1's own modules.dep lines for the virtio drivers (linux-image-6.1.0-*-amd64), for the module tests. */
export const VIRTIO_MODULES_DEP = `kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/net/core/failover.ko:
kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko
kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
`;

/**
 * A minimal ELF64 relocatable object with a `.modinfo` section holding `key=value` strings, as a kernel module has
 * (plus an unrelated section before it, so a reader must look sections up by name).
 */
export function elfModule(modinfo: string[]): Buffer {
  const sections = [
    { name: '.text', data: Buffer.from([0xc3]) },
    { name: '.modinfo', data: Buffer.from(modinfo.map((entry) => `${entry}\0`).join('')) },
  ];
  const names = Buffer.from(`\0${sections.map((section) => `${section.name}\0`).join('')}.shstrtab\0`);
  const bodies = [...sections.map((section) => section.data), names];
  let offset = 64;
  const offsets = bodies.map((body) => {
    const at = offset;
    offset += body.length;
    return at;
  });
  const tableAt = Math.ceil(offset / 8) * 8;
  const count = bodies.length + 1;
  const file = Buffer.alloc(tableAt + count * 64);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(file, 0);
  file.writeUInt16LE(1, 0x10); // ET_REL
  file.writeUInt16LE(0x3e, 0x12); // x86-64
  file.writeUInt32LE(1, 0x14);
  file.writeBigUInt64LE(BigInt(tableAt), 0x28);
  file.writeUInt16LE(64, 0x34);
  file.writeUInt16LE(64, 0x3a);
  file.writeUInt16LE(count, 0x3c);
  file.writeUInt16LE(count - 1, 0x3e);
  let nameAt = 1;
  bodies.forEach((body, index) => {
    body.copy(file, offsets[index]!);
    const header = tableAt + (index + 1) * 64;
    const isNames = index === bodies.length - 1;
    file.writeUInt32LE(nameAt, header);
    file.writeUInt32LE(isNames ? 3 : 1, header + 4); // SHT_STRTAB / SHT_PROGBITS
    file.writeBigUInt64LE(BigInt(offsets[index]!), header + 0x18);
    file.writeBigUInt64LE(BigInt(body.length), header + 0x20);
    nameAt += (isNames ? '.shstrtab' : sections[index]!.name).length + 1;
  });
  return file;
}
