/**
 * Exchanges recorded from the shapes real BMCs answer with, written for these tests after DMTF's public Redfish
 * mockups (public-rackmount1, iLO and iDRAC flavours) and sushy's test data: trimmed to what Rackboot reads.
 */

export const SERVICE_ROOT_WITH_SESSIONS = {
  '@odata.id': '/redfish/v1/',
  '@odata.type': '#ServiceRoot.v1_11_0.ServiceRoot',
  Id: 'RootService',
  RedfishVersion: '1.15.0',
  Vendor: 'Dell',
  Product: 'Integrated Dell Remote Access Controller',
  Systems: { '@odata.id': '/redfish/v1/Systems' },
  SessionService: { '@odata.id': '/redfish/v1/SessionService' },
  Links: { Sessions: { '@odata.id': '/redfish/v1/SessionService/Sessions' } },
};

/** sushy-tools' root: no SessionService, so every request carries Basic credentials. */
export const SERVICE_ROOT_WITHOUT_SESSIONS = {
  '@odata.id': '/redfish/v1/',
  '@odata.type': '#ServiceRoot.v1_5_0.ServiceRoot',
  Id: 'RedvirtService',
  RedfishVersion: '1.5.0',
  Systems: { '@odata.id': '/redfish/v1/Systems' },
};

/** iLO 5 before Redfish 1.5 names itself only by its Oem key. */
export const SERVICE_ROOT_ILO = {
  '@odata.id': '/redfish/v1/',
  RedfishVersion: '1.6.0',
  Oem: { Hpe: { Manager: [{ ManagerType: 'iLO 5' }] } },
  Systems: { '@odata.id': '/redfish/v1/Systems' },
  Links: { Sessions: { '@odata.id': '/redfish/v1/SessionService/Sessions/' } },
};

export const SYSTEMS = { Members: [{ '@odata.id': '/redfish/v1/Systems/System.Embedded.1' }], 'Members@odata.count': 1 };

export const IDRAC_SYSTEM = {
  '@odata.id': '/redfish/v1/Systems/System.Embedded.1',
  '@odata.type': '#ComputerSystem.v1_12_0.ComputerSystem',
  Id: 'System.Embedded.1',
  Manufacturer: 'Dell Inc.',
  Model: 'PowerEdge R650',
  SerialNumber: 'CNIVC0012345',
  UUID: '4C4C4544-0042-3510-8052-B4C04F4E3433',
  BiosVersion: '1.9.2',
  PowerState: 'Off',
  Boot: {
    BootSourceOverrideEnabled: 'Disabled',
    'BootSourceOverrideEnabled@Redfish.AllowableValues': ['Once', 'Continuous', 'Disabled'],
    BootSourceOverrideTarget: 'None',
    'BootSourceOverrideTarget@Redfish.AllowableValues': ['None', 'Pxe', 'Floppy', 'Cd', 'Hdd', 'BiosSetup', 'Utilities', 'UefiTarget', 'SDCard', 'UefiHttp'],
    BootSourceOverrideMode: 'UEFI',
  },
  Actions: {
    '#ComputerSystem.Reset': {
      target: '/redfish/v1/Systems/System.Embedded.1/Actions/ComputerSystem.Reset',
      'ResetType@Redfish.AllowableValues': ['On', 'ForceOff', 'ForceRestart', 'GracefulRestart', 'GracefulShutdown', 'PushPowerButton', 'Nmi', 'PowerCycle'],
    },
  },
  EthernetInterfaces: { '@odata.id': '/redfish/v1/Systems/System.Embedded.1/EthernetInterfaces' },
  Oem: { Dell: {} },
};

