import type { LanConfig } from '../../../shared/ipmi';
import { NetFn, type IpmiRequest } from './message';
import { accept, refuse, type Decoded } from './result';

/** Transport network function: Get LAN Configuration Parameters (IPMI v2.0 §23.2). */

export const enum LanParameter {
  IpAddress = 3,
  IpAddressSource = 4,
  MacAddress = 5,
  SubnetMask = 6,
  DefaultGateway = 12,
}

export function getLanParameterRequest(channel: number, parameter: LanParameter): IpmiRequest {
  return { netFn: NetFn.Transport, command: 0x02, data: Buffer.from([channel & 0x0f, parameter, 0x00, 0x00]) };
}

/** The value bytes after the parameter revision byte, checked against the length the parameter must have. */
export function decodeLanParameter(data: Buffer, length: number): Decoded<Buffer> {
  if (data.length < 1 + length) return refuse('Get LAN Configuration Parameters response is truncated');
  return accept(Buffer.from(data.subarray(1, 1 + length)));
}

export const LAN_PARAMETER_LENGTH: Readonly<Record<LanParameter, number>> = {
  [LanParameter.IpAddress]: 4,
  [LanParameter.IpAddressSource]: 1,
  [LanParameter.MacAddress]: 6,
  [LanParameter.SubnetMask]: 4,
  [LanParameter.DefaultGateway]: 4,
};

const IP_SOURCES: ReadonlyArray<LanConfig['ipSource']> = ['unspecified', 'static', 'dhcp', 'bios', 'other'];

export function lanConfigFromParameters(channel: number, values: Readonly<Record<LanParameter, Buffer>>): LanConfig {
  const dotted = (bytes: Buffer) => [...bytes].join('.');
  return {
    channel,
    ipAddress: dotted(values[LanParameter.IpAddress]),
    ipSource: IP_SOURCES[(values[LanParameter.IpAddressSource][0] ?? 0) & 0x0f] ?? 'other',
    subnetMask: dotted(values[LanParameter.SubnetMask]),
    macAddress: [...values[LanParameter.MacAddress]].map((byte) => byte.toString(16).padStart(2, '0')).join(':'),
    defaultGateway: dotted(values[LanParameter.DefaultGateway]),
  };
}
