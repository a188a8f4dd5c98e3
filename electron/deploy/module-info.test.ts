import { describe, expect, it } from 'vitest';
import { ModuleFormatError, moduleFirmware, readModuleInfo } from './module-info';
import { elfModule } from './test-fixtures';

describe('kernel module .modinfo', () => {
  it('reads the firmware names a module declares, in order, from its .modinfo section', () => {
    const module = elfModule(['license=GPL', 'firmware=bnx2x/bnx2x-e1-7.13.21.0.fw', 'alias=pci:v000014E4d0000164Esv*sd*bc*sc*i*', 'firmware=bnx2x/bnx2x-e2-7.13.21.0.fw']);
    expect(moduleFirmware(module)).toEqual(['bnx2x/bnx2x-e1-7.13.21.0.fw', 'bnx2x/bnx2x-e2-7.13.21.0.fw']);
    expect(readModuleInfo(module).get('license')).toEqual(['GPL']);
  });

  it('answers no firmware for a module that names none', () => {
    expect(moduleFirmware(elfModule(['license=GPL', 'depends=libata']))).toEqual([]);
  });

  it('refuses what is not a 64-bit ELF module, or is cut short, with a reason', () => {
    expect(() => readModuleInfo(Buffer.from('\xfd7zXZ\0 compressed module'))).toThrow(ModuleFormatError);
    expect(() => readModuleInfo(Buffer.from('\x7fELF'))).toThrow(/cut short/);
    const module = elfModule(['firmware=a.fw']);
    expect(() => readModuleInfo(module.subarray(0, module.length - 10))).toThrow(/cut short/);
  });
});