export const SUPERMICRO_SYSTEM = {
  '@odata.id': '/redfish/v1/Systems/1',
  '@odata.etag': '"a1b2c3d4e5"',
  Id: '1',
  Manufacturer: 'Supermicro',
  Model: 'SYS-120C-TN10R',
  UUID: '00000000-0000-0000-0000-000000000000',
  PowerState: 'On',
  Boot: {
    BootSourceOverrideEnabled: 'Disabled',
    BootSourceOverrideTarget: 'None',
    'BootSourceOverrideTarget@Redfish.AllowableValues': ['None', 'Pxe', 'Hdd', 'Diags', 'Cd', 'BiosSetup', 'FloppyRemovableMedia', 'UsbKey', 'UsbHdd', 'UsbFloppy', 'UsbCd', 'UefiUsbKey', 'UefiCd', 'UefiHdd', 'UefiUsbHdd', 'UefiUsbCd'],
    BootSourceOverrideMode: 'UEFI',
    'BootSourceOverrideMode@Redfish.AllowableValues': ['Legacy', 'UEFI'],
  },
  Actions: {
    '#ComputerSystem.Reset': {
      target: '/redfish/v1/Systems/1/Actions/ComputerSystem.Reset',
      'ResetType@Redfish.AllowableValues': ['On', 'ForceOff', 'GracefulShutdown', 'GracefulRestart', 'ForceRestart', 'Nmi', 'ForceOn'],
    },
  },
};

/** Lenovo XCC on some models: no Continuous override. */
export const XCC_SYSTEM = {
  '@odata.id': '/redfish/v1/Systems/1',
  Id: '1',
  Manufacturer: 'Lenovo',
  Model: 'ThinkSystem SR630',
  UUID: '7a8b6c1e-2f3d-11eb-9d5e-0a94ef5c2b11',
  PowerState: 'On',
  Boot: {
    BootSourceOverrideEnabled: 'Disabled',
    'BootSourceOverrideEnabled@Redfish.AllowableValues': ['Disabled', 'Once'],
    BootSourceOverrideTarget: 'None',
    'BootSourceOverrideTarget@Redfish.AllowableValues': ['None', 'Pxe', 'Cd', 'Usb', 'Hdd', 'BiosSetup', 'Diags', 'UefiTarget'],
    BootSourceOverrideMode: 'UEFI',
    'BootSourceOverrideMode@Redfish.AllowableValues': ['UEFI'],
  },
  Actions: { '#ComputerSystem.Reset': { target: '/redfish/v1/Systems/1/Actions/ComputerSystem.Reset', 'ResetType@Redfish.AllowableValues': ['On', 'Nmi', 'GracefulShutdown', 'GracefulRestart', 'ForceOn', 'ForceOff', 'ForceRestart'] } },
};

export const NIC_COLLECTION = {
  Members: [
    { '@odata.id': '/redfish/v1/Systems/System.Embedded.1/EthernetInterfaces/NIC.Integrated.1-1-1' },
    { '@odata.id': '/redfish/v1/Systems/System.Embedded.1/EthernetInterfaces/NIC.Integrated.1-2-1' },
  ],
};

export const NIC_1 = { Id: 'NIC.Integrated.1-1-1', MACAddress: 'B4:96:91:3A:1C:40', PermanentMACAddress: 'B4:96:91:3A:1C:40', LinkStatus: 'LinkUp', Status: { State: 'Enabled' } };
export const NIC_2 = { Id: 'NIC.Integrated.1-2-1', MACAddress: 'b4-96-91-3a-1c-41', LinkStatus: 'LinkDown', Status: { State: 'Enabled' } };

export const TASK_RUNNING = { '@odata.id': '/redfish/v1/TaskService/Tasks/JID_1', TaskState: 'Running', PercentComplete: 40, TaskStatus: 'OK' };
export const TASK_DONE = { '@odata.id': '/redfish/v1/TaskService/Tasks/JID_1', TaskState: 'Completed', TaskStatus: 'OK', Messages: [] };
export const TASK_FAILED = {
  TaskState: 'Exception',
  TaskStatus: 'Critical',
  Messages: [{ MessageId: 'IDRAC.2.8.SYS446', Message: 'Unable to perform the operation because the server is in lockdown mode.' }],
};

/** What iLO answers when BootSourceOverrideMode is read-only on that firmware. */
export const ILO_MODE_NOT_WRITABLE = {
  error: {
    code: 'iLO.0.10.ExtendedInfo',
    message: 'See @Message.ExtendedInfo for more information.',
    '@Message.ExtendedInfo': [{ MessageId: 'Base.1.4.PropertyNotWritable', Message: 'The property BootSourceOverrideMode is a read only property and cannot be assigned a value.' }],
  },
};
