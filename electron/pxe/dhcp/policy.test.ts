import { describe, expect, it } from 'vitest';
import { bootFilesSchema, clientArchSchema } from '../../../shared/pxe';
import { createStandardPolicy, loaderFor, nodeTable } from './policy';
import { archFromCode } from './request';

const files = bootFilesSchema.parse({});
const policy = (answer: 'enrolled' | 'all-pxe') =>
  createStandardPolicy({
    nodes: nodeTable([{ id: 'n1', mac: '52:54:00:AA:BB:CC', fixedAddress: '10.77.0.20' }]),
    answer,
    bootFiles: files,
    tftpServer: '10.77.0.1',
    ipxeScriptUrl: (mac, nodeId) => `http://10.77.0.1:8080/ipxe/${nodeId ?? 'unknown'}/${mac}`,
  });

describe('boot policy', () => {
  it.each([
    [0, 'undionly.kpxe'],
    [6, 'ipxe.efi'],
    [7, 'snponly.efi'],
    [9, 'snponly.efi'],
    [11, 'ipxe-arm64.efi'],
    [16, 'snponly.efi'],
  ])('serves the loader for option 93 = %i: %s', (code, file) => {
    expect(loaderFor(archFromCode(code), files)).toBe(file);
  });

  it('treats an unknown architecture code as BIOS rather than refusing the client', () => {
    expect(archFromCode(0x1234)).toBe('unknown');
    expect(loaderFor('unknown', files)).toBe('undionly.kpxe');
  });

  it('has a loader for every architecture it can name', () => {
    for (const arch of clientArchSchema.options) expect(loaderFor(arch, files)).toMatch(/\S/);
  });

  it('looks MACs up case-insensitively and keeps the node and its reservation', () => {
    expect(policy('enrolled').lookup('52:54:00:aa:bb:cc', null, 'bios', false)).toEqual({
      nodeId: 'n1',
      fixedAddress: '10.77.0.20',
      boot: { kind: 'tftp', nextServer: '10.77.0.1', file: 'undionly.kpxe' },
    });
  });

  it('gives iPXE the HTTP script of the node instead of a loader', () => {
    expect(policy('enrolled').lookup('52:54:00:aa:bb:cc', null, 'uefi-x64', true)?.boot).toEqual({
      kind: 'http',
      url: 'http://10.77.0.1:8080/ipxe/n1/52:54:00:aa:bb:cc',
    });
  });

  it('returns nothing for an unknown MAC unless every PXE client is answered', () => {
    expect(policy('enrolled').lookup('52:54:00:00:00:01', null, 'bios', false)).toBeNull();
    expect(policy('all-pxe').lookup('52:54:00:00:00:01', null, 'bios', false)).toMatchObject({ nodeId: null, fixedAddress: null });
  });
});
