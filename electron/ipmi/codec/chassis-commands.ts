import type { BootDevice, BootDeviceKind, ChassisAction, ChassisStatus, SettableBootDevice } from '../../../shared/ipmi';
import { NetFn, type IpmiRequest } from './message';
import { accept, refuse, type Decoded } from './result';

/** Chassis network function commands (IPMI v2.0 §28). */

export function getChassisStatusRequest(): IpmiRequest {
  return { netFn: NetFn.Chassis, command: 0x01, data: Buffer.alloc(0) };
}

const RESTORE_POLICIES = ['always-off', 'previous', 'always-on', 'unknown'] as const;

export function decodeChassisStatus(data: Buffer): Decoded<ChassisStatus> {
  if (data.length < 3) return refuse('Get Chassis Status response is truncated');
  const power = data[0] ?? 0;
  const misc = data[2] ?? 0;
  return accept({
    powerOn: (power & 0x01) !== 0,
    powerOverload: (power & 0x02) !== 0,
    powerInterlock: (power & 0x04) !== 0,
    mainPowerFault: (power & 0x08) !== 0,
    powerControlFault: (power & 0x10) !== 0,
    restorePolicy: RESTORE_POLICIES[(power >> 5) & 0x03] ?? 'unknown',
    intrusion: (misc & 0x01) !== 0,
    frontPanelLockout: (misc & 0x02) !== 0,
    driveFault: (misc & 0x04) !== 0,
    coolingFault: (misc & 0x08) !== 0,
  });
}

const CHASSIS_CONTROL: Readonly<Record<ChassisAction, number>> = { off: 0x00, on: 0x01, cycle: 0x02, reset: 0x03, soft: 0x05 };

export function chassisControlRequest(action: ChassisAction): IpmiRequest {
  return { netFn: NetFn.Chassis, command: 0x02, data: Buffer.from([CHASSIS_CONTROL[action]]) };
}

/** Boot option parameters (IPMI v2.0 table 28-14) that a boot device change touches. */
export const enum BootParameter {
  SetInProgress = 0,
  ValidBitClearing = 3,
  BootInfoAcknowledge = 4,
  BootFlags = 5,
}

export function setBootOptionRequest(parameter: BootParameter, value: Buffer): IpmiRequest {
  return { netFn: NetFn.Chassis, command: 0x08, data: Buffer.concat([Buffer.from([parameter & 0x7f]), value]) };
}

export function getBootOptionRequest(parameter: BootParameter): IpmiRequest {
  return { netFn: NetFn.Chassis, command: 0x09, data: Buffer.from([parameter & 0x7f, 0x00, 0x00]) };
}

/** Param 0: 1 marks a change in progress (BMCs may hold other writers off), 0 marks it complete. */
export function setInProgressValue(inProgress: boolean): Buffer {
  return Buffer.from([inProgress ? 0x01 : 0x00]);
}

/**
 * Param 3 bit 3: keep the boot flags' valid bit past the BMC's 60 s timer. Without it a BMC drops the flags when
 * the power cycle comes later than a minute after the boot device was set (pyghmi writes the same value).
 */
export function validBitClearingValue(): Buffer {
  return Buffer.from([0x08]);
}

/** Param 4: tell the BIOS the boot info is new (write mask BIOS/POST, acknowledge bit cleared by the BIOS). */
export function bootInfoAcknowledgeValue(): Buffer {
  return Buffer.from([0x01, 0x01]);
}

const SELECTOR_BY_DEVICE: Readonly<Record<SettableBootDevice, number>> = {
  none: 0x00,
  pxe: 0x01,
  disk: 0x02,
  cdrom: 0x05,
  'bios-setup': 0x06,
};

const DEVICE_BY_SELECTOR: Readonly<Record<number, BootDeviceKind>> = {
  0x00: 'none',
  0x01: 'pxe',
  0x02: 'disk',
  0x03: 'disk-safe-mode',
  0x04: 'diagnostic',
  0x05: 'cdrom',
  0x06: 'bios-setup',
  0x07: 'remote-floppy',
  0x08: 'remote-cdrom',
  0x09: 'remote-media',
  0x0b: 'remote-disk',
  0x0f: 'floppy',
};

/** Param 5 byte 1: bit 7 valid, bit 6 persistent, bit 5 EFI; byte 2 bits 5:2 the device selector. */
export function bootFlagsValue(request: { device: SettableBootDevice; persistent: boolean; efi: boolean }): Buffer {
  const flags = 0x80 | (request.persistent ? 0x40 : 0) | (request.efi ? 0x20 : 0);
  return Buffer.from([flags, SELECTOR_BY_DEVICE[request.device] << 2, 0x00, 0x00, 0x00]);
}

export interface BootOptionResponse {
  readonly parameter: number;
  /** Bit 7 of the selector byte: the parameter is locked or invalid and its data is not to be trusted. */
  readonly invalidOrLocked: boolean;
  readonly value: Buffer;
}

export function decodeBootOption(data: Buffer): Decoded<BootOptionResponse> {
  if (data.length < 2) return refuse('Get System Boot Options response is truncated');
  return accept({ parameter: (data[1] ?? 0) & 0x7f, invalidOrLocked: ((data[1] ?? 0) & 0x80) !== 0, value: Buffer.from(data.subarray(2)) });
}

export function decodeBootFlags(value: Buffer): Decoded<BootDevice> {
  if (value.length < 2) return refuse('boot flags parameter is truncated');
  const flags = value[0] ?? 0;
  const selector = ((value[1] ?? 0) >> 2) & 0x0f;
  return accept({
    device: DEVICE_BY_SELECTOR[selector] ?? 'unknown',
    valid: (flags & 0x80) !== 0,
    persistent: (flags & 0x40) !== 0,
    efi: (flags & 0x20) !== 0,
  });
}
