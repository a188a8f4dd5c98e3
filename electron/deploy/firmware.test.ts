import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectFirmware } from './firmware';
import { elfModule } from './test-fixtures';

describe('firmware a ramdisk carries', () => {
  let root = '';
  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'rackboot-firmware-'));
    mkdirSync(path.join(root, 'bnx2x'));
    writeFileSync(path.join(root, 'bnx2x/bnx2x-e2-7.13.21.0.fw'), 'e2');
    mkdirSync(path.join(root, 'intel/ice/ddp'), { recursive: true });
    writeFileSync(path.join(root, 'intel/ice/ddp/ice-1.3.30.0.pkg'), 'ddp');
    symlinkSync('ice-1.3.30.0.pkg', path.join(root, 'intel/ice/ddp/ice.pkg'));
    writeFileSync(path.join(root, 'rtl_nic.fw.xz'), 'xz');
    writeFileSync(path.join(root, 'unrelated.bin'), 'not named by any module');
    symlinkSync('/etc/shadow', path.join(root, 'escape.bin'));
    symlinkSync('../../outside.bin', path.join(root, 'bnx2x/climb.bin'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('takes the files the modules name, links with their targets, compressed variants, and lists what is missing', async () => {
    const set = await collectFirmware(root, [
      elfModule(['firmware=bnx2x/bnx2x-e2-7.13.21.0.fw', 'firmware=bnx2x/bnx2x-e3-7.13.21.0.fw']),
      elfModule(['firmware=intel/ice/ddp/ice.pkg', 'firmware=rtl_nic.fw']),
      elfModule(['license=GPL']),
    ]);
    expect(set.files).toEqual(['bnx2x/bnx2x-e2-7.13.21.0.fw', 'intel/ice/ddp/ice.pkg', 'rtl_nic.fw']);
    expect(set.missing).toEqual(['bnx2x/bnx2x-e3-7.13.21.0.fw']);
    expect(set.entries.map((entry) => [entry.path, entry.kind])).toEqual([
      ['lib/firmware/bnx2x/bnx2x-e2-7.13.21.0.fw', 'file'],
      ['lib/firmware/intel/ice/ddp/ice-1.3.30.0.pkg', 'file'],
      ['lib/firmware/intel/ice/ddp/ice.pkg', 'symlink'],
      ['lib/firmware/rtl_nic.fw.xz', 'file'],
    ]);
  });

  it('refuses names and links that lead out of the firmware folder', async () => {
    const set = await collectFirmware(root, [elfModule(['firmware=../outside.bin', 'firmware=escape.bin', 'firmware=bnx2x/climb.bin', 'firmware=/etc/passwd'])]);
    expect(set.files).toEqual([]);
    expect(set.entries).toEqual([]);
  });
});
