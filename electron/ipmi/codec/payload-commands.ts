import { NetFn, type IpmiRequest } from './message';
import { accept, refuse, type Decoded } from './result';

/** Activate / Deactivate Payload for Serial-over-LAN (IPMI v2.0 §24.1, §24.2). */

const SOL_PAYLOAD_TYPE = 0x01;

/** Aux byte 1: encrypt and authenticate the SOL stream; serial/modem alerts keep working while SOL is active. */
export function activateSolRequest(instance: number): IpmiRequest {
  return { netFn: NetFn.App, command: 0x48, data: Buffer.from([SOL_PAYLOAD_TYPE, instance & 0x0f, 0xc0, 0, 0, 0]) };
}

export function deactivateSolRequest(instance: number): IpmiRequest {
  return { netFn: NetFn.App, command: 0x49, data: Buffer.from([SOL_PAYLOAD_TYPE, instance & 0x0f, 0, 0, 0, 0]) };
}

export interface SolActivation {
  /** Largest SOL payload the BMC accepts from us. */
  readonly inboundPayloadSize: number;
  readonly outboundPayloadSize: number;
  /** UDP port for SOL packets; usually the session's own port. */
  readonly port: number;
}

export function decodeSolActivation(data: Buffer): Decoded<SolActivation> {
  if (data.length < 10) return refuse('Activate Payload response is truncated');
  return accept({ inboundPayloadSize: data.readUInt16LE(4), outboundPayloadSize: data.readUInt16LE(6), port: data.readUInt16LE(8) });
}

/** Activate Payload completion codes that say why SOL could not start. */
export const SOL_ACTIVATION_ERRORS: Readonly<Record<number, string>> = {
  0x80: 'the SOL console is already open in another session',
  0x81: 'SOL is disabled on this BMC',
  0x82: 'the BMC allows no more SOL sessions',
  0x83: 'the BMC refuses an encrypted SOL stream',
  0x84: 'the BMC requires an encrypted SOL stream',
};
