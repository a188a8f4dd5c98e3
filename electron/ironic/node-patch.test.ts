import { describe, expect, it } from 'vitest';
import { nodePatch, sameJson } from './node-patch';
import type { IronicNodeRecord, IronicNodeSpec } from './node-mapping';

const wanted: IronicNodeSpec = {
  name: 'r1',
  driver: 'ipmi',
  driver_info: { ipmi_address: '10.0.0.1', ipmi_port: 623, ipmi_username: 'admin', ipmi_password: 'new' },
  properties: { cpus: 4, root_device: { name: '/dev/sda', size: '>= 100' } },
  extra: { system_uuid: 'abc' },
};

const current: IronicNodeRecord = {
  uuid: 'u1',
  name: 'r1',
  driver: 'ipmi',
  driver_info: { ipmi_address: '10.0.0.1', ipmi_port: 623, ipmi_username: 'admin', ipmi_password: '******', deploy_kernel: 'k' },
  properties: { root_device: { size: '>= 100', name: '/dev/sda' }, cpus: 4, vendor: 'QEMU' },
  extra: { system_uuid: 'abc', owner_note: 'keep me' },
};

describe('nodePatch', () => {
  it('is empty when Ironic already holds what Rackboot knows (key order and Ironic-only fields aside)', () => {
    expect(nodePatch(current, wanted, { sendPasswords: false })).toEqual([]);
  });

  it('sends the password only when asked, since Ironic masks it', () => {
    expect(nodePatch(current, wanted, { sendPasswords: true })).toEqual([{ op: 'add', path: '/driver_info/ipmi_password', value: 'new' }]);
  });

  it('changes only what differs, leaving fields Rackboot does not set alone', () => {
    const operations = nodePatch({ ...current, driver: 'fake-hardware', driver_info: { ...current.driver_info, ipmi_address: '10.0.0.9' }, properties: {} }, wanted, {
      sendPasswords: false,
    });
    expect(operations).toEqual([
      { op: 'replace', path: '/driver', value: 'ipmi' },
      { op: 'add', path: '/driver_info/ipmi_address', value: '10.0.0.1' },
      { op: 'add', path: '/properties/cpus', value: 4 },
      { op: 'add', path: '/properties/root_device', value: { name: '/dev/sda', size: '>= 100' } },
    ]);
  });

  it('keeps a CA bundle path the operator gave Ironic as redfish_verify_ca; a boolean is Rackboot’s to set', () => {
    const redfish: IronicNodeSpec = {
      name: 'r2',
      driver: 'redfish',
      driver_info: { redfish_address: 'https://10.0.0.2', redfish_username: 'root', redfish_verify_ca: false },
      properties: {},
      extra: {},
    };
    const record = (verifyCa: unknown): IronicNodeRecord => ({ uuid: 'u2', name: 'r2', driver: 'redfish', driver_info: { ...redfish.driver_info, redfish_verify_ca: verifyCa }, properties: {}, extra: {} });
    expect(nodePatch(record('/etc/ironic/bmc-r2.pem'), redfish, { sendPasswords: false })).toEqual([]);
    expect(nodePatch(record(true), redfish, { sendPasswords: false })).toEqual([{ op: 'add', path: '/driver_info/redfish_verify_ca', value: false }]);
    expect(nodePatch(record('True'), redfish, { sendPasswords: false })).toEqual([{ op: 'add', path: '/driver_info/redfish_verify_ca', value: false }]);
  });

  it('escapes JSON pointer characters in keys', () => {
    const operations = nodePatch({ ...current, extra: {} }, { ...wanted, extra: { 'a/b~c': 1 } }, { sendPasswords: false });
    expect(operations).toEqual([{ op: 'add', path: '/extra/a~1b~0c', value: 1 }]);
  });
});

describe('sameJson', () => {
  it('compares deeply, ignoring key order, telling arrays from objects', () => {
    expect(sameJson({ a: [1, { b: 2 }], c: null }, { c: null, a: [1, { b: 2 }] })).toBe(true);
    expect(sameJson([1], { 0: 1 })).toBe(false);
    expect(sameJson({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(sameJson(623, '623')).toBe(false);
  });
});
