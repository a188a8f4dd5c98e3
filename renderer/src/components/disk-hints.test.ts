import { describe, expect, it } from 'vitest';
import { rootDeviceHintsSchema } from '../../../shared/inventory';
import { disk } from '../../../electron/inventory/test-fixtures';
import { hintFields, hintsForDisk, hintsFromFields } from './disk-hints';

describe('hintsForDisk', () => {
  it('points at a disk by its WWN, else its serial, when no other disk shares it', () => {
    const a = disk({ name: 'sda', wwn: '0x5000c500a1b2c3d4', serial: 'A1' });
    const b = disk({ name: 'sdb', wwn: null, serial: 'B1' });
    expect(hintsForDisk(a, [a, b])).toEqual({ wwn: '0x5000c500a1b2c3d4' });
    expect(hintsForDisk(b, [a, b])).toEqual({ serial: 'B1' });
  });

  it('falls back to the slot (by-path) when the serial is blank or cloned, and to the name without a path', () => {
    const a = disk({ name: 'sda', serial: 'CLONE', byPath: 'pci-0000:00:1f.2-ata-1' });
    const b = disk({ name: 'sdb', serial: 'clone ', byPath: 'pci-0000:00:1f.2-ata-2' });
    const c = disk({ name: 'vda', serial: '  ', byPath: null });
    expect(hintsForDisk(a, [a, b, c])).toEqual({ byPath: 'pci-0000:00:1f.2-ata-1' });
    expect(hintsForDisk(c, [a, b, c])).toEqual({ name: 'vda' });
  });
});

describe('typed hints', () => {
  it('leaves blank fields out, so an empty form is the default rule, and keeps rotational as a boolean', () => {
    expect(hintsFromFields(hintFields(null))).toEqual({});
    const fields = { ...hintFields(null), size: ' >= 100 ', rotational: 'no' as const };
    expect(rootDeviceHintsSchema.parse(hintsFromFields(fields))).toEqual({ size: '>= 100', rotational: false });
    expect(hintFields({ serial: 'S1', rotational: true })).toMatchObject({ serial: 'S1', rotational: 'yes', size: '' });
  });
});
