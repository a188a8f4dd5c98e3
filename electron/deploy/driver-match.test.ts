import { describe, expect, it } from 'vitest';
import { fnmatchPattern, modulesForModaliases, modulesForPciNic, parseIpxeBusId, parseModuleIndex } from './driver-match';

// Lines as depmod writes them for Debian 12's kernel (cut down).
const MODULES_DEP = [
  'kernel/drivers/virtio/virtio.ko:',
  'kernel/drivers/virtio/virtio_ring.ko:',
  'kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko',
  'kernel/drivers/virtio/virtio_pci_modern_dev.ko:',
  'kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko',
  'kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko',
  'kernel/net/core/failover.ko:',
  'kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko',
  'kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko:',
  'kernel/drivers/ata/ahci.ko: kernel/drivers/ata/libahci.ko kernel/drivers/ata/libata.ko',
  'kernel/drivers/ata/libahci.ko: kernel/drivers/ata/libata.ko',
  'kernel/drivers/ata/libata.ko:',
  'kernel/drivers/scsi/sd_mod.ko:',
  '',
].join('\n');
const MODULES_ALIAS = [
  '# Aliases extracted from modules themselves.',
  'alias pci:v00001AF4d*sv*sd*bc*sc*i* virtio_pci',
  'alias virtio:d00000001v* virtio_net',
  'alias virtio:d00000002v* virtio_blk',
  'alias pci:v00008086d000010D3sv*sd*bc*sc*i* e1000e',
  'alias pci:v*d*sv*sd*bc01sc06i01* ahci',
  'alias scsi:t-0x00* sd_mod',
  'alias scsi:t-0x0[07]* sd_mod',
  '',
].join('\n');
const index = parseModuleIndex(MODULES_ALIAS, MODULES_DEP);

describe('drivers by modalias', () => {
  it('matches devices as modprobe does and lists the modules with what they need first', () => {
    const q35 = ['pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01', 'pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00', 'virtio:d00000001v00001AF4', 'scsi:t-0x00'];
    expect(modulesForModaliases(index, q35)).toEqual([
      'kernel/drivers/ata/libata.ko', 'kernel/drivers/ata/libahci.ko', 'kernel/drivers/ata/ahci.ko',
      'kernel/drivers/scsi/sd_mod.ko',
      'kernel/drivers/virtio/virtio.ko', 'kernel/drivers/virtio/virtio_ring.ko', 'kernel/net/core/failover.ko', 'kernel/drivers/net/net_failover.ko', 'kernel/drivers/net/virtio_net.ko',
      'kernel/drivers/virtio/virtio_pci_modern_dev.ko', 'kernel/drivers/virtio/virtio_pci.ko',
    ]);
    expect(modulesForModaliases(index, ['usb:v0BDAp8153d3000dc00dsc00dp00icFFisc00ip00in00'])).toEqual([]);
  });

  it('reads fnmatch patterns: runs, single characters, classes and their negation', () => {
    expect(fnmatchPattern('scsi:t-0x0[07]*').test('scsi:t-0x07')).toBe(true);
    expect(fnmatchPattern('scsi:t-0x0[07]*').test('scsi:t-0x05')).toBe(false);
    expect(fnmatchPattern('a[!0-9]?').test('ab1')).toBe(true);
    expect(fnmatchPattern('a[!0-9]?').test('a51')).toBe(false);
    expect(fnmatchPattern('of:N*T*Cfsl,mpc5200.(x)').test('of:NfooTbarCfsl,mpc5200.(x)')).toBe(true);
    expect(fnmatchPattern('acpi*:PNP0A08:*').test('acpi:PNP0A08:')).toBe(true);
  });
});

describe('the boot NIC by iPXE\'s bus id', () => {
  it('reads bus type, vendor and device; nothing for a bus that is not PCI or text that is no bus id', () => {
    expect(parseIpxeBusId('011af41000')).toEqual({ vendor: 0x1af4, device: 0x1000 });
    expect(parseIpxeBusId('018086 10d3'.replace(' ', ''))).toEqual({ vendor: 0x8086, device: 0x10d3 });
    expect(parseIpxeBusId('0a0bda8153')).toBeNull();
    expect(parseIpxeBusId('')).toBeNull();
    expect(parseIpxeBusId('01:1a:f4:10:00')).toBeNull();
  });

  it('gives a virtio NIC virtio_pci and virtio-net, an Intel NIC its driver, and never a class-only driver', () => {
    expect(modulesForPciNic(index, { vendor: 0x1af4, device: 0x1000 })).toEqual([
      'kernel/drivers/virtio/virtio.ko', 'kernel/drivers/virtio/virtio_ring.ko', 'kernel/net/core/failover.ko', 'kernel/drivers/net/net_failover.ko', 'kernel/drivers/net/virtio_net.ko',
      'kernel/drivers/virtio/virtio_pci_modern_dev.ko', 'kernel/drivers/virtio/virtio_pci.ko',
    ]);
    expect(modulesForPciNic(index, { vendor: 0x8086, device: 0x10d3 })).toEqual(['kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko']);
    expect(modulesForPciNic(index, { vendor: 0x8086, device: 0x2922 })).toEqual([]);
  });
});
