import { describe, expect, it } from 'vitest';
import { ironicCreateFile } from './create-file';
import type { HandoffNode } from './node-mapping';

const node: HandoffNode = {
  name: 'r1-u07',
  bmc: { protocol: 'ipmi', address: '10.1.91.4', port: 623, username: 'admin', password: 'Zq9secret' },
  mac: '52:54:00:00:00:01',
  systemGuid: null,
  inventory: null,
  rootDeviceHints: { name: 'sda' },
};

describe('ironicCreateFile', () => {
  it('writes the resources format baremetal create reads: nodes with their ports nested', () => {
    const parsed = JSON.parse(ironicCreateFile([node], true)) as unknown;
    expect(parsed).toEqual({
      nodes: [
        {
          name: 'r1-u07',
          driver: 'ipmi',
          driver_info: { ipmi_address: '10.1.91.4', ipmi_port: 623, ipmi_username: 'admin', ipmi_password: 'Zq9secret' },
          properties: { root_device: { name: '/dev/sda' } },
          extra: {},
          ports: [{ address: '52:54:00:00:00:01', pxe_enabled: true }],
        },
      ],
    });
  });

  it('leaves every password out unless asked', () => {
    const redfish: HandoffNode = {
      ...node,
      name: 'r1-u08',
      bmc: { protocol: 'redfish', address: 'https://10.1.91.5', systemId: '/redfish/v1/Systems/1', username: 'root', password: 'Xy7secret', verifyCa: true },
    };
    const text = ironicCreateFile([node, redfish], false);
    expect(text).not.toContain('Zq9secret');
    expect(text).not.toContain('Xy7secret');
    expect(text).not.toContain('password');
  });
});
